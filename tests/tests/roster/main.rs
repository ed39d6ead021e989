//! Roster import tests: the `territoires-sync` library against real databases (SQLite by
//! default, PostgreSQL when `DATABASE_URL` points at one), fed the shared fixtures and
//! files the tests write themselves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod helpers;

mod annotated;
mod bad_input;
mod bulk;
mod concurrency;
mod drop_folder;
mod fixtures;
mod identity;
mod inbox;
mod interrupted;
mod landline;
mod migration_running;
mod notifications;
mod planning;
mod reading;
mod retention;
mod round_trip;
mod row_checks;
mod run_sheet;
mod running;
mod schedule;
