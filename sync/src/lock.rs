//! One roster import (or retention purge) at a time, across processes and replicas.
//!
//! PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) taken on a connection
//! set apart from the pool for the job's duration, so the lock lives exactly as long
//! as the job — and dies with the connection if the process does. Imports take the same
//! key as a transaction-level lock on their own connection instead ([`crate::pg`]); the
//! two kinds exclude each other.
//! SQLite: no advisory locks; a row in `sync_locks` (inserted atomically, deleted at the
//! end) with a stale timeout for rows left behind by a crashed process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sqlx::{self, Postgres, pool::PoolConnection};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Arbitrary, fixed advisory lock key: "terrsync".
pub(crate) const ADVISORY_KEY: i64 = 0x7465_7272_7379_6e63;
/// The lock row's name.
const LOCK_NAME: &str = "roster-import";

static HOLDER_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A held import lock; [`ImportLock::release`] it when done.
pub(crate) struct ImportLock {
    inner: Inner,
}

enum Inner {
    Postgres(Option<PoolConnection<Postgres>>),
    Table {
        db: DatabaseConnection,
        holder: String,
        released: bool,
    },
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Custom(format!("advisory lock: {error}"))
}

/// Takes the lock if nobody holds it; `None` if another import does.
pub(crate) async fn try_acquire(
    db: &DatabaseConnection,
    stale_after: Duration,
) -> Result<Option<ImportLock>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            let mut connection = pool.acquire().await.map_err(sqlx_error)?;
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(ADVISORY_KEY)
                .fetch_one(&mut *connection)
                .await
                .map_err(sqlx_error)?;
            Ok(locked.then(|| ImportLock {
                inner: Inner::Postgres(Some(connection)),
            }))
        }
        backend => {
            let holder = format!(
                "{}-{}-{}",
                std::process::id(),
                Utc::now().timestamp_nanos_opt().unwrap_or_default(),
                HOLDER_COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let now = Utc::now().timestamp();
            let stale = now - i64::try_from(stale_after.as_secs()).unwrap_or(i64::MAX);
            // One atomic statement: inserts the row, or takes over a stale one.
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO sync_locks (name, holder, acquired_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                 acquired_at = excluded.acquired_at WHERE sync_locks.acquired_at < $4",
                [
                    LOCK_NAME.into(),
                    holder.clone().into(),
                    now.into(),
                    stale.into(),
                ],
            ))
            .await?;
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT holder FROM sync_locks WHERE name = $1",
                    [LOCK_NAME.into()],
                ))
                .await?;
            let current: Option<String> = row.and_then(|r| r.try_get("", "holder").ok());
            Ok(
                (current.as_deref() == Some(holder.as_str())).then(|| ImportLock {
                    inner: Inner::Table {
                        db: db.clone(),
                        holder,
                        released: false,
                    },
                }),
            )
        }
    }
}

impl ImportLock {
    /// Releases the lock. On PostgreSQL, a connection whose unlock fails is closed rather
    /// than returned to the pool, so no pooled connection ever keeps the lock.
    pub async fn release(mut self) {
        match &mut self.inner {
            Inner::Postgres(slot) => {
                if let Some(mut connection) = slot.take() {
                    let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
                        .bind(ADVISORY_KEY)
                        .fetch_one(&mut *connection)
                        .await;
                    if !matches!(unlocked, Ok(true)) {
                        tracing::warn!("advisory unlock failed: closing the connection");
                        let _ = connection.close().await;
                    }
                }
            }
            Inner::Table {
                db,
                holder,
                released,
            } => {
                let result = db
                    .execute_raw(Statement::from_sql_and_values(
                        db.get_database_backend(),
                        "DELETE FROM sync_locks WHERE name = $1 AND holder = $2",
                        [LOCK_NAME.into(), holder.clone().into()],
                    ))
                    .await;
                if let Err(error) = result {
                    tracing::warn!(%error, "cannot delete the import lock row; it will go stale");
                }
                *released = true;
            }
        }
    }
}

impl Drop for ImportLock {
    /// An import cancelled or panicking mid-way never leaves the lock behind: the
    /// PostgreSQL connection is detached from the pool (closing it ends the session and
    /// its lock); the SQLite row is deleted in the background.
    fn drop(&mut self) {
        match &mut self.inner {
            Inner::Postgres(slot) => {
                if let Some(connection) = slot.take() {
                    drop(connection.detach());
                }
            }
            Inner::Table {
                db,
                holder,
                released,
            } => {
                if *released {
                    return;
                }
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let (db, holder) = (db.clone(), holder.clone());
                    runtime.spawn(async move {
                        let _ = db
                            .execute_raw(Statement::from_sql_and_values(
                                db.get_database_backend(),
                                "DELETE FROM sync_locks WHERE name = $1 AND holder = $2",
                                [LOCK_NAME.into(), holder.into()],
                            ))
                            .await;
                    });
                }
            }
        }
    }
}
