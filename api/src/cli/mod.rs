//! The `territoires` command line: what each subcommand does.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

mod roster;
mod token;

use std::path::PathBuf;

use crate::config::{DatabaseConfig, LogFormat, ServerConfig, SyncSettings};
use crate::error::{Error, Result};
use crate::server::{AppState, serve, shutdown_signal};
use crate::{db, graphql};
use entity::Role;

/// Territoires: the directory of the Hauts-de-Seine territory coordinators, as a GraphQL
/// API, with the nightly import of the HR roster.
///
/// With no subcommand, `territoires` serves the API (`serve`). Configuration comes from
/// the environment (or the equivalent flags); with none, data lives in the SQLite file
/// data/territoires.db, created and filled with the reference directory on first start.
/// Only `serve` and `migrate` create a database; other commands need an existing one.
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

    /// The roster sync settings.
    #[command(flatten)]
    pub sync: SyncSettings,

    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
// Parsed once at startup: the size of `Serve`'s settings costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the GraphQL API (POST /graphql, GraphiQL on
    /// GET /graphql, /healthz, /readyz) until SIGTERM or Ctrl-C.
    Serve(Box<ServerConfig>),
    /// Apply pending migrations (and load the reference data into a new database), then
    /// exit.
    Migrate,
    /// Print the GraphQL schema (SDL) and exit.
    Schema,
    /// Print the trusted documents of `docs/operations/` as a JSON manifest
    /// (SHA-256 → document, the format of Relay and graphql-codegen's persisted
    /// documents) and exit.
    OperationsManifest,
    /// Import a roster file (.xlsx, .xls, .ods, .csv) now, into an existing database
    /// (named in the report). Exit code 0: applied, unchanged or skipped; 1: rejected or
    /// refused; 2: usage (missing file, missing database); 3: runtime failure (database,
    /// another import running).
    Sync {
        /// The roster file.
        file: PathBuf,
        /// Plan and report without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Import even if the file would deactivate many people or was already imported.
        #[arg(long)]
        force: bool,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Spreadsheets for administrators: an empty template, or the current roster.
    Roster {
        /// Which spreadsheet.
        #[command(subcommand)]
        command: RosterCommand,
    },
    /// Manage the API tokens frontends and tools use (`Authorization: Bearer …`).
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// Roster spreadsheet subcommands.
#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Write an empty roster (.xlsx) with the expected headers, an example row and a
    /// drop-down of territories.
    Template {
        /// Where to write it.
        file: PathBuf,
    },
    /// Write the current roster (.xlsx) in the import format: importing it changes
    /// nothing.
    Export {
        /// Where to write it.
        file: PathBuf,
    },
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it: this is the only time it is shown (only its hash is
    /// stored).
    Create {
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Who holds it, e.g. `portail-public`; unique.
        #[arg(long)]
        name: String,
        /// Days until the token expires (never, by default).
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<u32>,
    },
    /// List the tokens (names, roles, dates; never secrets).
    List,
    /// Revoke a token: it is refused from the next request on, by every server.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// A token role on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    /// Reads everything public and private but administration; writes local bodies,
    /// partners and projects.
    Editor,
    /// Everything, including roster imports, sync runs, the audit log and tokens.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Runs the command; `Err` carries the exit code through [`Error::exit_code`].
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(Box::new(ServerConfig::parse_from_env())),
    };
    match command {
        Command::Serve(server) => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            let mut sync = cli.sync.to_config();
            sync.public_url = server.public_url.clone();
            let state = AppState::new(db.clone(), (*server).clone(), sync.clone()).await?;
            let listener = TcpListener::bind(server.bind_addr).await.map_err(|e| {
                Error::io(
                    format!("impossible d'écouter sur {} (BIND_ADDR)", server.bind_addr),
                    e,
                )
            })?;
            let scheduler = if cli.sync.schedule {
                Some(roster::start_schedule(db, sync).await?)
            } else {
                None
            };
            // The grace period counts from the signal and covers the nightly import too.
            let signalled = std::sync::Arc::new(std::sync::OnceLock::new());
            let signal = {
                let signalled = signalled.clone();
                async move {
                    shutdown_signal().await;
                    let _ = signalled.set(std::time::Instant::now());
                }
            };
            let served = serve(listener, state, signal).await;
            let grace = std::time::Duration::from_secs(server.shutdown_grace_secs);
            let left = signalled.get().map_or(grace, |at: &std::time::Instant| {
                (*at + grace).saturating_duration_since(std::time::Instant::now())
            });
            if let Some(scheduler) = scheduler
                && let Err(error) = scheduler.stop(left).await
            {
                tracing::warn!(%error, "the roster schedule did not stop cleanly");
            }
            served?;
        }
        Command::Migrate => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            tracing::info!("database up to date");
        }
        Command::Schema => print!("{}", graphql::sdl()),
        Command::OperationsManifest => print!("{}", crate::operations::manifest_json()),
        Command::Sync {
            file,
            dry_run,
            force,
            json,
        } => {
            let db = db::connect_existing(&cli.database).await?;
            db::migrate(&db).await?;
            let database = db::describe(&cli.database.url);
            let request = roster::SyncRequest {
                file: &file,
                database: &database,
                dry_run,
                force,
                json,
            };
            return roster::sync(&db, &cli.sync, request).await;
        }
        Command::Roster { command } => {
            let db = db::connect_existing(&cli.database).await?;
            db::migrate(&db).await?;
            roster::spreadsheet(&db, command).await?;
        }
        Command::Token { command } => {
            let db = db::connect_existing(&cli.database).await?;
            db::migrate(&db).await?;
            token::run(&db, command).await?;
        }
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
