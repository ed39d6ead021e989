//! The GraphQL schema frontend teams build on.
//!
//! Resolvers stay thin: they read the request's [`Snapshot`] (see [`crate::directory`])
//! through the domain functions it offers and wrap rows into the types below. Doc
//! comments on types and fields are the schema documentation shown in GraphiQL.

mod college;
mod commune;
mod coordinator;
mod directory_query;
pub mod errors;
pub mod ids;
mod territory;

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, EmptySubscription, MergedObject, Schema};

use crate::directory::Snapshot;
use crate::error::Error;

pub use college::College;
pub use commune::Commune;
pub use coordinator::Coordinator;
pub use territory::Territory;

/// The root of every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(directory_query::DirectoryQuery);

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema. Per-request data (the snapshot) is added by the HTTP handler.
pub fn build_schema() -> AppSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .extension(errors::ErrorCodes)
        .finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// The snapshot this request is answered from.
pub(crate) fn snapshot<'a>(ctx: &Context<'a>) -> Result<&'a Snapshot, Error> {
    ctx.data_opt::<Arc<Snapshot>>()
        .map(Arc::as_ref)
        .ok_or_else(|| Error::Internal("no directory snapshot in the request".to_owned()))
}
