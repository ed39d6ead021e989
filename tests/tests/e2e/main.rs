//! End-to-end tests: the real application, over HTTP, on a real database (SQLite by
//! default, PostgreSQL when `DATABASE_URL` points at one).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod audit;
mod auth;
mod commune_lookup;
mod connections;
mod console;
mod console_history;
mod console_provider;
mod console_upload;
mod date_time;
mod editing_others;
mod editing_projects;
mod exposure;
mod graphiql;
mod graphql_http;
mod hardening;
mod health;
mod hostile_uploads;
mod lists;
mod lookups;
mod maps;
mod node;
mod null_propagation;
mod observability;
mod oidc;
mod paging_both_ways;
mod partner_kinds;
mod persisted_operations;
mod projects;
mod query_budget;
mod read_contract;
mod reference_data;
mod replicas;
mod response_cache;
mod restart;
mod roster_api;
mod roster_modes;
mod search;
mod search_kinds;
mod search_more;
mod search_ranked;
mod statements;
mod subscriptions;
