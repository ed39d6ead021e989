//! What a request must show before the server spends anything on its body, and how long
//! the body may take.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::Role;
use tokio::sync::OwnedSemaphorePermit;

use crate::access::{authenticate, hash_token};
use crate::error::Error;
use crate::server::{AppState, graphql_error};

/// Headers that make a browser send a CORS preflight before a multipart request (the
/// convention of Apollo's servers and upload clients): a form posted from another site
/// cannot carry them, so a multipart request with one was sent by a script the CORS
/// policy allowed.
pub const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// Seconds a client is told to wait when every upload slot is taken.
const UPLOAD_RETRY_AFTER_SECS: u32 = 5;

/// What a `POST /graphql` body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// A GraphQL request in JSON.
    Json,
    /// A GraphQL multipart request (a roster upload).
    Multipart,
}

/// Why a body is not executed (answered 415).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    /// Neither JSON nor multipart.
    ContentType,
    /// Multipart without a preflight-forcing header.
    NoPreflight,
}

impl IntoResponse for Unsupported {
    fn into_response(self) -> Response {
        match self {
            Self::NoPreflight => refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "PREFLIGHT_REQUIRED",
                "a multipart request needs a non-empty `apollo-require-preflight` (or \
                 `x-apollo-operation-name`) header",
            ),
            Self::ContentType => refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "a GraphQL request body must be `application/json` (or \
                 `multipart/form-data` for a file upload)",
            ),
        }
    }
}

/// The kind of body `headers` announce: only `application/json` (with parameters such
/// as `charset`) and, with a preflight-forcing header, multipart. A `text/plain` or form
/// post is what a page of any site can send without a CORS preflight; executing it as
/// JSON would let such pages run mutations with a token the browser adds.
pub fn body_kind(headers: &HeaderMap) -> Result<BodyKind, Unsupported> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "multipart/form-data" if has_preflight_header(headers) => Ok(BodyKind::Multipart),
        "multipart/form-data" => Err(Unsupported::NoPreflight),
        _ => Err(Unsupported::ContentType),
    }
}

fn has_preflight_header(headers: &HeaderMap) -> bool {
    PREFLIGHT_HEADERS.iter().any(|name| {
        headers
            .get(*name)
            .is_some_and(|value| !value.as_bytes().trim_ascii().is_empty())
    })
}

/// One of the `MAX_CONCURRENT_UPLOADS` slots, held from before an upload's body is read
/// until its import has run: reading the file and planning the import (dry runs take no
/// import lock) cost far more than receiving it. Clones share the slot, which is freed
/// when the last clone is dropped — the request's data and the import task each hold one,
/// so neither a finished request nor a client that goes away frees it early.
#[derive(Clone)]
pub struct UploadSlot(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Lets a multipart request through only if its headers carry a valid ADMIN credential (the
/// only uploads are roster imports) and an upload slot is free; the slot is held until
/// the returned [`UploadSlot`] and its clones are dropped. Nothing of the body is read
/// before: an anonymous client cannot make the server buffer megabytes, and hyper skips
/// a `100 Continue`.
pub async fn admit_upload(headers: &HeaderMap, state: &AppState) -> Result<UploadSlot, Response> {
    let snapshot = state
        .directory
        .fresh()
        .await
        .map_err(|error| graphql_error(StatusCode::SERVICE_UNAVAILABLE, Error::from(error)))?;
    let authorization = headers
        .get(AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let viewer = authenticate(authorization, &snapshot, state.oidc.as_deref(), Utc::now())
        .await
        .map_err(|error| graphql_error(StatusCode::UNAUTHORIZED, error))?;
    viewer.require(Role::Admin).map_err(|error| {
        let status = match error {
            Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            _ => StatusCode::FORBIDDEN,
        };
        graphql_error(status, error)
    })?;
    let permit = state.uploads.clone().try_acquire_owned().map_err(|_| {
        // Read by the administrator who uploads a roster.
        let mut response = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "TOO_MANY_UPLOADS",
            "D'autres fichiers sont en cours de réception ; réessayez dans quelques secondes.",
        );
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(UPLOAD_RETRY_AFTER_SECS));
        response
    })?;
    Ok(UploadSlot(Arc::new(permit)))
}

/// The whole body, if it is at most `limit` bytes and arrives within `timeout`: 413
/// over the limit (as soon as it is passed), 408 when the client is too slow (a body
/// that stalls or trickles must not hold a connection and its buffer forever).
pub async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, Response> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) => {
            let length_limit = std::error::Error::source(&error)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            Err(if length_limit {
                too_large()
            } else {
                refusal(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            })
        }
        Err(_) => Err(refusal(
            StatusCode::REQUEST_TIMEOUT,
            "BODY_TIMEOUT",
            &format!(
                "the request body did not arrive within {} seconds",
                timeout.as_secs()
            ),
        )),
    }
}

/// The answer to a body over its limit.
pub fn too_large() -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "the request body is too large",
    )
}

/// Whether `headers` may read `/metrics`: always when no token is configured, else only
/// with `Authorization: Bearer <token>` (compared through hashes, so the time taken does
/// not tell how much of a guess was right).
pub fn metrics_allowed(headers: &HeaderMap, token: Option<&str>) -> bool {
    let Some(expected) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return true;
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    given.is_some_and(|given| hash_token(given) == hash_token(expected))
}

/// The answer to a `/metrics` request without the right token.
pub fn metrics_refused() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        "the metrics need `Authorization: Bearer <METRICS_TOKEN>`",
    )
        .into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// A refusal in the shape of a GraphQL error response, so clients read it like the
/// others: `{"errors":[{"message":…,"extensions":{"code":…}}]}`.
pub fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Semaphore;

    #[test]
    fn an_upload_slot_is_free_only_once_every_holder_is_done() {
        let slots = Arc::new(Semaphore::new(1));
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            unreachable!("one slot is free");
        };
        let request = UploadSlot(Arc::new(permit));
        let import = request.clone();
        drop(request);
        assert_eq!(slots.available_permits(), 0, "the import still holds it");
        drop(import);
        assert_eq!(slots.available_permits(), 1);
    }
}
