//! The test harness: a fresh database per test and the real application served on a
//! random port.
//!
//! With no `DATABASE_URL` (or a `sqlite:` one) each test gets a new SQLite file in a
//! temporary folder. With a PostgreSQL `DATABASE_URL`, each test gets its own database,
//! cloned from a template migrated once per change of the migrations, and dropped when
//! the test ends; databases left by crashed runs are swept after two hours.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod app;
mod concurrent;
mod database;
pub mod pg_cluster;
pub mod seed;
pub mod smtp;
pub mod workbook;

pub use app::{
    TestApp, error_code, http_client, spawn_app, spawn_app_configured, spawn_app_on, spawn_app_with,
};
pub use concurrent::join_all;
pub use database::TestDb;
