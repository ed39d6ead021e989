//! The sheet read and the header row are kept with the run (migration 30), for every
//! outcome where the file was read that far, so that the console's rebuilt reports and
//! annotated copy are those of the import; and the migration goes down and up.

use chrono::Utc;
use entity::{SyncTrigger, sync_run};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, Statement};
use territoires_sync::{SyncReport, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

/// `rows` on a second sheet, "Effectifs", under `title` and a blank line (the header on
/// row 3), after a sheet of notes.
fn second_sheet(title: &str, rows: &[[&str; 7]]) -> Vec<u8> {
    let mut roster = vec![vec![t(title)], vec![]];
    roster.push(HEADER.iter().map(|h| t(h)).collect());
    roster.extend(rows.iter().map(|r| r.iter().map(|c| t(c)).collect()));
    xlsx_sheets(&[
        ("Notes", text_rows(&[&["Liste transmise par la DRH"]])),
        ("Effectifs", roster),
    ])
}

/// The run as stored: (sheet, header row).
async fn stored(db: &DatabaseConnection, report: &SyncReport) -> (Option<String>, Option<i32>) {
    let run = sync_run::Entity::find_by_id(report.run_id.unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    (run.sheet, run.header_row)
}

#[tokio::test]
async fn every_outcome_of_a_read_file_keeps_its_sheet_and_header_row() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let read = (Some("Effectifs".to_owned()), Some(3));

    let mut changed = seeded_rows();
    changed[0][4] = "07 60 77 99 06";
    let planned = import(
        &db,
        "essai.xlsx",
        second_sheet("Essai", &changed),
        &options().dry_run(true),
    )
    .await;
    assert_status(&planned, SyncStatus::Planned);
    let applied = import(
        &db,
        "a.xlsx",
        second_sheet("Appliqué", &changed),
        &options(),
    )
    .await;
    assert_status(&applied, SyncStatus::Applied);
    let same = second_sheet("Pareil", &changed);
    let unchanged = import(&db, "b.xlsx", same.clone(), &options()).await;
    assert_status(&unchanged, SyncStatus::Unchanged);
    let refused = import(
        &db,
        "c.xlsx",
        second_sheet("Tronqué", &changed[..3]),
        &options(),
    )
    .await;
    assert_status(&refused, SyncStatus::Refused);
    let mut wrong = changed.clone();
    wrong[2][5] = "pas-un-courriel";
    let rejected = import(&db, "d.xlsx", second_sheet("Faux", &wrong), &options()).await;
    assert_status(&rejected, SyncStatus::Rejected);
    for report in [&planned, &applied, &unchanged, &refused, &rejected] {
        assert_eq!(
            (report.sheet.clone(), report.header_row.map(|r| r as i32)),
            read,
            "{}",
            report.to_text()
        );
        assert_eq!(stored(&db, report).await, read, "{:?}", report.status);
    }

    // Not read that far: nothing to keep.
    let skipped = import(&db, "b.xlsx", same, &options()).await;
    assert_status(&skipped, SyncStatus::Skipped);
    let headless = import(
        &db,
        "e.xlsx",
        xlsx(text_rows(&[&["Nom", "Prénom"], &["LARA", "Sandrine"]])),
        &options(),
    )
    .await;
    assert_status(&headless, SyncStatus::Rejected);
    let unreadable = import(&db, "f.xlsx", b"PK\x03\x04garbage".to_vec(), &options()).await;
    assert_status(&unreadable, SyncStatus::Rejected);
    for report in [&skipped, &headless, &unreadable] {
        assert_eq!(
            stored(&db, report).await,
            (None, None),
            "{:?}",
            report.status
        );
    }
}

async fn sheet_columns(
    db: &DatabaseConnection,
) -> Result<Vec<(Option<String>, Option<i32>)>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT sheet, header_row FROM sync_runs ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "sheet")?, row.try_get("", "header_row")?)))
        .collect()
}

#[tokio::test]
async fn the_sheet_migration_goes_down_and_up_keeping_the_runs() {
    let database = TestDb::new().await;
    // One connection, as `territoires migrate` runs alone.
    let mut options = sea_orm::ConnectOptions::new(database.url().to_owned());
    options.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(options).await.unwrap();
    let run = sync_run::ActiveModel {
        trigger: Set(SyncTrigger::Cli),
        actor: Set("cli".to_owned()),
        dry_run: Set(true),
        forced: Set(false),
        status: Set(SyncStatus::Rejected),
        started_at: Set(Utc::now()),
        sheet: Set(Some("Effectifs".to_owned())),
        header_row: Set(Some(3)),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    assert_eq!(
        sheet_columns(&db).await.unwrap(),
        [(Some("Effectifs".to_owned()), Some(3))]
    );

    // Down to just before migration 30, past whatever later migrations added since.
    let migrations = Migrator::migrations();
    let at = migrations
        .iter()
        .position(|m| m.name() == "m20261203_000030_sync_run_sheet")
        .unwrap();
    let steps = u32::try_from(migrations.len() - at).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    assert!(sheet_columns(&db).await.is_err(), "the columns are gone");
    let ids = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, status FROM sync_runs",
        ))
        .await
        .unwrap();
    assert_eq!(ids.len(), 1, "the run stays");
    assert_eq!(ids[0].try_get::<i32>("", "id").unwrap(), run.id);

    Migrator::up(&db, None).await.unwrap();
    // Back as for a run recorded before: unknown.
    assert_eq!(sheet_columns(&db).await.unwrap(), [(None, None)]);
    let back = sync_run::Entity::find_by_id(run.id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.status, SyncStatus::Rejected);
    assert_eq!((back.sheet, back.header_row), (None, None));
}
