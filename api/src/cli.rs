//! The `territoires` command line: what each subcommand does.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::config::{DatabaseConfig, LogFormat, ServerConfig};
use crate::error::{Error, Result};
use crate::server::{AppState, serve};
use crate::{db, graphql};

/// Territoires: the directory of the Hauts-de-Seine territory coordinators, as a GraphQL
/// API, with the nightly import of the HR roster.
///
/// With no subcommand, `territoires` serves the API (`serve`). Configuration comes from
/// the environment (or the equivalent flags); with none, data lives in the SQLite file
/// data/territoires.db, created and filled with the reference directory on first start.
#[derive(Debug, Parser)]
#[command(name = "territoires", version, propagate_version = true)]
pub struct Cli {
    /// Where the data lives.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Log format (`RUST_LOG` sets the levels, default `info`).
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the GraphQL API (POST /graphql, GraphiQL on
    /// GET /graphql, /healthz, /readyz) until SIGTERM or Ctrl-C.
    Serve(ServerConfig),
    /// Apply pending migrations (and load the reference data into a new database), then
    /// exit.
    Migrate,
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
}

/// Runs the command; `Err` carries the exit code through [`Error::exit_code`].
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(ServerConfig::parse_from_env()),
    };
    match command {
        Command::Serve(server) => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            let state = AppState::new(db).await?;
            let listener = TcpListener::bind(server.bind_addr).await.map_err(|e| {
                Error::io(
                    format!("cannot listen on {} (BIND_ADDR)", server.bind_addr),
                    e,
                )
            })?;
            serve(listener, state).await?;
        }
        Command::Migrate => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            tracing::info!("database up to date");
        }
        Command::Schema => print!("{}", graphql::sdl()),
    }
    Ok(ExitCode::SUCCESS)
}

impl ServerConfig {
    /// The server settings from the environment alone (for `territoires` with no
    /// subcommand).
    fn parse_from_env() -> Self {
        #[derive(Parser)]
        struct Env {
            #[command(flatten)]
            server: ServerConfig,
        }
        Env::parse_from(["territoires"]).server
    }
}
