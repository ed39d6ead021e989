//! One import at a time: a second attempt while one runs is recorded as BUSY and does
//! nothing — across connection pools, and across processes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use territoires_sync::{Phase, RosterSource, SyncError, SyncStatus, import_roster};

use crate::helpers::*;
use territoires_tests::TestDb;

/// Options whose progress hook parks the import (lock held) until `release` is set.
fn parking_options(
    holding: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
) -> territoires_sync::ImportOptions {
    let parked = Arc::new(AtomicBool::new(false));
    options().with_progress(Arc::new(move |p| {
        if p.phase == Phase::Validating && !parked.swap(true, Ordering::SeqCst) {
            holding.store(true, Ordering::SeqCst);
            // Blocking here is the point: the first import holds the lock meanwhile.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while !release.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }))
}

/// Runs an import that parks once it holds the lock, on a thread and runtime of its own:
/// parking blocks that thread, which must not be one of the test runtime's workers
/// (tasks queued on a blocked worker would stall with it).
fn spawn_parked_import(
    url: String,
    bytes: Vec<u8>,
    holding: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<territoires_sync::SyncReport, SyncError>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let db = sea_orm::Database::connect(url).await.unwrap();
            let options = parking_options(holding, release);
            import_roster(&db, RosterSource::bytes("a.xlsx", bytes), &options).await
        })
    })
}

async fn wait_for(flag: &AtomicBool) {
    for _ in 0..3000 {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the first import never started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_import_while_one_runs_is_busy() {
    let database = TestDb::new().await;
    let second_pool = database.connect().await;
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice";
    let (holding, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let first = spawn_parked_import(
        database.url().to_owned(),
        roster(&rows),
        holding.clone(),
        release.clone(),
    );
    wait_for(&holding).await;

    let second = import_roster(
        &second_pool,
        RosterSource::bytes("b.xlsx", roster(&seeded_rows())),
        &options(),
    )
    .await;
    let error = second.unwrap_err();
    assert!(
        matches!(error, SyncError::Busy { run_id: Some(_) }),
        "{error}"
    );
    assert_eq!(error.exit_code(), 3);
    // A dry run takes no lock: it still plans while the import runs.
    let preview = import_roster(
        &second_pool,
        RosterSource::bytes("c.xlsx", roster(&seeded_rows())),
        &options().dry_run(true),
    )
    .await
    .unwrap();
    assert_status(&preview, SyncStatus::Unchanged);

    release.store(true, Ordering::SeqCst);
    let first = tokio::task::spawn_blocking(move || first.join().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_status(&first, SyncStatus::Applied);

    let statuses: Vec<_> = runs(&second_pool)
        .await
        .iter()
        .map(|r| (r.file_name.clone().unwrap(), r.status))
        .collect();
    assert!(
        statuses.contains(&("b.xlsx".to_owned(), SyncStatus::Busy)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("a.xlsx".to_owned(), SyncStatus::Applied)),
        "{statuses:?}"
    );

    // The lock was released: the next import runs.
    let after = import(&second_pool, "d.xlsx", roster(&seeded_rows()), &options()).await;
    assert_status(&after, SyncStatus::Applied);
}

const CHILD_DB: &str = "ROSTER_TEST_CHILD_DATABASE_URL";
const CHILD_FILE: &str = "ROSTER_TEST_CHILD_FILE";

/// Run by `two_processes_never_import_at_once` in a child process (ignored otherwise):
/// imports the file and prints the outcome.
#[tokio::test]
#[ignore = "run as a child process by two_processes_never_import_at_once"]
async fn child_process_import() {
    let (Ok(url), Ok(file)) = (std::env::var(CHILD_DB), std::env::var(CHILD_FILE)) else {
        return;
    };
    let db = sea_orm::Database::connect(url).await.unwrap();
    let outcome = match import_roster(&db, RosterSource::path(file), &options()).await {
        Ok(report) => format!("{:?}", report.status),
        Err(SyncError::Busy { .. }) => "BUSY".to_owned(),
        Err(error) => format!("ERROR {error}"),
    };
    println!("CHILD-OUTCOME={outcome}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_import_at_once() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("b.xlsx");
    std::fs::write(&file, roster(&seeded_rows())).unwrap();

    let (holding, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice";
    let first = spawn_parked_import(
        database.url().to_owned(),
        roster(&rows),
        holding.clone(),
        release.clone(),
    );
    wait_for(&holding).await;

    // This very test binary, running only the child test, in another process.
    let (url, child_file) = (database.url().to_owned(), file.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "concurrency::child_process_import",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DB, url)
            .env(CHILD_FILE, child_file)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    release.store(true, Ordering::SeqCst);
    assert!(
        stdout.contains("CHILD-OUTCOME=BUSY"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first = tokio::task::spawn_blocking(move || first.join().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_status(&first, SyncStatus::Applied);
    let busy = runs(&db)
        .await
        .into_iter()
        .filter(|r| r.status == SyncStatus::Busy)
        .count();
    assert_eq!(busy, 1);
}

/// An import the database refuses half-way (here a trigger rejecting new people, on
/// PostgreSQL during the `COPY`) is recorded as FAILED, leaves the roster as it was and
/// releases the lock: the next import runs instead of finding it BUSY.
#[tokio::test]
async fn a_failed_import_changes_nothing_and_releases_the_lock() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let refuse = if database.is_postgres() {
        vec![
            "CREATE FUNCTION refuse_newcomers() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'newcomers refused by the test'; END $$",
            "CREATE TRIGGER refuse_newcomers BEFORE INSERT ON coordinators \
             FOR EACH ROW EXECUTE FUNCTION refuse_newcomers()",
        ]
    } else {
        vec![
            "CREATE TRIGGER refuse_newcomers BEFORE INSERT ON coordinators \
             BEGIN SELECT RAISE(ABORT, 'newcomers refused by the test'); END",
        ]
    };
    for statement in &refuse {
        db.execute_unprepared(statement).await.unwrap();
    }
    let before = snapshot(&db).await;
    // A newcomer and a change to a seeded person: both must be rolled back.
    let mut rows = seeded_rows();
    rows[0][2] = "Coordinatrice principale";
    rows.push([
        "NOUVEAU",
        "Alix",
        "Coordonnatrice de territoire 1",
        "Territoire 1",
        "06 11 22 33 44",
        "anouveau@hauts-de-seine.fr",
        "",
    ]);
    let bytes = roster(&rows);

    let failed = import_roster(
        &db,
        RosterSource::bytes("r.xlsx", bytes.clone()),
        &options(),
    )
    .await;
    let Err(SyncError::Failed { run_id, .. }) = failed else {
        panic!("the import fails: {failed:?}");
    };
    assert_eq!(snapshot(&db).await, before, "nothing changed");
    let recorded = runs(&db).await;
    let last = recorded.last().unwrap();
    assert_eq!(Some(last.id), run_id);
    assert_eq!(last.status, SyncStatus::Failed);

    let drop = if database.is_postgres() {
        "DROP TRIGGER refuse_newcomers ON coordinators"
    } else {
        "DROP TRIGGER refuse_newcomers"
    };
    db.execute_unprepared(drop).await.unwrap();
    let report = import(&db, "r.xlsx", bytes, &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!((report.counts.added, report.counts.updated), (1, 1));
}
