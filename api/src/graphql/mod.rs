//! The GraphQL schema frontend teams build on.
//!
//! Resolvers stay thin. Public reads go through the request's [`Snapshot`] (see
//! [`crate::directory`]), the in-memory read model, and wrap its rows into the types of
//! [`types`]; the administrators' reads (imports, audit log, tokens) and `node` lookups
//! of archived rows query the database directly, and mutations go through
//! [`crate::editing`]. Doc comments on types, fields and arguments are the schema
//! documentation shown in GraphiQL and committed in `schema.graphql`.

pub mod access;
pub mod budget;
pub mod errors;
pub mod ids;
pub mod inputs;
mod mutations;
pub mod nulls;
pub mod pagination;
mod queries;
pub mod subscriptions;
pub mod types;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::directory::{DirectoryCache, Snapshot};
use crate::error::Error;
use crate::events::Events;
pub use mutations::MutationRoot;
pub use subscriptions::SubscriptionRoot;

/// The root of every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    queries::DirectoryQuery,
    queries::WorkQuery,
    queries::SearchQuery,
    queries::NodeQuery,
    queries::AdminQuery,
    queries::ViewerQuery,
);

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The database itself, for the reads the snapshot does not hold (imports, audit log,
/// tokens, archived rows). Such answers change without a data version bump, so taking
/// the connection marks the response uncacheable: the two cannot be forgotten apart.
pub(crate) fn live_db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    crate::response_cache::mark_uncacheable(ctx);
    ctx.data::<DatabaseConnection>()
}

/// Limits that protect the server from hostile or careless queries.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Deepest selection nesting allowed.
    pub max_depth: usize,
    /// Largest complexity allowed (each field counts 1, connections multiply their
    /// selection by the page size).
    pub max_complexity: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_complexity: 5_000,
        }
    }
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// Builds the schema over `db` and its directory cache, with `limits` (applied to
/// subscriptions too) and the process's change `events`. Per-request data (the snapshot
/// and the requester) is added by the HTTP handler.
pub fn build_schema(
    db: DatabaseConnection,
    directory: Arc<DirectoryCache>,
    sync: Arc<territoires_sync::SyncConfig>,
    limits: QueryLimits,
    events: Arc<Events>,
) -> AppSchema {
    // Read once now, so the first request does not pay for it.
    budget::shape();
    nulls::warm_up();
    let problems = DataLoader::new(types::ProblemsLoader(db.clone()), tokio::spawn);
    builder()
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .data(db)
        .data(directory)
        .data(sync)
        .data(problems)
        .data(events)
        .finish()
}

/// Executes a request, gives every error its `extensions.code` and puts failed fields'
/// `null`s where the specification wants them (see [`nulls`]).
pub async fn execute(
    schema: &AppSchema,
    request: async_graphql::Request,
) -> async_graphql::Response {
    // Kept for the rare answer with a field error; async-graphql consumes the request.
    let query = request.query.clone();
    let operation_name = request.operation_name.clone();
    let mut response = schema.execute(request).await;
    repair(&mut response, &query, operation_name.as_deref());
    response
}

/// Runs a subscription (or, over a subscription transport, a query), each event repaired
/// as [`execute`] repairs an answer: codes on every error, failed fields' `null`s where
/// the specification wants them.
pub fn execute_stream(
    schema: &AppSchema,
    request: async_graphql::Request,
) -> impl futures_util::Stream<Item = async_graphql::Response> + Send + 'static {
    // Kept for the rare event with a field error; async-graphql consumes the request.
    let query = request.query.clone();
    let operation_name = request.operation_name.clone();
    futures_util::StreamExt::map(schema.execute_stream(request), move |mut response| {
        repair(&mut response, &query, operation_name.as_deref());
        response
    })
}

/// What both ways of executing do to an answer of `query`: failed fields' `null`s where
/// the specification wants them, then a code on every error.
fn repair(response: &mut async_graphql::Response, query: &str, operation_name: Option<&str>) {
    nulls::propagate(response, query, operation_name);
    errors::classify_all(response);
}

/// The SDL of the schema, as committed in `schema.graphql`, with the `@specifiedBy`
/// URL of each scalar that follows a published specification (code generators map them
/// to types).
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// The snapshot this request is answered from.
pub(crate) fn snapshot<'a>(ctx: &Context<'a>) -> Result<&'a Snapshot, Error> {
    ctx.data_opt::<Arc<Snapshot>>()
        .map(Arc::as_ref)
        .ok_or_else(|| Error::Internal("no directory snapshot in the request".to_owned()))
}
