//! Dry runs get their own status, `PLANNED` (they were recorded as `APPLIED`): the
//! CHECK constraint of `sync_runs.status` accepts it.
//!
//! PostgreSQL replaces the constraint. SQLite cannot alter a constraint: the table is
//! rebuilt with its own `CREATE TABLE` text, the new code added to the list. Its child
//! table `sync_run_problems` (which cascades on delete) is set aside first and rebuilt
//! after, so dropping the old table deletes nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::m20261129_000003_create_sync_runs::STATUSES;

/// The statuses this migration allows: frozen, since later migrations change the
/// constraint again (`RUNNING` came with `m20261203_000025_sync_status_running`).
pub(crate) const STATUSES_WITH_PLANNED: &[&str] = &[
    "APPLIED",
    "PLANNED",
    "UNCHANGED",
    "SKIPPED",
    "REJECTED",
    "REFUSED",
    "BUSY",
    "FAILED",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `'A', 'B'` for an `IN` list.
pub(crate) fn quoted(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The CHECK for `codes`, as PostgreSQL names a column's constraint.
pub(crate) async fn postgres_check(
    manager: &SchemaManager<'_>,
    codes: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("ALTER TABLE sync_runs DROP CONSTRAINT IF EXISTS sync_runs_status_check")
        .await?;
    db.execute_unprepared(&format!(
        "ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check CHECK (status IN ({}))",
        quoted(codes)
    ))
    .await?;
    Ok(())
}

/// The `sql` of the schema objects of `table` (the table first, then its indexes).
pub(crate) async fn sqlite_schema(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let db = manager.get_connection();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL \
             ORDER BY type = 'index', name",
            [table.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "sql"))
        .collect()
}

/// Rebuilds `sync_runs` on SQLite with `codes` allowed instead of `from`.
pub(crate) async fn sqlite_rebuild(
    manager: &SchemaManager<'_>,
    from: &[&str],
    codes: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let runs = sqlite_schema(manager, "sync_runs").await?;
    let problems = sqlite_schema(manager, "sync_run_problems").await?;
    let (Some(create_runs), Some(create_problems)) = (runs.first(), problems.first()) else {
        return Err(DbErr::Migration(
            "sync_runs or sync_run_problems is missing".into(),
        ));
    };
    let (old_list, new_list) = (quoted(from), quoted(codes));
    if create_runs.matches(&old_list).count() != 1 {
        return Err(DbErr::Migration(format!(
            "the status constraint of sync_runs is not the expected one: {create_runs}"
        )));
    }
    let Some(rest) = create_runs
        .strip_prefix("CREATE TABLE \"sync_runs\"")
        .or_else(|| create_runs.strip_prefix("CREATE TABLE sync_runs"))
    else {
        return Err(DbErr::Migration(format!(
            "unexpected definition of sync_runs: {create_runs}"
        )));
    };
    let create_new = format!(
        "CREATE TABLE \"sync_runs_new\"{}",
        rest.replace(&old_list, &new_list)
    );
    for statement in [
        "CREATE TABLE sync_run_problems_kept AS SELECT * FROM sync_run_problems",
        "DROP TABLE sync_run_problems",
        &create_new,
        "INSERT INTO sync_runs_new SELECT * FROM sync_runs",
        "DROP TABLE sync_runs",
        "ALTER TABLE sync_runs_new RENAME TO sync_runs",
    ] {
        db.execute_unprepared(statement).await?;
    }
    for index in runs.iter().skip(1) {
        db.execute_unprepared(index).await?;
    }
    db.execute_unprepared(create_problems).await?;
    db.execute_unprepared("INSERT INTO sync_run_problems SELECT * FROM sync_run_problems_kept")
        .await?;
    db.execute_unprepared("DROP TABLE sync_run_problems_kept")
        .await?;
    for index in problems.iter().skip(1) {
        db.execute_unprepared(index).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_rebuild(manager, STATUSES, STATUSES_WITH_PLANNED).await,
            _ => postgres_check(manager, STATUSES_WITH_PLANNED).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM sync_runs WHERE status = 'PLANNED'")
            .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite_rebuild(manager, STATUSES_WITH_PLANNED, STATUSES).await,
            _ => postgres_check(manager, STATUSES).await,
        }
    }
}
