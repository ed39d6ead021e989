//! The mutations: editing projects, local bodies and partners (EDITOR), collèges and
//! themes (ADMIN).
//!
//! Each resolver resolves the input's names and IDs against the request's snapshot
//! (`BAD_USER_INPUT` with the input path when one is unknown), calls the domain write
//! of [`crate::editing`], then answers from a fresh snapshot that holds the write.

mod colleges;
mod local_bodies;
mod partners;
mod payloads;
mod projects;
mod resolve;
mod roster;
mod themes;

use std::sync::Arc;

use async_graphql::{Context, MergedObject};
use entity::Role;
use sea_orm::DatabaseConnection;

use crate::directory::{DirectoryCache, Snapshot};
use crate::editing::Author;
use crate::error::{Error, Result};
use crate::graphql::access::viewer;

/// The root of every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    projects::ProjectMutation,
    local_bodies::LocalBodyMutation,
    partners::PartnerMutation,
    colleges::CollegeMutation,
    themes::ThemeMutation,
    roster::RosterMutation,
);

/// What a write needs: the database and its author (the token's or the person's name,
/// and the person), obtained in one
/// call once the caller's role is checked, so no mutation can write without both.
pub(crate) struct Writer<'a> {
    /// The primary database.
    pub db: &'a DatabaseConnection,
    /// Who writes, recorded in the audit log.
    pub author: Author,
}

/// The writer of a mutation requiring `role`. Writes are never cached.
pub(crate) fn writer<'a>(ctx: &Context<'a>, role: Role) -> Result<Writer<'a>> {
    crate::response_cache::mark_uncacheable(ctx);
    let viewer = viewer(ctx);
    viewer.require(role)?;
    let name = viewer.actor().ok_or_else(|| {
        Error::Internal("an authenticated request without a token or a person".to_owned())
    })?;
    let db = ctx
        .data_opt::<DatabaseConnection>()
        .ok_or_else(|| Error::Internal("no database in the schema".to_owned()))?;
    Ok(Writer {
        db,
        author: Author::now(name).person(viewer.person.clone()),
    })
}

/// A snapshot holding every write committed so far (this request's included).
pub(crate) async fn fresh(ctx: &Context<'_>) -> Result<Arc<Snapshot>> {
    crate::response_cache::mark_uncacheable(ctx);
    let cache = ctx
        .data_opt::<Arc<DirectoryCache>>()
        .ok_or_else(|| Error::Internal("no directory cache in the schema".to_owned()))?;
    Ok(cache.fresh().await?)
}
