//! The migration that brought `RUNNING` runs (m20261203_000025) keeps every run and its
//! problems both ways: SQLite rebuilds `sync_runs` around its problems, PostgreSQL swaps
//! the constraint and adds (or drops) its notification triggers.

use chrono::Utc;
use entity::{ProblemSeverity, SyncTrigger, sync_run, sync_run_problem};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement};
use territoires_sync::SyncStatus;

use territoires_tests::TestDb;

async fn statuses(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        "SELECT status FROM sync_runs ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "status").unwrap())
    .collect()
}

async fn insert_raw(db: &DatabaseConnection, status: &str) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        format!(
            "INSERT INTO sync_runs (trigger, actor, dry_run, forced, status, started_at) \
             VALUES ('CLI', 'cli', false, false, '{status}', '2026-12-03T10:00:00Z')"
        ),
    ))
    .await
    .map(|_| ())
}

async fn triggers(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*)::int8 AS n FROM pg_trigger \
             WHERE tgname IN ('data_version_notify', 'sync_runs_notify')",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn running_runs_migrate_down_and_up_keeping_runs_and_problems() {
    let database = TestDb::new().await;
    // One connection, as `territoires migrate` runs alone: the SQLite rebuild's statements
    // then never meet another pooled connection's view of the old schema.
    let mut options = sea_orm::ConnectOptions::new(database.url().to_owned());
    options.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(options).await.unwrap();
    let planned = sync_run::ActiveModel {
        trigger: Set(SyncTrigger::Cli),
        actor: Set("cli".to_owned()),
        dry_run: Set(true),
        forced: Set(false),
        status: Set(SyncStatus::Planned),
        started_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    sync_run_problem::ActiveModel {
        sync_run_id: Set(planned.id),
        severity: Set(ProblemSeverity::Warning),
        code: Set("SOMETHING".to_owned()),
        message: Set("Un avertissement".to_owned()),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    insert_raw(&db, "RUNNING").await.unwrap();
    if database.is_postgres() {
        assert_eq!(triggers(&db).await, 2);
    }

    // Down to just before migration 25, past whatever later migrations added since.
    let migrations = Migrator::migrations();
    let at = migrations
        .iter()
        .position(|m| m.name() == "m20261203_000025_sync_status_running")
        .unwrap();
    let steps = u32::try_from(migrations.len() - at).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    assert_eq!(
        statuses(&db).await,
        ["PLANNED", "FAILED"],
        "a running run cannot stay"
    );
    assert!(
        insert_raw(&db, "RUNNING").await.is_err(),
        "the old constraint is back"
    );
    assert_eq!(
        sync_run_problem::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .len(),
        1
    );
    if database.is_postgres() {
        assert_eq!(triggers(&db).await, 0);
    }

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(statuses(&db).await, ["PLANNED", "FAILED"]);
    let problems = sync_run_problem::Entity::find().all(&db).await.unwrap();
    assert_eq!(problems.len(), 1, "the problems survive the rebuild");
    assert_eq!(problems[0].sync_run_id, planned.id);
    insert_raw(&db, "RUNNING").await.unwrap();
    assert!(insert_raw(&db, "NOT_A_STATUS").await.is_err());
    if database.is_postgres() {
        assert_eq!(triggers(&db).await, 2);
    }
}
