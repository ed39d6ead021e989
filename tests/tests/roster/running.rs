//! Runs are recorded when they start (`RUNNING`, with their progress and heartbeat),
//! given their outcome when they end, and marked `FAILED` when their process is gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use entity::{SyncTrigger, sync_run};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use territoires_sync::{
    ABANDONED_MESSAGE, Phase, RosterSource, SyncError, SyncStatus, fail_abandoned_runs,
    import_roster, sha256_hex,
};

use crate::helpers::*;
use territoires_tests::TestDb;

/// Runs an import of `bytes` that parks at the start of validation until `release`, on
/// a runtime of its own with two workers: the parked hook blocks one, the progress
/// writer goes on on the other.
fn spawn_parked_import(
    url: String,
    bytes: Vec<u8>,
    dry_run: bool,
    parked: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<territoires_sync::SyncReport, SyncError>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let db = sea_orm::Database::connect(url).await.unwrap();
            let once = Arc::new(AtomicBool::new(false));
            let options = options().dry_run(dry_run).with_progress(Arc::new(move |p| {
                if p.phase == Phase::Validating && !once.swap(true, Ordering::SeqCst) {
                    parked.store(true, Ordering::SeqCst);
                    let deadline = std::time::Instant::now() + Duration::from_secs(30);
                    while !release.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }));
            import_roster(&db, RosterSource::bytes("running.xlsx", bytes), &options).await
        })
    })
}

async fn wait_until(flag: &AtomicBool) {
    for _ in 0..3000 {
        if flag.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the import never parked");
}

/// The run is visible `RUNNING` (from another connection) while the import runs, with
/// the progress its writer recorded, then ends with its outcome under the same id.
async fn recorded_while_running(dry_run: bool, expected: SyncStatus) {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = runs(&db).await.len();
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice";
    let (parked, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let import = spawn_parked_import(
        database.url().to_owned(),
        roster(&rows),
        dry_run,
        parked.clone(),
        release.clone(),
    );
    wait_until(&parked).await;
    let running = runs(&db).await;
    assert_eq!(running.len(), before + 1);
    let run = running.last().unwrap().clone();
    assert_eq!(run.status, SyncStatus::Running);
    assert_eq!(run.dry_run, dry_run);
    assert!(run.finished_at.is_none());
    assert!(run.holder.is_some());
    // The reading step was reported and written (at most half a second later).
    let mut progress = run.clone();
    for _ in 0..100 {
        if progress.progress_done == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        progress = sync_run::Entity::find_by_id(run.id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        (
            progress.phase,
            progress.progress_done,
            progress.progress_total
        ),
        (Some(Phase::Reading), Some(1), Some(1))
    );
    // A running import is not abandoned.
    assert_eq!(fail_abandoned_runs(&db).await.unwrap(), 0);

    release.store(true, Ordering::SeqCst);
    let report = tokio::task::spawn_blocking(move || import.join().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_status(&report, expected);
    assert_eq!(
        report.run_id,
        Some(run.id),
        "the same run, given its outcome"
    );
    let done = runs(&db).await;
    assert_eq!(done.len(), before + 1);
    let run = done.last().unwrap();
    assert_eq!(run.status, expected);
    assert!(run.finished_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_recorded_running_then_applied() {
    recorded_while_running(false, SyncStatus::Applied).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_is_recorded_running_then_planned() {
    recorded_while_running(true, SyncStatus::Planned).await;
}

/// A run inserted as a crashed process would leave it.
async fn orphan(db: &sea_orm::DatabaseConnection, silent_for: chrono::Duration, sha: &str) -> i32 {
    let at = Utc::now() - silent_for;
    sync_run::ActiveModel {
        trigger: Set(SyncTrigger::Cli),
        actor: Set("cli".to_owned()),
        file_name: Set(Some("lost.xlsx".to_owned())),
        file_sha256: Set(Some(sha.to_owned())),
        dry_run: Set(true),
        forced: Set(false),
        status: Set(SyncStatus::Running),
        started_at: Set(at),
        progress_at: Set(Some(at)),
        phase: Set(Some(Phase::Validating)),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn a_running_run_silent_for_long_becomes_failed() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let silent = orphan(&db, chrono::Duration::minutes(10), "a").await;
    let alive = orphan(&db, chrono::Duration::seconds(5), "b").await;
    assert_eq!(fail_abandoned_runs(&db).await.unwrap(), 1);
    let runs = runs(&db).await;
    let silent = runs.iter().find(|r| r.id == silent).unwrap();
    assert_eq!(silent.status, SyncStatus::Failed);
    assert_eq!(silent.message.as_deref(), Some(ABANDONED_MESSAGE));
    assert!(silent.finished_at.is_some());
    let alive = runs.iter().find(|r| r.id == alive).unwrap();
    assert_eq!(alive.status, SyncStatus::Running, "its heartbeat is recent");
    // Nothing left to do the second time.
    assert_eq!(fail_abandoned_runs(&db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_running_run_does_not_count_as_the_last_import() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice";
    let bytes = roster(&rows);
    // The same file, still running elsewhere: not "already imported".
    let id = orphan(&db, chrono::Duration::seconds(1), &sha256_hex(&bytes)).await;
    let mut running: sync_run::ActiveModel = sync_run::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .into();
    running.dry_run = Set(false);
    running.update(&db).await.unwrap();
    let report = import(&db, "same.xlsx", bytes, &options()).await;
    assert_status(&report, SyncStatus::Applied);
    // Holding the lock, the import marked the non-dry orphan FAILED.
    let orphan = sync_run::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(orphan.status, SyncStatus::Failed);
}
