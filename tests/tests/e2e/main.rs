//! End-to-end tests: the real application, over HTTP, on a real database (SQLite by
//! default, PostgreSQL when `DATABASE_URL` points at one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod health;
mod lookups;
mod reference_data;
mod restart;
