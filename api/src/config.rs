//! The configuration, read from the environment (or the equivalent flags) in one place.
//!
//! Every setting has a documented default so `territoires` runs with none; errors name
//! the variable at fault.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://data/territoires.db",
        hide_env_values = true,
        global = true
    )]
    pub url: String,

    /// Maximum connections in the pool (PostgreSQL; SQLite uses at most 4).
    #[arg(
        long = "database-pool-size",
        env = "DATABASE_POOL_SIZE",
        default_value_t = 16,
        global = true
    )]
    pub pool_size: u32,

    /// Seconds to wait for a database connection before failing the request.
    #[arg(
        long = "database-timeout",
        env = "DATABASE_TIMEOUT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub timeout_secs: u64,

    /// Statements slower than this many milliseconds are logged (their SQL, never their
    /// parameters) and counted in the metrics.
    #[arg(
        long = "slow-statement-ms",
        env = "SLOW_STATEMENT_MS",
        default_value_t = 250,
        global = true
    )]
    pub slow_statement_ms: u64,
}

impl DatabaseConfig {
    /// The defaults, for the database at `url` (tests, tools).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 16,
            timeout_secs: 5,
            slow_statement_ms: 250,
        }
    }
}

/// How `serve` listens and what it accepts.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address and port to listen on (`0.0.0.0:8080` in a container).
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,

    /// Origins allowed to call the API from a browser, comma-separated
    /// (`https://annuaire.hauts-de-seine.fr,https://outils.example`), or `*`; none by
    /// default.
    #[arg(long = "cors-origins", env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest accepted GraphQL request body, in bytes (file uploads have their own limit).
    #[arg(long = "max-body-bytes", env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Deepest selection nesting a query may have.
    #[arg(
        long = "max-query-depth",
        env = "GRAPHQL_MAX_DEPTH",
        default_value_t = 16
    )]
    pub max_query_depth: usize,

    /// Largest complexity a query may have (a field counts 1; a connection multiplies its
    /// selection by its page size).
    #[arg(
        long = "max-query-complexity",
        env = "GRAPHQL_MAX_COMPLEXITY",
        default_value_t = 5_000
    )]
    pub max_query_complexity: usize,

    /// Seconds a query may run before it is stopped.
    #[arg(
        long = "query-timeout",
        env = "QUERY_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub query_timeout_secs: u64,

    /// Memory for whole responses of repeated reads, in MiB (0 disables the cache).
    /// Entries are dropped whenever the data changes.
    #[arg(
        long = "response-cache-mb",
        env = "RESPONSE_CACHE_MB",
        default_value_t = 64
    )]
    pub response_cache_mb: usize,
}

impl ServerConfig {
    /// The defaults, listening on `bind_addr` (for tests and embedding).
    pub fn on(bind_addr: SocketAddr) -> Self {
        Self {
            response_cache_mb: 64,
            bind_addr,
            cors_origins: Vec::new(),
            max_body_bytes: 256 * 1024,
            max_query_depth: 16,
            max_query_complexity: 5_000,
            query_timeout_secs: 10,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}
