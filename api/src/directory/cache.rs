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
use std::time::Instant;

use entity::data_version;
use sea_orm::DatabaseConnection;
use tokio::sync::Mutex;

use super::snapshot::Snapshot;

struct State {
    snapshot: Arc<Snapshot>,
    /// When the last completed version read started.
    checked_at: Option<Instant>,
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
                checked_at: Some(Instant::now()),
            }),
        })
    }

    /// A snapshot at least as recent as every write committed before this call.
    pub async fn fresh(&self) -> Result<Arc<Snapshot>, sea_orm::DbErr> {
        let arrived = Instant::now();
        let mut state = self.state.lock().await;
        if state.checked_at.is_some_and(|checked| checked >= arrived) {
            return Ok(state.snapshot.clone());
        }
        let started = Instant::now();
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
        state.checked_at = Some(started);
        Ok(state.snapshot.clone())
    }

    /// The snapshot in memory, without checking the database (for diagnostics).
    pub async fn current(&self) -> Arc<Snapshot> {
        self.state.lock().await.snapshot.clone()
    }
}
