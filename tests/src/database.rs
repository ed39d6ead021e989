//! Per-test databases: SQLite files or PostgreSQL databases cloned from a template.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use territoires::config::DatabaseConfig;

const PREFIX: &str = "territoires_test_";
const TEMPLATE: &str = concat!("territoires_tpl_", env!("MIGRATIONS_FINGERPRINT"));
/// Leftovers older than this are from crashed runs.
const SWEEP_AFTER_SECS: u64 = 2 * 3600;

static COUNTER: AtomicU32 = AtomicU32::new(0);

enum Kind {
    /// The folder is deleted when the test ends.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A database the test manages itself (e.g. on its own cluster).
    External,
}

/// A database owned by one test, removed when dropped.
pub struct TestDb {
    url: String,
    kind: Kind,
    timeout_secs: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut result = format!("{}/{}", &base[..path_start], name);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

impl TestDb {
    /// A fresh, migrated database of the kind `DATABASE_URL` names (SQLite by default).
    pub async fn new() -> Self {
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::postgres(url).await,
            _ => Self::sqlite().await,
        }
    }

    /// The PostgreSQL server for tests whose case exists only there (locks that hold a
    /// reader back, server-side errors): `DATABASE_URL` when it names PostgreSQL, else
    /// `PG_URL` (set by `.ci/run`). `None` lets a developer without PostgreSQL skip the
    /// test, but under CI (`CI` set) a missing server fails it: a test that silently
    /// checks nothing is worse than a red one.
    pub fn postgres_url() -> Option<String> {
        let url = ["DATABASE_URL", "PG_URL"]
            .into_iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|url| url.starts_with("postgres"));
        if url.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but neither DATABASE_URL nor PG_URL names a PostgreSQL server"
            );
            eprintln!("skipped: needs PostgreSQL (set PG_URL or DATABASE_URL)");
        }
        url
    }

    /// A fresh, migrated PostgreSQL database on [`TestDb::postgres_url`]'s server, whatever
    /// `DATABASE_URL` says.
    pub async fn new_postgres() -> Option<Self> {
        Some(Self::postgres(Self::postgres_url()?).await)
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}/territoires.db", dir.path().display());
        let db = territoires::db::connect(&Self::config_for(&url))
            .await
            .expect("open SQLite");
        territoires::db::migrate(&db).await.expect("migrate SQLite");
        db.close().await.ok();
        Self {
            url,
            kind: Kind::Sqlite(dir),
            timeout_secs: 5,
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        Self::ensure_template(&admin, &admin_url).await;
        sweep(&admin).await;
        let name = format!(
            "{PREFIX}{}_{}_{}",
            now_secs(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        Self {
            url: with_database(&admin_url, &name),
            kind: Kind::Postgres { admin_url, name },
            timeout_secs: 5,
        }
    }

    /// Migrates the template database once per fingerprint of the migrations, under an
    /// advisory lock so parallel test processes build it once.
    async fn ensure_template(admin: &DatabaseConnection, admin_url: &str) {
        let lock = "SELECT pg_advisory_lock(7170)";
        admin.execute_unprepared(lock).await.expect("lock");
        let exists = admin
            .query_one_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                format!("SELECT 1 AS one FROM pg_database WHERE datname = '{TEMPLATE}'"),
            ))
            .await
            .expect("look for the template")
            .is_some();
        if !exists {
            let building = format!("{TEMPLATE}_building");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await
                .expect("drop a half-built template");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {building}"))
                .await
                .expect("create the template");
            let url = with_database(admin_url, &building);
            let db = territoires::db::connect(&Self::config_for(&url))
                .await
                .expect("connect to the template");
            territoires::db::migrate(&db)
                .await
                .expect("migrate the template");
            db.close().await.ok();
            admin
                .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {TEMPLATE}"))
                .await
                .expect("publish the template");
            // Older templates belong to older migrations.
            let old = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!(
                        "SELECT datname FROM pg_database WHERE datname LIKE 'territoires_tpl_%' AND datname <> '{TEMPLATE}'"
                    ),
                ))
                .await
                .unwrap_or_default();
            for row in old {
                if let Ok(name) = row.try_get::<String>("", "datname") {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            }
        }
        admin
            .execute_unprepared("SELECT pg_advisory_unlock(7170)")
            .await
            .expect("unlock");
    }

    /// A database the test created and cleans up itself; connections wait at most
    /// `timeout_secs` for the database.
    pub fn external(url: impl Into<String>, timeout_secs: u64) -> Self {
        Self {
            url: url.into(),
            kind: Kind::External,
            timeout_secs,
        }
    }

    /// The database URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// The configuration pointing at this database.
    pub fn config(&self) -> DatabaseConfig {
        DatabaseConfig {
            timeout_secs: self.timeout_secs,
            ..Self::config_for(&self.url)
        }
    }

    fn config_for(url: &str) -> DatabaseConfig {
        DatabaseConfig {
            pool_size: 8,
            ..DatabaseConfig::new(url)
        }
    }

    /// A new connection pool to this database.
    pub async fn connect(&self) -> DatabaseConnection {
        territoires::db::connect(&self.config())
            .await
            .expect("connect to the test database")
    }
}

/// Drops test databases left by crashed runs.
async fn sweep(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await
        .unwrap_or_default();
    let cutoff = now_secs().saturating_sub(SWEEP_AFTER_SECS);
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .trim_start_matches(PREFIX)
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres { admin_url, name } = &self.kind {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = Database::connect(&admin_url)
                        .await
                        .map_err(std::io::Error::other)?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .map_err(std::io::Error::other)?;
                    admin.close().await.map_err(std::io::Error::other)
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop the test database {}", self.url);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }
}
