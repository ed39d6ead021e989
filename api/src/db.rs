//! Connecting to the database named by `DATABASE_URL` (SQLite or PostgreSQL) and
//! migrating it, safely when several processes start at once.

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseConfig;
use crate::error::{Error, Result};

/// The supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Which database a URL names, without ever echoing the URL (it may hold a password).
    pub fn of(url: &str) -> Result<Self> {
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(Error::UnsupportedDatabaseUrl {
                scheme: scheme.chars().take(20).collect(),
            }),
        }
    }
}

/// SQLite allows one writer at a time; a few connections serve concurrent readers (WAL).
const SQLITE_POOL_SIZE: u32 = 4;

/// Opens a connection pool. SQLite files (and their folder) are created if missing and
/// run in WAL mode with a busy timeout, so `serve` and a CLI import can share one file.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    let backend = Backend::of(&config.url)?;
    let timeout = Duration::from_secs(config.timeout_secs.max(1));
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false);
    match backend {
        Backend::Sqlite => {
            create_sqlite_folder(&config.url)?;
            options
                .max_connections(SQLITE_POOL_SIZE)
                .min_connections(1)
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(timeout.max(Duration::from_secs(5)))
                        .foreign_keys(true)
                });
        }
        Backend::Postgres => {
            options
                .max_connections(config.pool_size.max(1))
                .min_connections(1)
                .set_application_name("territoires");
        }
    }
    let mut db = Database::connect(options)
        .await
        .map_err(Error::DatabaseUnreachable)?;
    let threshold = Duration::from_millis(config.slow_statement_ms);
    db.set_metric_callback(move |info| {
        if info.elapsed >= threshold {
            crate::metrics::global().record_slow_statement();
            // The SQL, never the values: they may hold personal data.
            tracing::warn!(
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                sql = %info.statement.sql,
                "slow SQL statement"
            );
        }
    });
    Ok(db)
}

/// Creates the folder of a SQLite file (`sqlite://data/territoires.db` → `data/`).
fn create_sqlite_folder(url: &str) -> Result<()> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(folder) if !folder.as_os_str().is_empty() => std::fs::create_dir_all(folder)
            .map_err(|e| Error::io(format!("cannot create the folder {}", folder.display()), e)),
        _ => Ok(()),
    }
}

/// An arbitrary, fixed key for the PostgreSQL advisory lock that serialises migrations.
const MIGRATION_LOCK_KEY: i64 = 0x7465_7272_6d69_6772; // "terrmigr"

/// Applies pending migrations (and, on a new database, loads the reference data).
///
/// Runs in one transaction holding a lock — an advisory lock on PostgreSQL, the write
/// lock (`BEGIN IMMEDIATE`) on SQLite — so replicas starting together migrate once.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions::default(),
    };
    let txn = db.begin_with_options(options).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
    }
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
