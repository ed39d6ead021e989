//! The HTTP server: `POST /graphql`, GraphiQL on `GET /graphql`, `GET /healthz`
//! (process up) and `GET /readyz` (database reachable), with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::directory::DirectoryCache;
use crate::error::{Error, Result};
use crate::graphql::{AppSchema, build_schema, errors};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The coherent in-memory directory.
    pub directory: Arc<DirectoryCache>,
}

impl AppState {
    /// Loads the directory and builds the schema over an open, migrated database.
    pub async fn new(db: DatabaseConnection) -> Result<Self> {
        let directory = Arc::new(DirectoryCache::load(db.clone()).await?);
        Ok(Self {
            db,
            schema: build_schema(),
            directory,
        })
    }
}

/// The router, with its middleware; tests serve it on port 0.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphql(State(state): State<AppState>, request: GraphQLRequest) -> GraphQLResponse {
    let request = request.into_inner();
    let snapshot = match state.directory.fresh().await {
        Ok(snapshot) => snapshot,
        Err(error) => return errors::error_response(Error::from(error)).into(),
    };
    state.schema.execute(request.data(snapshot)).await.into()
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&state.db))
        .await
        .unwrap_or(false);
    if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, then lets in-flight requests end.
pub async fn serve(listener: TcpListener, state: AppState) -> Result<()> {
    let address = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listening address", e))?;
    tracing::info!(%address, "listening; GraphiQL at http://{address}/graphql");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::io("the HTTP server failed", e))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
