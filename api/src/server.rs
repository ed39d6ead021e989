//! The HTTP server: `/graphql` (GET and POST, see [`crate::http::graphql`]), `GET /healthz`
//! (process up), `GET /readyz` (the database serves the data) and `GET /metrics` (Prometheus), with
//! a request id per request, a request body limit, a query timeout, CORS and graceful
//! shutdown. The connection-level guards (timeouts, connection and upload limits) are
//! in [`crate::http`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql_axum::GraphQLResponse;
use axum::Router;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::config::{PersistedOperations, ServerConfig, Switch};
use crate::console;
use crate::directory::DirectoryCache;
use crate::error::{Error, Result};
use crate::events::Events;
use crate::graphql::{AppSchema, QueryLimits, build_schema, errors};
use crate::http::persisted::{self, PersistedQueries};
use crate::http::{self, ConnectionLimits, cors, guards, serve_connections};
use crate::metrics;
use crate::oidc::{OidcConfig, Verifier};
use crate::response_cache::ResponseCache;
use territoires_sync::SyncConfig;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The coherent in-memory directory.
    pub directory: Arc<DirectoryCache>,
    /// The server settings.
    pub config: Arc<ServerConfig>,
    /// Whole responses of repeated reads.
    pub responses: Arc<ResponseCache>,
    /// The documents of automatic persisted queries.
    pub persisted: Arc<PersistedQueries>,
    /// Largest roster file accepted in an upload, in bytes.
    pub upload_limit: u64,
    /// Slots of the uploads received at once (`MAX_CONCURRENT_UPLOADS`).
    pub uploads: Arc<Semaphore>,
    /// The roster sync settings (the console's dashboard reads the drop folder and the
    /// schedule).
    pub sync: Arc<SyncConfig>,
    /// Change events for subscriptions, and their bounds.
    pub events: Arc<Events>,
    /// Slots of the open WebSocket connections (`MAX_CONNECTIONS`: an upgraded
    /// connection leaves the accept loop's count).
    pub ws_connections: Arc<Semaphore>,
    /// The checker of people's access tokens, when an identity provider is configured
    /// (`OIDC_ISSUER`).
    pub oidc: Option<Arc<Verifier>>,
}

impl AppState {
    /// Loads the directory and builds the schema over an open, migrated database.
    pub async fn new(
        db: DatabaseConnection,
        config: ServerConfig,
        sync: SyncConfig,
    ) -> Result<Self> {
        // A CORS entry a browser can never match is a mistake to report, not to ignore.
        cors::origins(&config.cors_origins)?;
        cors::allow_headers(&config.cors_allow_headers)?;
        // Settings are checked now; the provider itself is reached in the background, so
        // an unreachable one does not keep the server from serving public reads.
        let oidc = match OidcConfig::from_settings(&config.oidc)? {
            Some(oidc) => {
                if oidc.console().is_some() && config.public_url.is_none() {
                    return Err(Error::Config(
                        "OIDC_CONSOLE_CLIENT_ID demande PUBLIC_URL : l'adresse de retour \
                         déclarée chez le fournisseur en est tirée \
                         (<PUBLIC_URL>/admin/connexion/oidc/retour)"
                            .to_owned(),
                    ));
                }
                let verifier = Arc::new(Verifier::new(oidc)?);
                verifier.start();
                Some(verifier)
            }
            None => None,
        };
        let mut manifests = vec![crate::operations::manifest()];
        if config.persisted_operations != PersistedOperations::Off {
            for path in &config.persisted_operations_files {
                manifests.push(persisted::load_manifest(path)?);
            }
        }
        let persisted = PersistedQueries::new(config.apq_cache_bytes)
            .with_trusted(config.persisted_operations, manifests);
        let directory = Arc::new(DirectoryCache::load(db.clone()).await?);
        let sync = Arc::new(sync);
        let limits = QueryLimits {
            max_depth: config.max_query_depth,
            max_complexity: config.max_query_complexity,
        };
        let events = Arc::new(Events::new(
            db.clone(),
            config.subscriptions_max,
            Duration::from_millis(config.subscriptions_poll_ms),
        ));
        // Imports left RUNNING by a process that is gone (this one, before a restart).
        if let Err(error) = territoires_sync::fail_abandoned_runs(&db).await {
            tracing::warn!(%error, "cannot mark abandoned imports FAILED");
        }
        Ok(Self {
            ws_connections: Arc::new(Semaphore::new(config.max_connections.clamp(1, 1 << 20))),
            upload_limit: sync.max_file_size,
            uploads: Arc::new(Semaphore::new(
                config.max_concurrent_uploads.clamp(1, 1 << 16),
            )),
            schema: build_schema(
                db.clone(),
                directory.clone(),
                sync.clone(),
                limits,
                events.clone(),
            ),
            events,
            sync,
            db,
            directory,
            responses: Arc::new(ResponseCache::new(config.response_cache_mb * 1024 * 1024)),
            persisted: Arc::new(persisted),
            config: Arc::new(config),
            oidc,
        })
    }
}

/// The router, with its middleware; tests serve it on port 0.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route(
            "/graphql",
            get(http::graphql::get).post(http::graphql::post),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        // People type the address with a trailing slash, which the nested router does
        // not match: send them to the console's own address.
        .route(
            &format!("{}/", console::BASE),
            get(|| async { axum::response::Redirect::permanent(console::BASE) }),
        )
        .nest(
            console::BASE,
            console::router(console::ConsoleState::of(&state)),
        );
    if state.config.graphiql == Switch::On {
        router = router.route(
            &format!("{}/{{*path}}", http::graphiql::ASSETS_PREFIX),
            get(http::graphiql::asset),
        );
    }
    router = router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::x_request_id()),
    );
    if let Some(cors) = cors::layer(&state.config.cors_origins, &state.config.cors_allow_headers) {
        router = router.layer(cors);
    }
    router.with_state(state)
}

/// A GraphQL response with one error and no data.
pub(crate) fn graphql_error(status: StatusCode, error: Error) -> Response {
    let unauthenticated = matches!(error, Error::Unauthenticated(_));
    let mut response = GraphQLResponse::from(errors::error_response(error)).into_response();
    *response.status_mut() = status;
    if unauthenticated {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Request ids: a random prefix per process and a counter, so ids are unique across
/// replicas without a UUID dependency.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let mut bytes = [0u8; 4];
        let _ = getrandom::fill(&mut bytes);
        let prefix = format!("{:08x}", u32::from_be_bytes(bytes));
        Self {
            prefix: prefix.into(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The span of a request: its id (from `x-request-id`, set above or by the client's
/// proxy), method and path — every log line of the request carries them.
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
}

async fn metrics_text(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !guards::metrics_allowed(&headers, state.config.metrics_token.as_deref()) {
        return guards::metrics_refused();
    }
    let version = state.directory.current().await.version;
    let mut body = metrics::global().render(&state.db, version).await;
    metrics::gauge(
        &mut body,
        "territoires_subscriptions_open",
        "Subscriptions open (WebSocket operations and SSE streams), out of SUBSCRIPTIONS_MAX.",
        state.events.open(),
    );
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = tokio::time::timeout(Duration::from_secs(2), crate::db::ready(&state.db))
        .await
        .unwrap_or(false);
    if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Serves `app` on `listener` until `shutdown` resolves (e.g. [`shutdown_signal`]), then
/// lets in-flight requests end for at most `SHUTDOWN_GRACE_SECS`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let address = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the listening address", e))?;
    if state.config.graphiql == Switch::On {
        tracing::info!(%address, "listening; GraphiQL at http://{address}/graphql");
    } else {
        tracing::info!(%address, "listening");
    }
    tracing::info!(
        trusted = state.persisted.trusted_len(),
        mode = ?state.config.persisted_operations,
        "persisted operations"
    );
    let limits = ConnectionLimits::of(&state.config);
    let events = state.events.clone();
    let shutdown = async move {
        shutdown.await;
        // Open subscriptions end now: WebSockets are closed (1001), SSE streams complete.
        events.close();
    };
    serve_connections(listener, app(state), limits, shutdown).await;
    Ok(())
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
