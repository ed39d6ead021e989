//! Runs recorded when they start: an import inserts its sync run as `RUNNING` before it
//! reads the file, reports its progress there (throttled: at most one write every
//! [`PROGRESS_INTERVAL`], plus a heartbeat every [`HEARTBEAT`] while nothing moves), and
//! gives the run its outcome when it ends. The console and the API's subscriptions read
//! the progress from the database, so they see imports run by any process.
//!
//! A `RUNNING` run whose process is gone (killed, crashed, the machine restarted) would
//! stay `RUNNING` forever; it becomes `FAILED`, with a French message, when:
//! - an import takes the import lock: no other import can be running, so every
//!   non-dry `RUNNING` run is an orphan (this covers a SQLite lock taken over because it
//!   was stale or its holder has ended);
//! - [`fail_abandoned_runs`] finds its heartbeat older than [`ABANDONED_AFTER`], or its
//!   holder names a process of this machine that has ended (the server calls it at
//!   startup and periodically).
//!
//! The progress writer uses the pool, outside the import's transaction: on PostgreSQL
//! the import's own connection holds an uncommitted transaction that nobody else sees.
//! Its writes touch only the progress columns, and only while the run is `RUNNING`, so a
//! late one never undoes the outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{SyncStatus, sync_run};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use tokio::sync::{oneshot, watch};

use crate::import::{ImportOptions, Phase, Progress, ProgressHook};

/// Shortest time between two progress writes of one run.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);

/// Longest time between two writes of a running import, even when its progress does not
/// move (one long step): its heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// A `RUNNING` run whose heartbeat is older than this belongs to a process that is gone.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(120);

/// The message of a run found abandoned (read by administrators).
pub const ABANDONED_MESSAGE: &str = "Import interrompu : le processus qui l'exécutait s'est \
     arrêté (arrêt ou redémarrage du serveur, plantage). Rien n'a été modifié ; relancez \
     l'import.";

static HOLDER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Inserts the run of an import that starts, `RUNNING`; returns its id.
pub(crate) async fn insert(
    db: &DatabaseConnection,
    options: &ImportOptions,
    file_name: &str,
    sha: &str,
    started_at: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let holder = crate::lock::new_holder(HOLDER_COUNTER.fetch_add(1, Ordering::Relaxed));
    let run = sync_run::ActiveModel {
        id: NotSet,
        trigger: Set(options.trigger),
        actor: Set(options.actor.clone()),
        author_subject: Set(options.person.as_ref().map(|p| p.subject.clone())),
        author_name: Set(options.person.as_ref().and_then(|p| p.name.clone())),
        author_email: Set(options.person.as_ref().and_then(|p| p.email.clone())),
        file_name: Set(Some(file_name.to_owned())),
        file_sha256: Set(Some(sha.to_owned())),
        dry_run: Set(options.dry_run),
        forced: Set(options.force),
        status: Set(SyncStatus::Running),
        added: Set(0),
        updated: Set(0),
        moved: Set(0),
        deactivated: Set(0),
        reactivated: Set(0),
        unchanged: Set(0),
        plan: Set(None),
        message: Set(None),
        started_at: Set(started_at),
        finished_at: Set(None),
        phase: Set(Some(Phase::Reading)),
        progress_done: Set(Some(0)),
        progress_total: Set(Some(1)),
        progress_at: Set(Some(started_at)),
        holder: Set(Some(holder)),
        // Known once the file is read: recorded with the outcome.
        sheet: Set(None),
        header_row: Set(None),
    };
    Ok(sync_run::Entity::insert(run).exec(db).await?.last_insert_id)
}

/// The change that marks a run abandoned.
fn abandoned(now: DateTime<Utc>) -> sync_run::ActiveModel {
    sync_run::ActiveModel {
        status: Set(SyncStatus::Failed),
        finished_at: Set(Some(now)),
        message: Set(Some(ABANDONED_MESSAGE.to_owned())),
        ..Default::default()
    }
}

/// Marks `FAILED` every non-dry `RUNNING` run: called by an import that has just taken
/// the import lock, so none of them can still be running. Returns how many.
pub(crate) async fn fail_orphans_of_lock(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let now = Utc::now();
    let result = sync_run::Entity::update_many()
        .set(abandoned(now))
        .filter(sync_run::Column::Status.eq(SyncStatus::Running))
        .filter(sync_run::Column::DryRun.eq(false))
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        tracing::warn!(
            runs = result.rows_affected,
            "running imports left by a process that is gone: marked FAILED"
        );
    }
    Ok(result.rows_affected)
}

/// Marks `FAILED` every `RUNNING` run whose process is gone: its heartbeat is older than
/// [`ABANDONED_AFTER`], or its holder is a process of this machine that has ended.
/// Returns how many. Cheap when nothing runs (one indexed read of the running runs).
pub async fn fail_abandoned_runs(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let now = Utc::now();
    let running: Vec<(i32, Option<DateTime<Utc>>, Option<String>)> = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::Id)
        .column(sync_run::Column::ProgressAt)
        .column(sync_run::Column::Holder)
        .filter(sync_run::Column::Status.eq(SyncStatus::Running))
        .limit(1000)
        .into_tuple()
        .all(db)
        .await?;
    let stale_before = now
        - chrono::Duration::from_std(ABANDONED_AFTER).unwrap_or_else(|_| chrono::Duration::zero());
    let mut failed = 0;
    for (id, progress_at, holder) in running {
        let silent = progress_at.is_none_or(|at| at < stale_before);
        let ended = holder.as_deref().is_some_and(crate::lock::holder_has_ended);
        if !(silent || ended) {
            continue;
        }
        let result = sync_run::Entity::update_many()
            .set(abandoned(now))
            .filter(sync_run::Column::Id.eq(id))
            .filter(sync_run::Column::Status.eq(SyncStatus::Running))
            .exec(db)
            .await?;
        failed += result.rows_affected;
    }
    if failed > 0 {
        tracing::warn!(
            runs = failed,
            "running imports whose process is gone: marked FAILED"
        );
    }
    Ok(failed)
}

/// Writes a running import's progress to its run, throttled, from a task of its own.
pub(crate) struct ProgressWriter {
    latest: Arc<watch::Sender<Option<Progress>>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ProgressWriter {
    /// Starts writing the progress of run `run_id`.
    pub(crate) fn spawn(db: DatabaseConnection, run_id: i32) -> Self {
        let (latest, mut seen) = watch::channel(None::<Progress>);
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut written: Option<Progress> = None;
            let mut last_write = tokio::time::Instant::now();
            let mut tick = tokio::time::interval(PROGRESS_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    _ = &mut stopped => break,
                    _ = tick.tick() => {}
                }
                let current = *seen.borrow_and_update();
                let moved = current.is_some() && current != written;
                if !moved && last_write.elapsed() < HEARTBEAT {
                    continue;
                }
                match write(&db, run_id, current.filter(|_| moved)).await {
                    Ok(()) => {
                        written = current;
                        last_write = tokio::time::Instant::now();
                    }
                    // Progress is a courtesy: the import goes on without it.
                    Err(error) => tracing::debug!(%error, run_id, "cannot record progress"),
                }
            }
        });
        Self {
            latest: Arc::new(latest),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The last progress reported (the hook keeps updating it after the writer stops).
    pub(crate) fn latest(&self) -> Arc<watch::Sender<Option<Progress>>> {
        self.latest.clone()
    }

    /// The hook that hands progress to the writer (cheap: no I/O).
    pub(crate) fn hook(&self) -> ProgressHook {
        let latest = self.latest.clone();
        Arc::new(move |progress| {
            latest.send_replace(Some(progress));
        })
    }

    /// Stops the writer once its write in flight, if any, is done.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ProgressWriter {
    fn drop(&mut self) {
        // An import that ended by an error: the writer stops at its next tick.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One write: the progress (when it moved) and the heartbeat, only while `RUNNING`.
async fn write(
    db: &DatabaseConnection,
    run_id: i32,
    progress: Option<Progress>,
) -> Result<(), DbErr> {
    let mut change = sync_run::ActiveModel {
        progress_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    if let Some(progress) = progress {
        change.phase = Set(Some(progress.phase));
        change.progress_done = Set(Some(i64::try_from(progress.done).unwrap_or(i64::MAX)));
        change.progress_total = Set(Some(i64::try_from(progress.total).unwrap_or(i64::MAX)));
    }
    sync_run::Entity::update_many()
        .set(change)
        .filter(sync_run::Column::Id.eq(run_id))
        .filter(sync_run::Column::Status.eq(SyncStatus::Running))
        .exec(db)
        .await?;
    Ok(())
}

/// `first` then `second`, as one hook.
pub(crate) fn both(first: Option<ProgressHook>, second: ProgressHook) -> ProgressHook {
    match first {
        None => second,
        Some(first) => Arc::new(move |progress| {
            first(progress);
            second(progress);
        }),
    }
}
