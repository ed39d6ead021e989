//! One roster import (or retention purge) at a time, across processes and replicas.
//!
//! PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) taken on a connection
//! set apart from the pool for the job's duration, so the lock lives exactly as long
//! as the job — and dies with the connection if the process does. Imports take the same
//! key as a transaction-level lock on their own connection instead ([`crate::pg`]); the
//! two kinds exclude each other.
//! SQLite: no advisory locks; a row in `sync_locks` (inserted atomically, deleted at the
//! end) with a stale timeout for rows left behind by a crashed process. The row names its
//! holder's process (see [`new_holder`]): a row left by a process of this same machine that
//! has ended (killed, crashed) is taken over at once instead of after the timeout.

use std::sync::OnceLock;
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

/// A held import lock, whichever database holds it; [`ImportLock::release`] it when done.
pub(crate) struct ImportLock {
    inner: Inner,
}

enum Inner {
    /// A session advisory lock on a connection set apart from the pool.
    Postgres(Option<PoolConnection<Postgres>>),
    /// A transaction-level advisory lock, held by an import's own transaction
    /// ([`crate::pg::PgSession::try_lock`]): its commit or rollback releases it.
    Transaction,
    /// The SQLite lock row.
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
            let holder = new_holder(HOLDER_COUNTER.fetch_add(1, Ordering::Relaxed));
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
            let mut current = lock_holder(db, backend).await?;
            if let Some(previous) = current.as_deref()
                && previous != holder
                && holder_has_ended(previous)
            {
                // Compare-and-swap on the holder: of several processes finding the same
                // dead holder, one takes the row over; the others see a live holder.
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "UPDATE sync_locks SET holder = $1, acquired_at = $2 \
                     WHERE name = $3 AND holder = $4",
                    [
                        holder.clone().into(),
                        now.into(),
                        LOCK_NAME.into(),
                        previous.into(),
                    ],
                ))
                .await?;
                let taken = lock_holder(db, backend).await?;
                if taken.as_deref() == Some(holder.as_str()) {
                    tracing::warn!(
                        previous,
                        "the import lock was left by a process that has ended: taken over"
                    );
                }
                current = taken;
            }
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

/// The holder recorded in the lock row, if there is one.
async fn lock_holder(db: &DatabaseConnection, backend: DbBackend) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT holder FROM sync_locks WHERE name = $1",
            [LOCK_NAME.into()],
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get("", "holder").ok()))
}

/// A fresh holder for the lock row, written as `"{pid}.{start} {machine} {unique} {host}"`
/// (at most 80 characters, the column's width, so no migration was needed):
/// - `pid` and `start`, the process id and its start time (clock ticks after boot, from
///   `/proc/<pid>/stat`): together they name one process even once its id is reused;
/// - `machine`, a digest of the host name, the boot id and the PID namespace: a process
///   id means something only within the same machine, boot and namespace (containers
///   sharing one SQLite file each have their own), `-` where it cannot be known;
/// - `unique`, so that two imports of one process never share a holder;
/// - `host`, the host name (cut to fit), for people reading the row.
///
/// Rows written before this format (`"{pid}-{nanos}-{n}"`) are never taken over early.
pub(crate) fn new_holder(counter: u64) -> String {
    let pid = std::process::id();
    let start = process_state(pid).map_or(0, |state| state.start);
    let machine = machine_id().unwrap_or("-");
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let mut holder = format!("{pid}.{start} {machine} {nanos}-{counter} ");
    for c in host_name().unwrap_or_default().chars() {
        if holder.len() + c.len_utf8() > 80 {
            break;
        }
        if !c.is_whitespace() {
            holder.push(c);
        }
    }
    holder.trim_end().to_owned()
}

/// Whether `holder` names a process of this machine (same host, boot and PID namespace)
/// that has ended. Anything uncertain — another machine, an older row format, a `/proc`
/// that hides other users' processes, a system without `/proc` — answers `false`, and
/// the stale timeout applies: taking over a live import's lock would be worse than
/// waiting.
pub(crate) fn holder_has_ended(holder: &str) -> bool {
    let mut parts = holder.split(' ');
    let (Some(process), Some(machine)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some((pid, start)) = process.split_once('.') else {
        return false;
    };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
        return false;
    };
    if machine_id() != Some(machine) || start == 0 || proc_hides_processes() {
        return false;
    }
    match process_state(pid) {
        ProcessLookup::Gone => true,
        ProcessLookup::Found(state) => state.zombie || state.start != start,
        ProcessLookup::Unknown => false,
    }
}

/// What `/proc/<pid>/stat` tells.
struct ProcessState {
    /// Exited, not yet reaped by its parent: it holds nothing any more.
    zombie: bool,
    /// Start time, in clock ticks after boot.
    start: u64,
}

enum ProcessLookup {
    /// No such process.
    Gone,
    Found(ProcessState),
    /// `/proc` could not say (not Linux, unreadable, unexpected format).
    Unknown,
}

impl ProcessLookup {
    fn map_or<T>(self, default: T, f: impl FnOnce(ProcessState) -> T) -> T {
        match self {
            ProcessLookup::Found(state) => f(state),
            _ => default,
        }
    }
}

fn process_state(pid: u32) -> ProcessLookup {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat,
        // Only a `/proc` that exists (ours is visible) makes an absent entry meaningful.
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                && std::path::Path::new("/proc/self/stat").exists() =>
        {
            return ProcessLookup::Gone;
        }
        Err(_) => return ProcessLookup::Unknown,
    };
    // The command name (field 2) is in parentheses and may hold spaces or parentheses:
    // the fields that follow start after the last `)`. State is field 3, start time 22.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return ProcessLookup::Unknown;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (Some(state), Some(start)) = (fields.first(), fields.get(19)) else {
        return ProcessLookup::Unknown;
    };
    let Ok(start) = start.parse() else {
        return ProcessLookup::Unknown;
    };
    ProcessLookup::Found(ProcessState {
        zombie: matches!(*state, "Z" | "X" | "x"),
        start,
    })
}

/// This machine, boot and PID namespace, as 16 hex digits; `None` without a Linux `/proc`.
fn machine_id() -> Option<&'static str> {
    static MACHINE: OnceLock<Option<String>> = OnceLock::new();
    MACHINE
        .get_or_init(|| {
            let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
            let host = host_name()?;
            let mut digest = crate::import::sha256_hex(
                format!("{host}\n{}\n{}", boot.trim(), namespace.display()).as_bytes(),
            );
            digest.truncate(16);
            Some(digest)
        })
        .as_deref()
}

fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Whether `/proc` is mounted with `hidepid` (other users' processes invisible), where an
/// absent `/proc/<pid>` proves nothing. Unreadable mount table: assume it does.
fn proc_hides_processes() -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return true;
    };
    mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&"/proc") && fields.get(2) == Some(&"proc"))
                .then(|| fields.get(3).copied().unwrap_or_default().to_owned())
        })
        .any(|options| {
            options.split(',').any(|option| {
                option
                    .strip_prefix("hidepid=")
                    .is_some_and(|value| !matches!(value, "0" | "off"))
            })
        })
}

impl ImportLock {
    /// The lock taken by an import's PostgreSQL transaction, which ends with it.
    pub(crate) fn in_transaction() -> Self {
        Self {
            inner: Inner::Transaction,
        }
    }

    /// Releases the lock (a transaction's lock goes with its transaction). On PostgreSQL, a connection whose unlock fails is closed rather
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
            Inner::Transaction => {}
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
            Inner::Transaction => {}
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_fits_its_column_and_names_this_process() {
        let holder = new_holder(7);
        assert!(holder.len() <= 80, "{holder}");
        assert!(
            holder.starts_with(&format!("{}.", std::process::id())),
            "{holder}"
        );
        assert_ne!(new_holder(8), holder);
    }

    #[test]
    fn a_live_holder_is_never_taken_over() {
        assert!(!holder_has_ended(&new_holder(1)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_ended_process_of_this_machine_is_taken_over() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = match process_state(pid) {
            ProcessLookup::Found(state) => state.start,
            ProcessLookup::Gone | ProcessLookup::Unknown => 0,
        };
        child.wait().unwrap();
        let machine = machine_id().unwrap();
        if start != 0 && !proc_hides_processes() {
            assert!(holder_has_ended(&format!(
                "{pid}.{start} {machine} 1-0 host"
            )));
        }
        // This very process, under another start time: its id was reused.
        let me = std::process::id();
        assert!(holder_has_ended(&format!("{me}.1 {machine} 1-0 host")));
    }

    #[test]
    fn uncertain_holders_wait_for_the_timeout() {
        let me = std::process::id();
        let start = process_state(me).map_or(0, |state| state.start);
        for holder in [
            // Rows in the former format.
            format!("{me}-1700000000000000000-0"),
            "999999999-1-0".to_owned(),
            // Another machine (or boot, or PID namespace).
            format!("999999999.{start} 0123456789abcdef 1-0 elsewhere"),
            // Without a machine.
            format!("999999999.{start} - 1-0"),
            String::new(),
            "garbage".to_owned(),
            "x.y z".to_owned(),
        ] {
            assert!(!holder_has_ended(&holder), "{holder:?}");
        }
    }
}
