//! The `territoires` command line: what each subcommand does.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::config::{DatabaseConfig, LogFormat, ServerConfig};
use crate::error::{Error, Result};
use crate::server::{AppState, serve};
use crate::{access, db, graphql};
use entity::Role;

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
    /// Manage the API tokens frontends and tools use (`Authorization: Bearer …`).
    Token {
        /// What to do with tokens.
        #[command(subcommand)]
        command: TokenCommand,
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
        None => Command::Serve(ServerConfig::parse_from_env()),
    };
    match command {
        Command::Serve(server) => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            let state = AppState::new(db, server.clone()).await?;
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
        Command::Token { command } => {
            let db = db::connect(&cli.database).await?;
            db::migrate(&db).await?;
            run_token(&db, command).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_token(db: &sea_orm::DatabaseConnection, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            role,
            name,
            expires_in,
        } => {
            let token = access::create_token(db, &name, role.into(), expires_in).await?;
            eprintln!("Token {name:?} created. Store it now: it will not be shown again.");
            println!("{token}");
        }
        TokenCommand::List => {
            println!(
                "{:<30} {:<7} {:<20} {:<20} revoked",
                "name", "role", "created", "expires"
            );
            for t in access::list_tokens(db).await? {
                let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map_or_else(
                        || "-".to_owned(),
                        |d| d.format("%Y-%m-%d %H:%M").to_string(),
                    )
                };
                println!(
                    "{:<30} {:<7} {:<20} {:<20} {}",
                    t.name,
                    entity::Labelled::code(t.role),
                    date(Some(t.created_at)),
                    date(t.expires_at),
                    date(t.revoked_at)
                );
            }
        }
        TokenCommand::Revoke { name } => {
            access::revoke_token(db, &name).await?;
            eprintln!("Token {name:?} revoked.");
        }
    }
    Ok(())
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
