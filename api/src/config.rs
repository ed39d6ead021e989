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
}

/// How `serve` listens.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address and port to listen on (`0.0.0.0:8080` in a container).
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}
