//! An import killed mid-way (the process gone, SIGKILL: no destructor, no rollback sent)
//! leaves the previous roster intact, and does not keep the next import out: PostgreSQL
//! drops the transaction and its advisory lock with the connection; on SQLite the lock
//! row left behind names a process that has ended, and is taken over at once. The run
//! recorded `RUNNING` at the start stays so until the next import takes the lock and
//! marks it `FAILED`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use territoires_sync::{Phase, RosterSource, SyncStatus, import_roster};

use crate::helpers::*;
use territoires_tests::TestDb;

const CHILD_DB: &str = "ROSTER_TEST_INTERRUPTED_DATABASE_URL";
const CHILD_FILE: &str = "ROSTER_TEST_INTERRUPTED_FILE";
/// Printed by the child once it has written rows inside its transaction.
const PARKED: &str = "CHILD-PARKED";

/// The file the child imports: a title changed and a person gone, so the first Applying
/// step (deactivations) writes rows before the hook parks.
fn changed_roster() -> Vec<u8> {
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice principale";
    rows.pop();
    // AMIEL covers territory 7 after ROUSTIT (no territory left vacant: not refused).
    let mut interim = rows[5];
    interim[3] = "Territoire 7";
    rows.push(interim);
    roster(&rows)
}

/// Run by `an_import_killed_mid_way_changes_nothing` in a child process (ignored
/// otherwise): imports the file and parks in the Applying phase once rows are written,
/// inside the uncommitted transaction, until the parent kills it.
#[tokio::test]
#[ignore = "run as a child process by an_import_killed_mid_way_changes_nothing"]
async fn child_parked_import() {
    let (Ok(url), Ok(file)) = (std::env::var(CHILD_DB), std::env::var(CHILD_FILE)) else {
        return;
    };
    let db = sea_orm::Database::connect(url).await.unwrap();
    let parked = Arc::new(AtomicBool::new(false));
    let options = options().with_progress(Arc::new(move |p| {
        // `done > 0` in Applying is reported only after rows were written (sync/src/apply).
        if p.phase == Phase::Applying && p.done > 0 && !parked.swap(true, Ordering::SeqCst) {
            println!("{PARKED}");
            // Blocking the import's thread is the point: the transaction stays open.
            std::thread::sleep(Duration::from_secs(120));
            // Never let the import go on if the parent failed to kill us.
            std::process::exit(2);
        }
    }));
    let outcome = import_roster(&db, RosterSource::path(file), &options).await;
    println!("CHILD-FINISHED {outcome:?}");
}

/// Runs the child import and waits until it is parked mid-transaction.
fn start_parked_child(url: String, file: std::path::PathBuf) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "interrupted::child_parked_import",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DB, url)
        .env(CHILD_FILE, file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // The child exits by itself (timeout) if something goes wrong, so this ends.
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains(PARKED) {
            return child;
        }
        seen.push(line);
    }
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let _ = child.kill();
    let _ = child.wait();
    panic!("the child never parked:\n{}\n{stderr}", seen.join("\n"));
}

/// Waits until PostgreSQL has ended the killed client's session, i.e. no session holds
/// an advisory lock in this database any more.
async fn wait_for_advisory_locks_to_go(db: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*)::int8 AS n FROM pg_locks l JOIN pg_database d \
                 ON d.oid = l.database WHERE l.locktype = 'advisory' \
                 AND d.datname = current_database()",
            ))
            .await
            .unwrap()
            .unwrap();
        let held: i64 = row.try_get("", "n").unwrap();
        if held == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the killed import's advisory lock outlived it"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_mid_way_changes_nothing() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = snapshot(&db).await;
    let runs_before = runs(&db).await.len();
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("interrupted.xlsx");
    std::fs::write(&file, changed_roster()).unwrap();

    let (url, child_file) = (database.url().to_owned(), file.clone());
    let mut child = tokio::task::spawn_blocking(move || start_parked_child(url, child_file))
        .await
        .unwrap();
    if database.is_postgres() {
        // The child's transaction is open and has written (a transaction id is assigned
        // at the first write).
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*)::int8 AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND backend_xid IS NOT NULL \
                 AND state = 'idle in transaction'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<i64>("", "n").unwrap(),
            1,
            "the child has written"
        );
    }
    // Parked mid-transaction: readers still see the previous roster.
    assert_eq!(snapshot(&db).await, before, "nothing visible before commit");
    // SIGKILL: no destructor runs, no rollback is sent, the lock is not released.
    child.kill().unwrap();
    // Reaped, as a service manager or shell would: a zombie is still a process entry.
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success(), "{status:?}");

    assert_eq!(snapshot(&db).await, before, "the previous roster is intact");
    // Only the run recorded at the start is left, RUNNING, with the progress it made.
    let left = runs(&db).await;
    assert_eq!(left.len(), runs_before + 1, "only the started run");
    let orphan = left.last().unwrap().clone();
    assert_eq!(orphan.status, SyncStatus::Running);
    assert_eq!(orphan.file_name.as_deref(), Some("interrupted.xlsx"));
    assert!(orphan.holder.is_some() && orphan.progress_at.is_some());

    if database.is_postgres() {
        wait_for_advisory_locks_to_go(&db).await;
    }
    // The next import runs at once: not BUSY (SQLite: long before the 30-minute timeout).
    let started = Instant::now();
    let report = import(&db, "again.xlsx", changed_roster(), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(
        (report.counts.updated, report.counts.deactivated),
        (1, 1),
        "{}",
        report.to_text()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_ne!(snapshot(&db).await, before);
    // Taking the lock, the next import found the orphan and ended it, in French.
    let orphan = runs(&db)
        .await
        .into_iter()
        .find(|run| run.id == orphan.id)
        .unwrap();
    assert_eq!(orphan.status, SyncStatus::Failed);
    assert_eq!(
        orphan.message.as_deref(),
        Some(territoires_sync::ABANDONED_MESSAGE)
    );
    assert!(orphan.finished_at.is_some());
    if !database.is_postgres() {
        // The lock row was taken over, then released.
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n FROM sync_locks",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);
    }
}
