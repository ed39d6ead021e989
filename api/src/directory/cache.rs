//! Keeps the in-memory snapshot coherent with the database, across processes.
//!
//! Each request asks [`DirectoryCache::fresh`] for a snapshot. The cache reads the data
//! version (`SELECT … FROM data_version`) with a read that *started after the request
//! arrived*, and reloads the snapshot when the version moved. Concurrent requests share
//! one such read: a request waiting behind a read that started after it arrived uses
//! that read's answer. So a write committed by any process before a request arrives is
//! always visible to it, for the price of at most one small statement per request and
//! far fewer under load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use entity::data_version;
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

use super::snapshot::Snapshot;

/// How long a failed read of the database answers for later requests.
const FAILURE_HOLD: Duration = Duration::from_secs(1);

struct State {
    snapshot: Arc<Snapshot>,
    /// When the last completed version read started, and whether it failed (why).
    checked: Option<(Instant, Option<String>)>,
    /// When the last failed read ended.
    failed_at: Option<Instant>,
}

/// The shared, coherent directory cache.
pub struct DirectoryCache {
    db: DatabaseConnection,
    state: Mutex<State>,
}

impl DirectoryCache {
    /// Loads the first snapshot.
    pub async fn load(db: DatabaseConnection) -> Result<Self, sea_orm::DbErr> {
        let snapshot = Snapshot::load(&db).await?;
        Ok(Self {
            db,
            state: Mutex::new(State {
                snapshot: Arc::new(snapshot),
                checked: Some((Instant::now(), None)),
                failed_at: None,
            }),
        })
    }

    /// A snapshot at least as recent as every write committed before this call.
    ///
    /// When the database cannot be read, the requests that were waiting for that read,
    /// and those arriving within a second after it, fail with it at once instead of each
    /// waiting for a connection in turn: with the database down, requests fail fast.
    pub async fn fresh(&self) -> Result<Arc<Snapshot>, sea_orm::DbErr> {
        let arrived = Instant::now();
        let mut state = self.state.lock().await;
        if let Some((checked, failure)) = &state.checked {
            match failure {
                None if *checked >= arrived => return Ok(state.snapshot.clone()),
                // Circuit breaker: for a moment after a failed read, fail at once rather
                // than wait for a connection the database will not give.
                Some(why)
                    if *checked >= arrived
                        || state
                            .failed_at
                            .is_some_and(|at| at.elapsed() < FAILURE_HOLD) =>
                {
                    return Err(sea_orm::DbErr::Custom(why.clone()));
                }
                _ => {}
            }
        }
        let started = Instant::now();
        match self.refresh(&mut state).await {
            Ok(()) => {
                state.checked = Some((started, None));
                Ok(state.snapshot.clone())
            }
            Err(error) => {
                state.checked = Some((started, Some(error.to_string())));
                state.failed_at = Some(Instant::now());
                Err(error)
            }
        }
    }

    /// Reloads the snapshot if the data version moved.
    async fn refresh(&self, state: &mut State) -> Result<(), sea_orm::DbErr> {
        let version = data_version::current(&self.db).await?;
        if version != state.snapshot.version {
            let snapshot = Snapshot::load(&self.db).await?;
            tracing::info!(
                from = state.snapshot.version,
                to = snapshot.version,
                "directory reloaded"
            );
            state.snapshot = Arc::new(snapshot);
            crate::metrics::global().record_reload();
        }
        Ok(())
    }

    /// The snapshot in memory, without checking the database (for diagnostics).
    pub async fn current(&self) -> Arc<Snapshot> {
        self.state.lock().await.snapshot.clone()
    }
}
