//! Where subscriptions learn what changed: one source per process, fanned out to every
//! subscriber with `tokio::sync::broadcast` (never one database connection per
//! subscriber).
//!
//! - PostgreSQL: `LISTEN` on the channels the triggers of `data_version` and `sync_runs`
//!   notify on commit (migration `m20261203_000025_sync_status_running`), on one
//!   connection set apart from the pool: changes made by any process (another replica,
//!   the command line, the nightly import) arrive at once. After the connection was lost
//!   (notifications may have been missed meanwhile) the current state is read again.
//! - SQLite: the data version and the runs that are `RUNNING` or new are read every
//!   `SUBSCRIPTIONS_POLL_MS` (one small indexed statement each).
//!
//! Each run is told once more when first seen ([`Events::started_runs`]): the import
//! records its run `RUNNING` before reading the file, so a client learns the id of the
//! import it started and follows it. What existed when the source started is not news.
//!
//! The source starts with the first subscription, so a server nobody subscribes to
//! spends nothing on it. It also marks `FAILED` the running imports whose process is gone
//! ([`territoires_sync::fail_abandoned_runs`]), every [`REAP_EVERY`].
//!
//! A new data version is broadcast with the kinds of change it (and any version merged
//! into it) made, read from the versions' records: one statement per new version and
//! process, none when nobody listens.
//!
//! It also holds the bounds shared by both transports: the subscription slots
//! (`SUBSCRIPTIONS_MAX`) and the shutdown signal that ends every open subscription.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use entity::{DataChangeKind, Labelled, SyncStatus, data_change, data_version, sync_run};
use sea_orm::sea_query::Expr;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, Iterable,
    QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore, broadcast, watch};

use crate::error::{Error, Result};

/// The channel `data_version`'s trigger notifies, with the new version.
pub const DATA_CHANNEL: &str = "territoires_data_version";
/// The channel `sync_runs`' trigger notifies, with the run's id.
pub const RUNS_CHANNEL: &str = "territoires_sync_runs";
/// How often running imports whose process is gone are looked for.
pub const REAP_EVERY: Duration = Duration::from_secs(30);
/// Events kept for a slow subscriber; one that falls further behind skips to the
/// latest (a data version supersedes the ones before it).
const BACKLOG: usize = 64;
/// Run ids remembered as seen, to tell a new run from a changed one; older ones are
/// below the floor and never news.
const SEEN_RUNS: usize = 1024;
/// Runs read at most per look (SQLite), so a burst stays bounded.
const RUNS_PER_POLL: u64 = 100;

/// A sync run as subscriptions see it (without its plan, which may weigh megabytes).
pub type RunEvent = Arc<sync_run::Model>;

/// A new data version and what changed since the one broadcast before it, read once per
/// process from the versions' records ([`data_change`]) rather than from a notification,
/// so that versions merged by polling (SQLite) or missed while the connection was lost
/// (PostgreSQL) are told too.
#[derive(Clone, Debug)]
pub struct DataEvent {
    /// The version broadcast before: `kinds` covers the versions after it.
    pub after: i64,
    /// The version now.
    pub version: i64,
    /// What the versions in (`after`, `version`] changed.
    pub kinds: Arc<[DataChangeKind]>,
}

/// What the versions in (`after`, `upto`] changed, or every kind when the records cannot
/// be read: "something changed" is the safe answer for a subscriber.
pub async fn changed_kinds(db: &DatabaseConnection, after: i64, upto: i64) -> Vec<DataChangeKind> {
    data_change::kinds_between(db, after, upto)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "subscriptions: cannot read what changed");
            DataChangeKind::ALL.to_vec()
        })
}

/// The process's source of change events and its subscription bounds.
pub struct Events {
    db: DatabaseConnection,
    data: broadcast::Sender<DataEvent>,
    runs: broadcast::Sender<RunEvent>,
    new_runs: broadcast::Sender<RunEvent>,
    started: OnceCell<()>,
    poll_every: Duration,
    slots: Arc<Semaphore>,
    max: usize,
    closing: watch::Sender<bool>,
}

impl Events {
    /// Events over `db`, with at most `max` subscriptions at once and, on SQLite, a look
    /// every `poll_every` (bounded to 100 ms – 60 s).
    pub fn new(db: DatabaseConnection, max: usize, poll_every: Duration) -> Self {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            db,
            data: broadcast::channel(BACKLOG).0,
            runs: broadcast::channel(BACKLOG).0,
            new_runs: broadcast::channel(BACKLOG).0,
            started: OnceCell::new(),
            poll_every: poll_every.clamp(Duration::from_millis(100), Duration::from_secs(60)),
            slots: Arc::new(Semaphore::new(max)),
            max,
            closing: watch::channel(false).0,
        }
    }

    /// One of the `SUBSCRIPTIONS_MAX` slots, held by a subscription while it is open.
    pub fn slot(&self) -> Result<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().map_err(|_| {
            Error::TooManySubscriptions(format!(
                "the server holds its maximum of {} subscriptions (SUBSCRIPTIONS_MAX): \
                 close one or try again later",
                self.max
            ))
        })
    }

    /// Subscriptions open now.
    pub fn open(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    /// New data versions, from the moment of the call (the source is started first).
    pub async fn data_versions(&self) -> Result<broadcast::Receiver<DataEvent>> {
        self.start().await?;
        Ok(self.data.subscribe())
    }

    /// Changes of sync runs, from the moment of the call.
    pub async fn runs(&self) -> Result<broadcast::Receiver<RunEvent>> {
        self.start().await?;
        Ok(self.runs.subscribe())
    }

    /// Sync runs seen for the first time (started, usually still `RUNNING`), from the
    /// moment of the call.
    pub async fn started_runs(&self) -> Result<broadcast::Receiver<RunEvent>> {
        self.start().await?;
        Ok(self.new_runs.subscribe())
    }

    /// Resolves once the server shuts down.
    pub async fn closed(closing: &mut watch::Receiver<bool>) {
        let _ = closing.wait_for(|closing| *closing).await;
    }

    /// Flips to `true` when the server shuts down: every subscription ends.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends every subscription (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Reads run `id` as subscriptions see it.
    pub async fn run(&self, id: i32) -> Result<Option<RunEvent>> {
        Ok(read_runs(&self.db, sync_run::Column::Id.eq(id), 1)
            .await?
            .into_iter()
            .next())
    }

    /// Starts the source once; a failed start is tried again by the next subscription.
    async fn start(&self) -> Result<()> {
        self.started
            .get_or_try_init(|| async {
                match self.db.get_database_backend() {
                    DbBackend::Postgres => self.start_listening().await,
                    _ => self.start_polling().await,
                }
            })
            .await?;
        Ok(())
    }

    async fn start_listening(&self) -> Result<()> {
        let pool = self.db.get_postgres_connection_pool();
        let listen = |error: sea_orm::sqlx::Error| {
            Error::Database(DbErr::Custom(format!("LISTEN for subscriptions: {error}")))
        };
        let mut listener = PgListener::connect_with(pool).await.map_err(listen)?;
        listener
            .listen_all([DATA_CHANNEL, RUNS_CHANNEL])
            .await
            .map_err(listen)?;
        let version = data_version::current(&self.db).await?;
        let newest = newest_run(&self.db).await?;
        let source = Source {
            db: self.db.clone(),
            data: self.data.clone(),
            runs: self.runs.clone(),
            new_runs: self.new_runs.clone(),
            seen: SeenRuns::after(newest),
            version,
        };
        tokio::spawn(source.listen(listener));
        tracing::info!("subscriptions: listening to PostgreSQL notifications");
        Ok(())
    }

    async fn start_polling(&self) -> Result<()> {
        let version = data_version::current(&self.db).await?;
        let mut source = Source {
            db: self.db.clone(),
            data: self.data.clone(),
            runs: self.runs.clone(),
            new_runs: self.new_runs.clone(),
            seen: SeenRuns::after(0),
            version,
        };
        let mut poller = Poller::default();
        // What exists now is not news.
        poller.look(&mut source, false).await?;
        source.seen = SeenRuns::after(poller.last_id);
        tokio::spawn(source.poll(poller, self.poll_every));
        tracing::info!(
            every_ms = self.poll_every.as_millis(),
            "subscriptions: polling SQLite"
        );
        Ok(())
    }
}

/// The task that reads changes and broadcasts them.
struct Source {
    db: DatabaseConnection,
    data: broadcast::Sender<DataEvent>,
    runs: broadcast::Sender<RunEvent>,
    new_runs: broadcast::Sender<RunEvent>,
    seen: SeenRuns,
    /// The last data version broadcast.
    version: i64,
}

/// The run ids seen, to tell a run that starts from one that changes. PostgreSQL may
/// notify runs out of id order (two inserts commit in either order), hence a set rather
/// than the newest id.
struct SeenRuns {
    /// Ids up to this one are not news (they existed at start, or fell out of `ids`).
    floor: i32,
    ids: BTreeSet<i32>,
}

impl SeenRuns {
    fn after(floor: i32) -> Self {
        Self {
            floor,
            ids: BTreeSet::new(),
        }
    }

    /// Whether run `id` is seen for the first time (and remembers it).
    fn first_sight(&mut self, id: i32) -> bool {
        if id <= self.floor || !self.ids.insert(id) {
            return false;
        }
        while self.ids.len() > SEEN_RUNS {
            if let Some(oldest) = self.ids.pop_first() {
                self.floor = oldest;
            }
        }
        true
    }
}

impl Source {
    /// Broadcasts a run's change, and its start when it is new.
    fn run_seen(&mut self, run: RunEvent) {
        if self.seen.first_sight(run.id) {
            // No receiver is not an error: nobody listens right now.
            let _ = self.new_runs.send(run.clone());
        }
        let _ = self.runs.send(run);
    }

    async fn version_seen(&mut self, version: i64) {
        if version <= self.version {
            return;
        }
        let after = std::mem::replace(&mut self.version, version);
        // Nobody listens right now: no need to read what changed. A subscriber that
        // comes later reads it itself (its `after` differs from the event's).
        if self.data.receiver_count() == 0 {
            return;
        }
        let kinds = changed_kinds(&self.db, after, version).await;
        let event = DataEvent {
            after,
            version,
            kinds: kinds.into(),
        };
        // No receiver left is not an error.
        let _ = self.data.send(event);
    }

    async fn listen(mut self, mut listener: PgListener) {
        let mut reap = tokio::time::interval(REAP_EVERY);
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => {
                        let payload = notification.payload();
                        if notification.channel() == DATA_CHANNEL {
                            if let Ok(version) = payload.trim().parse::<i64>() {
                                self.version_seen(version).await;
                            }
                        } else if let Ok(id) = payload.trim().parse::<i32>() {
                            self.run_changed(id).await;
                        }
                    }
                    // The connection was lost (sqlx reconnects at the next call):
                    // what was notified meanwhile is read again.
                    Ok(None) => {
                        tracing::warn!("subscriptions: PostgreSQL notifications interrupted");
                        self.catch_up().await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "subscriptions: cannot receive notifications");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        self.catch_up().await;
                    }
                },
                _ = reap.tick() => reap_abandoned(&self.db).await,
            }
        }
    }

    /// Reads the data version and the running runs, after notifications may have been
    /// missed.
    async fn catch_up(&mut self) {
        if let Ok(version) = data_version::current(&self.db).await {
            self.version_seen(version).await;
        }
        let filter = sync_run::Column::Status.eq(SyncStatus::Running);
        if let Ok(runs) = read_runs(&self.db, filter, RUNS_PER_POLL).await {
            for run in runs {
                self.run_seen(run);
            }
        }
    }

    async fn run_changed(&mut self, id: i32) {
        match read_runs(&self.db, sync_run::Column::Id.eq(id), 1).await {
            Ok(runs) => {
                for run in runs {
                    self.run_seen(run);
                }
            }
            Err(error) => tracing::warn!(%error, id, "subscriptions: cannot read a run"),
        }
    }

    async fn poll(mut self, mut poller: Poller, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reap = tokio::time::interval(REAP_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(error) = poller.look(&mut self, true).await {
                        tracing::warn!(%error, "subscriptions: cannot read changes");
                    }
                }
                _ = reap.tick() => reap_abandoned(&self.db).await,
            }
        }
    }
}

/// What the SQLite poller has seen of the runs.
#[derive(Default)]
struct Poller {
    /// The newest run seen.
    last_id: i32,
    /// Runs seen `RUNNING`, with what was last broadcast of them.
    running: HashMap<i32, RunState>,
}

/// What makes a run's change news.
type RunState = (
    SyncStatus,
    Option<entity::SyncPhase>,
    Option<i64>,
    Option<i64>,
);

impl Poller {
    /// One look: the data version, then the runs that are new, running or were running.
    async fn look(&mut self, source: &mut Source, broadcast: bool) -> Result<(), DbErr> {
        let version = data_version::current(&source.db).await?;
        if broadcast {
            source.version_seen(version).await;
        } else {
            source.version = version;
        }
        let tracked: Vec<i32> = self.running.keys().copied().collect();
        let filter = Condition::any()
            .add(sync_run::Column::Id.gt(self.last_id))
            .add(sync_run::Column::Status.eq(SyncStatus::Running))
            .add(sync_run::Column::Id.is_in(tracked));
        let runs = read_runs(&source.db, filter, RUNS_PER_POLL).await?;
        for run in runs {
            self.last_id = self.last_id.max(run.id);
            let state = (run.status, run.phase, run.progress_done, run.progress_total);
            let news = self.running.get(&run.id) != Some(&state);
            if run.status == SyncStatus::Running {
                self.running.insert(run.id, state);
            } else {
                self.running.remove(&run.id);
            }
            if broadcast && news {
                source.run_seen(run);
            }
        }
        Ok(())
    }
}

async fn reap_abandoned(db: &DatabaseConnection) {
    if let Err(error) = territoires_sync::fail_abandoned_runs(db).await {
        tracing::warn!(%error, "cannot mark abandoned imports FAILED");
    }
}

/// The newest run's id (0 when there is none).
async fn newest_run(db: &DatabaseConnection) -> Result<i32, DbErr> {
    let newest: Option<Option<i32>> = sync_run::Entity::find()
        .select_only()
        .column_as(sync_run::Column::Id.max(), "newest")
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.flatten().unwrap_or(0))
}

/// Runs matching `filter`, oldest first, without their plan.
async fn read_runs(
    db: &DatabaseConnection,
    filter: impl sea_orm::sea_query::IntoCondition,
    limit: u64,
) -> Result<Vec<RunEvent>, DbErr> {
    let columns = sync_run::Column::iter().filter(|c| !matches!(c, sync_run::Column::Plan));
    let runs = sync_run::Entity::find()
        .select_only()
        .columns(columns)
        .column_as(Expr::value(Option::<String>::None), "plan")
        .filter(filter)
        .order_by_asc(sync_run::Column::Id)
        .limit(limit)
        .into_model::<sync_run::Model>()
        .all(db)
        .await?;
    Ok(runs.into_iter().map(Arc::new).collect())
}
