//! Territoires: the directory of the Département des Hauts-de-Seine's territory
//! coordinators, served as a GraphQL API, with the nightly import of the HR roster.
//!
//! - [`access`]: API tokens, people's access tokens and roles;
//! - [`cli`]: the `territoires` command line and what each subcommand does;
//! - [`config`]: the configuration read from the environment;
//! - [`console`]: the French administration console at `/admin`;
//! - [`db`]: connecting to SQLite or PostgreSQL and migrating;
//! - [`directory`]: the in-memory read model public queries are answered from, and how
//!   it stays coherent with the database;
//! - [`editing`]: the writes of projects, local bodies, partners, collèges and themes,
//!   with version checks and the audit log;
//! - [`graphql`]: the GraphQL schema frontend teams use;
//! - [`http`]: the accept loop and the guards against slow, idle, numerous or
//!   unauthenticated clients;
//! - [`metrics`]: the Prometheus metrics;
//! - [`oidc`]: people's access tokens from an OpenID Connect provider;
//! - [`operations`]: the example operations of `docs/operations/`, embedded;
//! - [`response_cache`]: whole responses of repeated reads, per data version;
//! - [`roster_files`]: the console's uploads, dry runs, applies and roster by territory;
//! - [`roster_runs`]: what administrators read about roster imports;
//! - [`server`]: the HTTP server (GraphQL, health, readiness);
//! - [`telemetry`]: logs (text or JSON) and the request spans they carry;
//! - [`events`]: what subscriptions learn of changes (`LISTEN/NOTIFY` on PostgreSQL,
//!   polling on SQLite), one source per process;
//! - [`error`]: the one error type, mapped to GraphQL codes and exit codes.

pub mod access;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod directory;
pub mod editing;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod oidc;
pub mod operations;
pub mod response_cache;
pub mod roster_files;
pub mod roster_runs;
pub mod server;
pub mod telemetry;

pub use error::{Error, Result};
