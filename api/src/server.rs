//! The HTTP server: `POST /graphql`, GraphiQL on `GET /graphql`, `GET /healthz`
//! (process up), `GET /readyz` (database reachable) and `GET /metrics` (Prometheus), with
//! a request id per request, a request body limit, a query timeout, CORS and graceful
//! shutdown. The connection-level guards (timeouts, connection and upload limits) are
//! in [`crate::http`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_graphql::ParseRequestError;
use async_graphql::http::{GraphiQLSource, MultipartOptions};
use async_graphql_axum::GraphQLResponse;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, State};
use axum::http::HeaderName;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::access::authenticate;
use crate::config::ServerConfig;
use crate::console;
use crate::directory::DirectoryCache;
use crate::error::{Error, Result};
use crate::graphql::{self, AppSchema, QueryLimits, budget, build_schema, errors};
use crate::http::guards::{self, BodyKind};
use crate::http::{ConnectionLimits, serve_connections};
use crate::metrics;
use crate::response_cache::{ResponseCache, Stored, Uncacheable};
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
    /// Largest roster file accepted in an upload, in bytes.
    pub upload_limit: u64,
    /// Slots of the uploads received at once (`MAX_CONCURRENT_UPLOADS`).
    pub uploads: Arc<Semaphore>,
    /// The roster sync settings (the console's dashboard reads the drop folder and the
    /// schedule).
    pub sync: Arc<SyncConfig>,
}

impl AppState {
    /// Loads the directory and builds the schema over an open, migrated database.
    pub async fn new(
        db: DatabaseConnection,
        config: ServerConfig,
        sync: SyncConfig,
    ) -> Result<Self> {
        let directory = Arc::new(DirectoryCache::load(db.clone()).await?);
        let sync = Arc::new(sync);
        let limits = QueryLimits {
            max_depth: config.max_query_depth,
            max_complexity: config.max_query_complexity,
        };
        Ok(Self {
            upload_limit: sync.max_file_size,
            uploads: Arc::new(Semaphore::new(
                config.max_concurrent_uploads.clamp(1, 1 << 16),
            )),
            schema: build_schema(db.clone(), directory.clone(), sync.clone(), limits),
            sync,
            db,
            directory,
            responses: Arc::new(ResponseCache::new(config.response_cache_mb * 1024 * 1024)),
            config: Arc::new(config),
        })
    }
}

/// The router, with its middleware; tests serve it on port 0.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .nest(
            console::BASE,
            console::router(console::ConsoleState::of(&state)),
        )
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::x_request_id()),
        );
    if let Some(cors) = cors(&state.config.cors_origins) {
        router = router.layer(cors);
    }
    router.with_state(state)
}

/// The CORS layer for the configured origins; none when no origin is configured.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(
                [CONTENT_TYPE, AUTHORIZATION]
                    .into_iter()
                    .chain(guards::PREFLIGHT_HEADERS.map(HeaderName::from_static))
                    .collect::<Vec<_>>(),
            )
            .max_age(Duration::from_secs(3600)),
    )
}

/// A GraphQL request read from the body: JSON (up to `MAX_BODY_BYTES`) or, for roster
/// uploads, a GraphQL multipart request (one file, up to `SYNC_MAX_FILE_SIZE`). The
/// stock extractor sets no multipart limit and accepts any content type; this one
/// checks the content type, and for an upload the ADMIN token and a free upload slot,
/// before reading anything, and reads the body within `BODY_TIMEOUT_SECS`. An upload's
/// [`guards::UploadSlot`] goes in the request's data, for `importRoster` to keep.
pub struct GraphQLBody(pub async_graphql::Request);

impl FromRequest<AppState> for GraphQLBody {
    type Rejection = Response;

    async fn from_request(request: Request<Body>, state: &AppState) -> Result<Self, Response> {
        let kind = guards::body_kind(request.headers()).map_err(IntoResponse::into_response)?;
        // Held by the request (and by `importRoster` while the import runs), not by this
        // extractor: the import, not the receipt, is what the slots bound.
        let upload_slot = match kind {
            BodyKind::Multipart => Some(guards::admit_upload(request.headers(), state).await?),
            BodyKind::Json => None,
        };
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let upload_limit = usize::try_from(state.upload_limit).unwrap_or(usize::MAX);
        // Room for the operations and map parts around the file.
        let limit = match kind {
            BodyKind::Multipart => upload_limit.saturating_add(64 * 1024),
            BodyKind::Json => state.config.max_body_bytes,
        };
        let timeout = Duration::from_secs(state.config.body_timeout_secs.max(1));
        let bytes = guards::read_body(request.into_body(), limit, timeout).await?;
        let options = MultipartOptions::default()
            .max_file_size(upload_limit)
            .max_num_files(1);
        match async_graphql::http::receive_body(content_type, bytes.as_ref(), options).await {
            // The multipart limits bound the total size, not the number of files.
            Ok(request) if request.uploads.len() > 1 => {
                Err((StatusCode::BAD_REQUEST, "one file per request").into_response())
            }
            Ok(request) => Ok(Self(match upload_slot {
                Some(slot) => request.data(slot),
                None => request,
            })),
            Err(ParseRequestError::PayloadTooLarge) => Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            )
                .into_response()),
            Err(error) => Err((
                StatusCode::BAD_REQUEST,
                format!("invalid GraphQL request: {error}"),
            )
                .into_response()),
        }
    }
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    GraphQLBody(request): GraphQLBody,
) -> Response {
    let started = Instant::now();
    let answered = answer(&state, &headers, request).await;
    metrics::global().record_request(answered.operation, &answered.outcome, started.elapsed());
    answered.response
}

/// A GraphQL response and how metrics count it.
struct Answered {
    response: Response,
    /// `ok` or the first error's code, lower case.
    outcome: String,
    /// The operation label (see [`metrics::operation_label_of`]).
    operation: String,
}

/// The response to a GraphQL request.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Answered {
    let failed = |status, error: Error, operation: &str| Answered {
        outcome: error.code().to_ascii_lowercase(),
        response: graphql_error(status, error),
        operation: operation.to_owned(),
    };
    let snapshot = match state.directory.fresh().await {
        Ok(snapshot) => snapshot,
        Err(error) => return failed(StatusCode::OK, Error::from(error), metrics::UNREAD),
    };
    // A header that is not visible ASCII cannot hold a token: refused, not ignored.
    let authorization = headers
        .get(AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let viewer = match authenticate(authorization, &snapshot, Utc::now()) {
        Ok(viewer) => viewer,
        Err(error) => return failed(StatusCode::UNAUTHORIZED, error, metrics::UNREAD),
    };
    let version = snapshot.version;
    let cache_key = (state.responses.enabled() && request.extensions.is_empty()).then(|| {
        let role = viewer.role.map_or("public", entity::Labelled::code);
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        ResponseCache::key(
            role,
            request.operation_name.as_deref(),
            &variables,
            &request.query,
        )
    });
    if let Some(key) = cache_key.as_deref() {
        let cached = state.responses.get(version, key);
        metrics::global().record_cache(cached.is_some());
        if let Some(stored) = cached {
            return Answered {
                response: json_response(stored.body),
                outcome: "ok".to_owned(),
                operation: stored.operation.to_string(),
            };
        }
    }
    // Bounded before async-graphql parses and validates it, off the runtime's workers.
    let (request, admitted) =
        match budget::admit(request, budget::Limits::from_config(&state.config)).await {
            Ok(admitted) => admitted,
            Err(error) => return failed(StatusCode::OK, error, metrics::INVALID),
        };
    if admitted.introspection
        && let Err(error) = budget::allow_introspection(state.config.introspection, &viewer)
    {
        return failed(StatusCode::OK, error, &admitted.operation);
    }
    let uncacheable = Uncacheable::default();
    let request = request
        .data(snapshot)
        .data(viewer)
        .data(uncacheable.clone());
    // No query timeout for a mutation: a roster import may take longer, and a write must
    // not be cut short.
    let response = if admitted.mutation {
        graphql::execute(&state.schema, request).await
    } else {
        let timeout = Duration::from_secs(state.config.query_timeout_secs.max(1));
        match tokio::time::timeout(timeout, graphql::execute(&state.schema, request)).await {
            Ok(response) => response,
            Err(_) => {
                let error = Error::Timeout(timeout.as_secs());
                return failed(StatusCode::OK, error, &admitted.operation);
            }
        }
    };
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| match x.get("code") {
            Some(async_graphql::Value::String(code)) => Some(code.to_ascii_lowercase()),
            _ => None,
        })
        .unwrap_or_else(|| "ok".to_owned());
    let body = match budget::serialize_bounded(&response, state.config.max_response_bytes) {
        Ok(body) => Bytes::from(body),
        Err(error) => return failed(StatusCode::OK, error, &admitted.operation),
    };
    if let Some(key) = cache_key
        && response.is_ok()
        && !uncacheable.is_marked()
    {
        let stored = Stored {
            body: body.clone(),
            operation: admitted.operation.as_str().into(),
        };
        state.responses.put(version, key, stored);
    }
    Answered {
        response: json_response(body),
        outcome,
        operation: admitted.operation,
    }
}

/// A JSON response with `body`.
fn json_response(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
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
        let prefix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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
    let body = metrics::global().render(&state.db, version).await;
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
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
    tracing::info!(%address, "listening; GraphiQL at http://{address}/graphql");
    let limits = ConnectionLimits::of(&state.config);
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
