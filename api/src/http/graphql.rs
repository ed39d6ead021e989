//! GraphQL over HTTP, after the GraphQL-over-HTTP draft specification:
//!
//! - `POST /graphql` with a JSON body (or a multipart upload), and `GET /graphql` with
//!   `query`, `variables`, `operationName` and `extensions` as URL parameters (the JSON
//!   ones JSON-encoded) — queries only: a mutation over GET is answered 405 with
//!   `Allow: POST`, so a link or an image can never write;
//! - the media type negotiated by `Accept`: `application/graphql-response+json` gets the
//!   specification's status codes (400 for a request that cannot run: a syntax error, a
//!   validation failure, a value that does not coerce), `application/json` (the default,
//!   what older clients expect) gets 200 with the errors in the body;
//! - GraphiQL only for a browser's `Accept: text/html` on a GET without a query;
//! - every refusal (400, 405, 413, 415, batches) a JSON body with `extensions.code`;
//! - automatic persisted queries ([`super::persisted`]);
//! - HTTP caching of anonymous reads: an `ETag` from the data version and the request,
//!   `304 Not Modified` on a matching `If-None-Match`, `Cache-Control: public,
//!   max-age=HTTP_CACHE_MAX_AGE`; `no-store` for everything else (authenticated callers,
//!   mutations, answers with errors, POST).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_graphql::http::MultipartOptions;
use async_graphql::{ParseRequestError, Variables};
use axum::body::{Body, Bytes};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, FromRequestParts, Query, State};
use axum::http::header::{
    ACCEPT, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, UPGRADE, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::access::authenticate;
use crate::config::Switch;
use crate::error::Error;
use crate::graphql::{self, budget};
use crate::http::guards::{self, BodyKind, refusal};
use crate::http::persisted::{Refused, sha256_hex};
use crate::metrics;
use crate::response_cache::{ResponseCache, Stored, Uncacheable};
use crate::server::AppState;

/// The media type of GraphQL responses of the specification.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What changes an answer besides the URL: the negotiated media type, the token, and
/// (through CORS) the origin.
const VARY_ON: &str = "Accept, Authorization, Origin";

/// The media type of the answer, chosen from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: request errors are 400.
    GraphQLResponse,
    /// `application/json`: every GraphQL answer is 200.
    Json,
}

impl Media {
    /// The media type `Accept` prefers among those served; `application/json` when it
    /// names none (no header, `*/*`) — the legacy default of the specification.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Self::Json;
        };
        let mut best = (0.0_f32, Self::Json);
        for (position, entry) in accept.split(',').enumerate().take(32) {
            let mut parts = entry.split(';');
            let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let media = match essence.as_str() {
                GRAPHQL_RESPONSE_JSON => Self::GraphQLResponse,
                "application/json" => Self::Json,
                _ => continue,
            };
            // Earlier entries win ties, as clients list their preference first.
            if quality > best.0 || (position == 0 && quality >= best.0) {
                best = (quality, media);
            }
        }
        best.1
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GraphQLResponse => GRAPHQL_RESPONSE_JSON,
            Self::Json => "application/json",
        }
    }
}

/// How a request came: what the answer may be.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    get: bool,
    media: Media,
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    GraphQLBody(request): GraphQLBody,
) -> Response {
    if super::subscriptions::wants_event_stream(&headers) {
        return super::subscriptions::event_stream(&state, &headers, request).await;
    }
    let exchange = Exchange {
        get: false,
        media: Media::negotiate(&headers),
    };
    run(&state, &headers, request, exchange).await
}

/// The URL parameters of `GET /graphql`.
#[derive(Debug, Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql`: a query in the URL, GraphiQL for a browser, or a WebSocket for
/// subscriptions (see [`super::subscriptions`]).
pub async fn get(State(state): State<AppState>, request: Request<Body>) -> Response {
    let (mut parts, _) = request.into_parts();
    if is_websocket(&parts.headers) {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => super::subscriptions::upgrade(state, &parts.headers, upgrade).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let (headers, uri) = (parts.headers, parts.uri);
    let params = match Query::<GetParams>::try_from_uri(&uri) {
        Ok(Query(params)) => params,
        Err(error) => return bad_request(&format!("invalid URL parameters: {error}")),
    };
    if params.query.is_none() && params.extensions.is_none() {
        if accepts_html(&headers) {
            if state.config.graphiql == Switch::Off {
                return StatusCode::NOT_FOUND.into_response();
            }
            return super::graphiql::page();
        }
        return bad_request("a GET request needs a `query` URL parameter");
    }
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name.filter(|name| !name.is_empty());
    if let Some(variables) = params.variables.filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(&variables) {
            Ok(serde_json::Value::Null) => {}
            Ok(value @ serde_json::Value::Object(_)) => {
                request.variables = Variables::from_json(value);
            }
            Ok(_) => return bad_request("`variables` must be a JSON object"),
            Err(error) => return bad_request(&format!("`variables` is not valid JSON: {error}")),
        }
    }
    if let Some(extensions) = params.extensions.filter(|v| !v.is_empty()) {
        match serde_json::from_str::<Option<HashMap<String, async_graphql::Value>>>(&extensions) {
            Ok(map) => request.extensions.0 = map.unwrap_or_default(),
            Err(error) => {
                return bad_request(&format!("`extensions` is not a valid JSON object: {error}"));
            }
        }
    }
    let exchange = Exchange {
        get: true,
        media: Media::negotiate(&headers),
    };
    run(&state, &headers, request, exchange).await
}

/// Whether the request asks to become a WebSocket.
fn is_websocket(headers: &HeaderMap) -> bool {
    headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket"))
}

/// Whether a browser is asking for a page (`Accept` names `text/html`).
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"))
}

fn bad_request(message: &str) -> Response {
    refusal(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
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
            Ok(request) if request.uploads.len() > 1 => Err(bad_request("one file per request")),
            Ok(request) => Ok(Self(match upload_slot {
                Some(slot) => request.data(slot),
                None => request,
            })),
            Err(ParseRequestError::PayloadTooLarge) => Err(guards::too_large()),
            Err(ParseRequestError::UnsupportedBatch) => Err(refusal(
                StatusCode::BAD_REQUEST,
                "BATCH_NOT_SUPPORTED",
                "batched requests are not supported: send one operation per request",
            )),
            Err(error) => Err(bad_request(&format!("invalid GraphQL request: {error}"))),
        }
    }
}

/// Answers `request` and counts it in the metrics.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    exchange: Exchange,
) -> Response {
    let started = Instant::now();
    let answered = answer(state, headers, request, exchange).await;
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

/// How long an answer may be reused by HTTP caches.
enum Caching {
    /// `public, max-age=…` with this `ETag`.
    Public(String),
    /// `no-store` (and `private` for an authenticated caller).
    NoStore { private: bool },
}

/// The response to a GraphQL request.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    mut request: async_graphql::Request,
    exchange: Exchange,
) -> Answered {
    let authorization = headers.get(AUTHORIZATION);
    let not_stored = Caching::NoStore {
        private: authorization.is_some(),
    };
    let failed = |status, error: Error, operation: &str| Answered {
        outcome: error.code().to_ascii_lowercase(),
        response: error_response(status, error, exchange.media),
        operation: operation.to_owned(),
    };
    // What the specification answers for a request that cannot run.
    let request_error = match exchange.media {
        Media::GraphQLResponse => StatusCode::BAD_REQUEST,
        Media::Json => StatusCode::OK,
    };
    let snapshot = match state.directory.fresh().await {
        Ok(snapshot) => snapshot,
        Err(error) => return failed(StatusCode::OK, Error::from(error), metrics::UNREAD),
    };
    // A header that is not visible ASCII cannot hold a token: refused, not ignored.
    let authorization = authorization.map(|value| value.to_str().unwrap_or_default());
    let viewer =
        match authenticate(authorization, &snapshot, state.oidc.as_deref(), Utc::now()).await {
            Ok(viewer) => viewer,
            Err(error) => return failed(StatusCode::UNAUTHORIZED, error, metrics::UNREAD),
        };
    match state.persisted.resolve(&mut request, viewer.role.is_none()) {
        Ok(()) => {}
        // Not a failure of the request: the client's cue to send the document.
        Err(Refused::NotFound) => {
            return failed(
                StatusCode::OK,
                Error::PersistedQueryNotFound,
                metrics::UNREAD,
            );
        }
        Err(refused) => return failed(request_error, refused.into(), metrics::INVALID),
    }
    let version = snapshot.version;
    let role = viewer.role.map_or("public", entity::Labelled::code);
    let key = request.extensions.is_empty().then(|| {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        ResponseCache::key(
            role,
            request.operation_name.as_deref(),
            &variables,
            &request.query,
        )
    });
    // Only anonymous GET reads are cached by HTTP caches: their answer is the same for
    // everyone at a data version.
    let etag = key
        .as_deref()
        .filter(|_| exchange.get && authorization.is_none())
        .map(|key| {
            let digest = sha256_hex(&format!("{}\u{0}{key}", exchange.media.content_type()));
            format!("\"{version:x}-{}\"", digest.get(..32).unwrap_or_default())
        });
    if let Some(etag) = etag.as_deref()
        && if_none_match(headers, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_caching(&mut response, &Caching::Public(etag.to_owned()), state);
        return Answered {
            response,
            outcome: "ok".to_owned(),
            operation: metrics::UNREAD.to_owned(),
        };
    }
    let cache_key = key.filter(|_| state.responses.enabled());
    if let Some(key) = cache_key.as_deref() {
        let cached = state.responses.get(version, key);
        metrics::global().record_cache(cached.is_some());
        if let Some(stored) = cached {
            let caching = match &etag {
                Some(etag) => Caching::Public(etag.clone()),
                None => not_stored,
            };
            return Answered {
                response: graphql_response(
                    StatusCode::OK,
                    stored.body,
                    exchange.media,
                    &caching,
                    state,
                ),
                outcome: "ok".to_owned(),
                operation: stored.operation.to_string(),
            };
        }
    }
    // Bounded before async-graphql parses and validates it, off the runtime's workers.
    let (request, admitted) =
        match budget::admit(request, budget::Limits::from_config(&state.config)).await {
            Ok(admitted) => admitted,
            Err(error) => return failed(request_error, error, metrics::INVALID),
        };
    if exchange.get && admitted.mutation {
        let mut response = refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "a mutation must be sent with POST",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return Answered {
            response,
            outcome: "method_not_allowed".to_owned(),
            operation: admitted.operation,
        };
    }
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
    // A request that did not run (validation, coercion) has no data and errors without
    // a field path.
    let not_run = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = if not_run {
        request_error
    } else {
        StatusCode::OK
    };
    let body = match budget::serialize_bounded(&response, state.config.max_response_bytes) {
        Ok(body) => Bytes::from(body),
        Err(error) => return failed(StatusCode::OK, error, &admitted.operation),
    };
    let cacheable = response.is_ok() && !uncacheable.is_marked() && !admitted.mutation;
    if let Some(key) = cache_key
        && cacheable
    {
        let stored = Stored {
            body: body.clone(),
            operation: admitted.operation.as_str().into(),
        };
        state.responses.put(version, key, stored);
    }
    let caching = match etag {
        Some(etag) if cacheable => Caching::Public(etag),
        _ => not_stored,
    };
    Answered {
        response: graphql_response(status, body, exchange.media, &caching, state),
        outcome,
        operation: admitted.operation,
    }
}

/// Whether `If-None-Match` lists `etag` (or `*`); weak tags compare by their value.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn set_caching(response: &mut Response, caching: &Caching, state: &AppState) {
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static(VARY_ON));
    match caching {
        Caching::Public(etag) => {
            let max_age = state.config.http_cache_max_age;
            if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
                headers.insert(CACHE_CONTROL, value);
            }
            if let Ok(value) = HeaderValue::from_str(etag) {
                headers.insert(ETAG, value);
            }
        }
        Caching::NoStore { private: true } => {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
        Caching::NoStore { private: false } => {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// A GraphQL answer with `body`.
fn graphql_response(
    status: StatusCode,
    body: Bytes,
    media: Media,
    caching: &Caching,
    state: &AppState,
) -> Response {
    let mut response = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static(media.content_type()))],
        body,
    )
        .into_response();
    set_caching(&mut response, caching, state);
    response
}

/// A GraphQL response with one error and no data, in `media`.
fn error_response(status: StatusCode, error: Error, media: Media) -> Response {
    let mut response = crate::server::graphql_error(status, error);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Media {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(ACCEPT, value);
        }
        Media::negotiate(&headers)
    }

    #[test]
    fn accept_chooses_the_media_type() {
        assert_eq!(Media::negotiate(&HeaderMap::new()), Media::Json);
        assert_eq!(accept("*/*"), Media::Json);
        assert_eq!(accept("application/json"), Media::Json);
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Media::GraphQLResponse
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Media::Json
        );
        assert_eq!(
            accept("application/json;q=0.5, application/graphql-response+json"),
            Media::GraphQLResponse
        );
    }

    #[test]
    fn if_none_match_compares_tags() {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"a\", W/\"b\""));
        assert!(if_none_match(&headers, "\"a\""));
        assert!(if_none_match(&headers, "\"b\""));
        assert!(!if_none_match(&headers, "\"c\""));
    }
}
