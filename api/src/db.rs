//! Connecting to the database named by `DATABASE_URL` (SQLite or PostgreSQL) and
//! migrating it, safely when several processes start at once.

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
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

/// The database a URL names, for people and reports: `SQLite /abs/path/territoires.db`
/// or `PostgreSQL user@host:5432/territoires` — never a password (neither the URL's nor
/// a `?password=` parameter: the query string is left out).
pub fn describe(url: &str) -> String {
    match Backend::of(url) {
        Ok(Backend::Sqlite) => match sqlite_path(url) {
            Some(path) => format!("SQLite {}", absolute(&path).display()),
            None => "SQLite en mémoire".to_owned(),
        },
        Ok(Backend::Postgres) => {
            let rest = url.split_once("://").map_or("", |(_, rest)| rest);
            let rest = rest.split(['?', '#']).next().unwrap_or_default();
            let named = match rest.rsplit_once('@') {
                Some((user_info, host)) => {
                    let user = user_info.split(':').next().unwrap_or_default();
                    format!("{user}@{host}")
                }
                None => rest.to_owned(),
            };
            format!("PostgreSQL {named}")
        }
        Err(_) => "base de données non prise en charge".to_owned(),
    }
}

/// The file of a SQLite URL (`sqlite://data/territoires.db` → `data/territoires.db`);
/// `None` for an in-memory database.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(std::path::PathBuf::from(path))
    }
}

/// The path made absolute (from the current folder), as it is looked for.
fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// PostgreSQL's `invalid_catalog_name`: the database named in the URL does not exist.
const PG_UNKNOWN_DATABASE: &str = "3D000";

/// Opens a connection pool on a database that must already exist: every command but
/// `serve` and `migrate`, which would otherwise work on a new empty database (a SQLite
/// file created in whatever folder the command ran from). A missing database is
/// [`Error::DatabaseNotFound`] (exit code 2), naming what was looked for.
pub async fn connect_existing(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    if Backend::of(&config.url)? == Backend::Sqlite
        && let Some(path) = sqlite_path(&config.url)
        && !tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file())
    {
        return Err(Error::DatabaseNotFound {
            name: describe(&config.url),
        });
    }
    open(config, false).await
}

/// Opens a connection pool, creating the database if missing (SQLite: the file and its
/// folder; `serve` and `migrate` only). SQLite runs in WAL mode with a busy timeout, so
/// `serve` and a CLI import can share one file.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection> {
    open(config, true).await
}

async fn open(config: &DatabaseConfig, create: bool) -> Result<DatabaseConnection> {
    let backend = Backend::of(&config.url)?;
    let timeout = Duration::from_secs(config.timeout_secs.max(1));
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false);
    match backend {
        Backend::Sqlite => {
            if create {
                create_sqlite_folder(&config.url).await?;
            }
            options
                .max_connections(SQLITE_POOL_SIZE)
                .min_connections(1)
                // Also overrides a `mode=rwc` in the URL when the file must exist.
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.create_if_missing(create)
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
    let mut db = Database::connect(options).await.map_err(|error| {
        if is_unknown_database(&error) {
            Error::DatabaseNotFound {
                name: describe(&config.url),
            }
        } else {
            Error::DatabaseUnreachable(error)
        }
    })?;
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

/// Whether connecting failed because the PostgreSQL database does not exist (`3D000`).
fn is_unknown_database(error: &DbErr) -> bool {
    let DbErr::Conn(RuntimeErr::SqlxError(error)) = error else {
        return false;
    };
    matches!(
        error.as_ref(),
        sea_orm::sqlx::Error::Database(e) if e.code().as_deref() == Some(PG_UNKNOWN_DATABASE)
    )
}

/// Creates the folder of a SQLite file (`sqlite://data/territoires.db` → `data/`).
async fn create_sqlite_folder(url: &str) -> Result<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => {
            tokio::fs::create_dir_all(folder).await.map_err(|e| {
                Error::io(
                    format!("impossible de créer le dossier {}", folder.display()),
                    e,
                )
            })
        }
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
    let txn = entity::transaction::begin_write(db).await?;
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

/// Whether the database serves the data: reads the data version, a one-row table every
/// request depends on. (`DatabaseConnection::ping` would not do: on SQLite it answers
/// from the driver's worker thread without reading the database at all.)
pub async fn ready(db: &DatabaseConnection) -> bool {
    entity::data_version::current(db).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_are_named_without_passwords() {
        assert_eq!(
            describe("postgres://app:s3cret@db.internal:5432/territoires?password=other"),
            "PostgreSQL app@db.internal:5432/territoires"
        );
        assert_eq!(
            describe("postgres://db.internal/territoires"),
            "PostgreSQL db.internal/territoires"
        );
        assert_eq!(describe("sqlite::memory:"), "SQLite en mémoire");
        assert_eq!(
            describe("sqlite:///srv/data/t.db?mode=rwc"),
            "SQLite /srv/data/t.db"
        );
        let relative = describe("sqlite://data/territoires.db");
        assert!(
            relative.starts_with("SQLite /") && relative.ends_with("/data/territoires.db"),
            "{relative}"
        );
    }
}
