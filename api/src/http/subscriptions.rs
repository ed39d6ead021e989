//! Subscriptions on `/graphql`, over two transports:
//!
//! - **WebSocket**, the `graphql-transport-ws` subprotocol of the graphql-ws library
//!   (`GET /graphql` with `Upgrade: websocket`). The token goes in the
//!   `connection_init` payload (`{"Authorization": "Bearer …"}`, or the upgrade
//!   request's `Authorization` header). Closes, with the protocol's codes: 4400 for a
//!   malformed message, 4401 for `subscribe` before the connection is acknowledged,
//!   4403 for a refused token (unknown, revoked, expired — also when it expires or is
//!   revoked while the connection is open), 4406 without the subprotocol, 4408 without
//!   `connection_init` within `SUBSCRIPTIONS_INIT_TIMEOUT_SECS`, 4409 for an id in use,
//!   4429 for a second `connection_init`, 1009 for a message over `MAX_BODY_BYTES`,
//!   1001 at shutdown. A subscription over the limits (`SUBSCRIPTIONS_MAX_PER_CONNECTION`,
//!   `SUBSCRIPTIONS_MAX`) or refused before it runs (budget, validation) gets an `error`
//!   message with `extensions.code`; the connection stays open.
//! - **Server-Sent Events**, the distinct connections mode of the graphql-sse protocol
//!   (`POST /graphql` with `Accept: text/event-stream`): `event: next` per result, then
//!   `event: complete`. The token goes in the `Authorization` header (401 otherwise);
//!   errors found before execution come as a `next` event, as the protocol asks.
//!
//! Both share one path for what runs: persisted operations, the query budget and the
//! depth and complexity limits, the introspection policy — as for HTTP. Mutations are
//! refused (send them with `POST`). Each open operation holds one of the
//! `SUBSCRIPTIONS_MAX` slots; heartbeats (`ping` messages, SSE comment lines) go out every
//! `SUBSCRIPTIONS_HEARTBEAT_SECS`, and the credential is checked again at each one.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use async_graphql::{ServerError, Variables};
use axum::body::{Body, Bytes};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::Instant;

use crate::access::{Viewer, authenticate, viewer_of};
use crate::directory::Snapshot;
use crate::error::Error;
use crate::events::Events;
use crate::graphql::{self, budget, errors};
use crate::http::guards::refusal;
use crate::http::persisted::Refused;
use crate::oidc::Verifier;
use crate::response_cache::Uncacheable;
use crate::server::AppState;

/// The WebSocket subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// Longest operation id accepted from a client.
const MAX_ID_LEN: usize = 128;

/// Events an SSE stream buffers for a slow client before it waits.
const SSE_BUFFER: usize = 16;

/// Seconds a client is told to wait when every subscription slot is taken.
const RETRY_AFTER_SECS: u32 = 5;

/// Who opened a subscription, and until when their credential holds.
#[derive(Clone)]
struct Credential {
    viewer: Viewer,
    /// The SHA-256 of the token, to check it again (revocation) while streams are open.
    token_hash: Option<String>,
    /// When the token expires: the connection or stream ends then.
    expires_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Checks `authorization` (absent: public): an API token against `snapshot`, an
    /// identity provider's access token with `oidc`.
    async fn check(
        authorization: Option<&str>,
        snapshot: &Snapshot,
        oidc: Option<&Verifier>,
    ) -> Result<Self, Error> {
        let viewer = authenticate(authorization, snapshot, oidc, Utc::now()).await?;
        // Only API tokens can be revoked before they expire; an access token holds until
        // its `exp`.
        let token_hash = viewer.token_hash.clone();
        let expires_at = viewer.expires_at;
        Ok(Self {
            viewer,
            token_hash,
            expires_at,
        })
    }

    /// Whether the token still holds (not revoked nor expired since).
    async fn still_valid(&self, state: &AppState) -> bool {
        let Some(hash) = self.token_hash.as_deref() else {
            return true;
        };
        let Ok(snapshot) = state.directory.fresh().await else {
            // The database is unreachable: the answer is unknown, keep the stream.
            return true;
        };
        snapshot
            .token_by_hash(hash)
            .is_some_and(|model| viewer_of(model, Utc::now()).is_ok())
    }

    /// The moment the token expires, on tokio's clock.
    fn deadline(&self) -> Option<Instant> {
        let left = (self.expires_at? - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        Some(Instant::now() + left)
    }
}

/// An operation ready to run, and its slot.
struct Prepared {
    stream: BoxStream<'static, async_graphql::Response>,
    slot: OwnedSemaphorePermit,
}

/// Checks and starts `request` for `credential`, as HTTP does: persisted operations, the
/// budget, no mutation, the introspection policy, one of the `SUBSCRIPTIONS_MAX` slots.
async fn prepare(
    state: &AppState,
    credential: &Credential,
    mut request: async_graphql::Request,
) -> Result<Prepared, Error> {
    let snapshot = state.directory.fresh().await.map_err(Error::from)?;
    match state
        .persisted
        .resolve(&mut request, credential.viewer.role.is_none())
    {
        Ok(()) => {}
        Err(Refused::NotFound) => return Err(Error::PersistedQueryNotFound),
        Err(refused) => return Err(refused.into()),
    }
    let (request, admitted) =
        budget::admit(request, budget::Limits::from_config(&state.config)).await?;
    if admitted.mutation {
        return Err(Error::bad_input(
            "a mutation is sent with POST /graphql, not over a subscription transport",
            &[],
        ));
    }
    if admitted.introspection {
        budget::allow_introspection(state.config.introspection, &credential.viewer)?;
    }
    let slot = state.events.slot()?;
    let request = request
        .data(snapshot)
        .data(credential.viewer.clone())
        .data(Uncacheable::default());
    let stream = graphql::execute_stream(&state.schema, request).boxed();
    Ok(Prepared { stream, slot })
}

/// Whether `response` is a request that did not run (validation, coercion): no data and
/// only errors without a path.
fn not_run(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The errors of `error`, as GraphQL errors with their code.
fn error_list(error: Error) -> Vec<ServerError> {
    errors::error_response(error).errors
}

// ---------------------------------------------------------------------------------------
// WebSocket

/// A message of the `graphql-transport-ws` protocol from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// The GraphQL request of a `subscribe` message.
#[derive(Deserialize)]
struct SubscribePayload {
    query: String,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    extensions: Option<HashMap<String, async_graphql::Value>>,
}

impl SubscribePayload {
    fn into_request(self) -> Result<async_graphql::Request, Error> {
        let mut request = async_graphql::Request::new(self.query);
        request.operation_name = self.operation_name.filter(|name| !name.is_empty());
        match self.variables {
            None | Some(Value::Null) => {}
            Some(value @ Value::Object(_)) => request.variables = Variables::from_json(value),
            Some(_) => {
                return Err(Error::bad_input(
                    "`variables` must be a JSON object",
                    &["variables"],
                ));
            }
        }
        request.extensions.0 = self.extensions.unwrap_or_default();
        Ok(request)
    }
}

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn upgrade(state: AppState, headers: &HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let Ok(permit) = state.ws_connections.clone().try_acquire_owned() else {
        return too_many("every WebSocket connection slot is taken (MAX_CONNECTIONS)");
    };
    let authorization = headers
        .get(AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let limit = state.config.max_body_bytes.max(1024);
    let upgrade = upgrade
        .protocols([PROTOCOL])
        .max_message_size(limit)
        .max_frame_size(limit);
    let agreed = upgrade.selected_protocol().is_some();
    upgrade.on_upgrade(move |mut socket| async move {
        let _permit = permit;
        if !agreed {
            close(&mut socket, 4406, "Subprotocol not acceptable").await;
            return;
        }
        serve_socket(state, socket, authorization).await;
    })
}

/// One open operation of a connection.
struct Operation {
    stream: BoxStream<'static, async_graphql::Response>,
    /// Results taken from the stream, not sent yet (`None`: it completed).
    ready: std::collections::VecDeque<Option<async_graphql::Response>>,
    /// The stream has ended.
    ended: bool,
    /// A result was sent already (an error then is a `next`, not an `error`).
    started: bool,
    _slot: OwnedSemaphorePermit,
}

/// What the connection does after a message.
enum Then {
    Continue,
    Close(u16, String),
    /// The client went away.
    End,
}

/// Serves one WebSocket connection until it closes.
async fn serve_socket(state: AppState, mut socket: WebSocket, header_auth: Option<String>) {
    let config = state.config.clone();
    let init_deadline =
        Instant::now() + Duration::from_secs(config.subscriptions_init_timeout_secs.max(1));
    let heartbeat_every = Duration::from_secs(config.subscriptions_heartbeat_secs.max(1));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + heartbeat_every, heartbeat_every);
    let mut closing = state.events.closing();
    let mut credential: Option<Credential> = None;
    let mut operations: HashMap<String, Operation> = HashMap::new();
    loop {
        let expiry = credential.as_ref().and_then(Credential::deadline);
        let then = tokio::select! {
            biased;
            () = Events::closed(&mut closing) => Then::Close(1001, "Server shutting down".into()),
            () = tokio::time::sleep_until(init_deadline), if credential.is_none() => {
                Then::Close(4408, "Connection initialisation timeout".into())
            }
            () = sleep_until_opt(expiry), if expiry.is_some() => {
                Then::Close(4403, "Forbidden: the token has expired".into())
            }
            _ = heartbeat.tick() => {
                match &credential {
                    Some(held) if !held.still_valid(&state).await => {
                        Then::Close(4403, "Forbidden: the token is no longer valid".into())
                    }
                    _ => send(&mut socket, json!({"type": "ping"})).await,
                }
            }
            received = socket.recv() => match received {
                None | Some(Ok(Message::Close(_))) => Then::End,
                Some(Ok(Message::Text(text))) => {
                    on_message(&state, &mut socket, text.as_str(), &header_auth, &mut credential, &mut operations).await
                }
                Some(Ok(Message::Binary(_))) => Then::Close(4400, "Invalid message received: binary".into()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Then::Continue,
                Some(Err(error)) => {
                    let too_big = std::error::Error::source(&error)
                        .map(ToString::to_string)
                        .unwrap_or_else(|| error.to_string())
                        .contains("too long");
                    if too_big {
                        Then::Close(1009, "Message too big".into())
                    } else {
                        Then::End
                    }
                }
            },
            (id, result) = next_result(&mut operations), if !operations.is_empty() => {
                on_result(&state, &mut socket, &mut operations, id, result).await
            }
        };
        match then {
            Then::Continue => {}
            Then::Close(code, reason) => {
                close(&mut socket, code, &reason).await;
                return;
            }
            Then::End => return,
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The next result of any open operation (`None`: it completed). Every stream is polled
/// in every round, so each one starts (and subscribes to its events) at once, and none
/// can starve the others.
async fn next_result(
    operations: &mut HashMap<String, Operation>,
) -> (String, Option<async_graphql::Response>) {
    std::future::poll_fn(|cx| {
        for operation in operations.values_mut() {
            if operation.ended || !operation.ready.is_empty() {
                continue;
            }
            if let Poll::Ready(result) = Pin::new(&mut operation.stream).poll_next(cx) {
                operation.ended = result.is_none();
                operation.ready.push_back(result);
            }
        }
        for (id, operation) in operations.iter_mut() {
            if let Some(result) = operation.ready.pop_front() {
                return Poll::Ready((id.clone(), result));
            }
        }
        Poll::Pending
    })
    .await
}

async fn on_result(
    state: &AppState,
    socket: &mut WebSocket,
    operations: &mut HashMap<String, Operation>,
    id: String,
    result: Option<async_graphql::Response>,
) -> Then {
    let Some(response) = result else {
        operations.remove(&id);
        return send(socket, json!({"id": id, "type": "complete"})).await;
    };
    let started = operations
        .get(&id)
        .is_some_and(|operation| operation.started);
    if !started && not_run(&response) {
        operations.remove(&id);
        return send_errors(socket, &id, response.errors).await;
    }
    if let Some(operation) = operations.get_mut(&id) {
        operation.started = true;
    }
    let payload = match budget::serialize_bounded(&response, state.config.max_response_bytes) {
        Ok(bytes) => bytes,
        Err(error) => {
            operations.remove(&id);
            return send_errors(socket, &id, error_list(error)).await;
        }
    };
    let Ok(id_json) = serde_json::to_string(&id) else {
        return Then::Close(4500, "Internal server error".into());
    };
    let mut text = format!("{{\"id\":{id_json},\"type\":\"next\",\"payload\":");
    text.push_str(&String::from_utf8_lossy(&payload));
    text.push('}');
    send_text(socket, text).await
}

async fn on_message(
    state: &AppState,
    socket: &mut WebSocket,
    text: &str,
    header_auth: &Option<String>,
    credential: &mut Option<Credential>,
    operations: &mut HashMap<String, Operation>,
) -> Then {
    let message = match serde_json::from_str::<ClientMessage>(text) {
        Ok(message) => message,
        Err(error) => {
            let reason = format!("Invalid message received: {error}");
            return Then::Close(4400, reason);
        }
    };
    match message {
        ClientMessage::ConnectionInit { payload } => {
            if credential.is_some() {
                return Then::Close(4429, "Too many initialisation requests".into());
            }
            let authorization = match init_authorization(payload.as_ref()) {
                Ok(Some(given)) => Some(given),
                Ok(None) => header_auth.clone(),
                Err(why) => return Then::Close(4400, why.into()),
            };
            let snapshot = match state.directory.fresh().await {
                Ok(snapshot) => snapshot,
                Err(error) => {
                    tracing::warn!(%error, "WebSocket init: cannot read the directory");
                    return Then::Close(4500, "Internal server error".into());
                }
            };
            match Credential::check(authorization.as_deref(), &snapshot, state.oidc.as_deref())
                .await
            {
                Ok(checked) => {
                    *credential = Some(checked);
                    send(socket, json!({"type": "connection_ack"})).await
                }
                Err(error) => Then::Close(4403, format!("Forbidden: {error}")),
            }
        }
        ClientMessage::Ping { .. } => send(socket, json!({"type": "pong"})).await,
        ClientMessage::Pong { .. } => Then::Continue,
        ClientMessage::Subscribe { id, payload } => {
            let Some(held) = credential.as_ref() else {
                return Then::Close(4401, "Unauthorized".into());
            };
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Then::Close(4400, "Invalid message received: bad id".into());
            }
            if operations.contains_key(&id) {
                return Then::Close(4409, format!("Subscriber for {id} already exists"));
            }
            let per_connection = state.config.subscriptions_max_per_connection.max(1);
            if operations.len() >= per_connection {
                let error = Error::TooManySubscriptions(format!(
                    "this connection holds its maximum of {per_connection} subscriptions \
                     (SUBSCRIPTIONS_MAX_PER_CONNECTION): complete one first"
                ));
                return send_errors(socket, &id, error_list(error)).await;
            }
            let prepared = match payload.into_request() {
                Ok(request) => prepare(state, held, request).await,
                Err(error) => Err(error),
            };
            match prepared {
                Ok(prepared) => {
                    operations.insert(
                        id,
                        Operation {
                            stream: prepared.stream,
                            ready: std::collections::VecDeque::new(),
                            ended: false,
                            started: false,
                            _slot: prepared.slot,
                        },
                    );
                    Then::Continue
                }
                Err(error) => send_errors(socket, &id, error_list(error)).await,
            }
        }
        ClientMessage::Complete { id } => {
            operations.remove(&id);
            Then::Continue
        }
    }
}

/// The `Authorization` of a `connection_init` payload: `Authorization` or
/// `authorization`, at the top or under `headers` (Apollo's habit); `Ok(None)` if none.
fn init_authorization(payload: Option<&Value>) -> Result<Option<String>, &'static str> {
    let object = match payload {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => return Err("Invalid message received: the payload must be an object"),
    };
    let find = |object: &serde_json::Map<String, Value>| {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|key| object.get(*key))
            .cloned()
    };
    let found = find(object).or_else(|| match object.get("headers") {
        Some(Value::Object(headers)) => find(headers),
        _ => None,
    });
    match found {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err("Invalid message received: Authorization must be a string"),
    }
}

async fn send_errors(socket: &mut WebSocket, id: &str, errors: Vec<ServerError>) -> Then {
    send(
        socket,
        json!({"id": id, "type": "error", "payload": errors}),
    )
    .await
}

async fn send(socket: &mut WebSocket, message: Value) -> Then {
    send_text(socket, message.to_string()).await
}

async fn send_text(socket: &mut WebSocket, text: String) -> Then {
    match socket.send(Message::Text(text.into())).await {
        Ok(()) => Then::Continue,
        Err(_) => Then::End,
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    // A close reason is at most 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason.get(..end).unwrap_or_default().into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

// ---------------------------------------------------------------------------------------
// Server-Sent Events

/// Whether `Accept` asks for an event stream (graphql-sse).
pub fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/event-stream"))
}

/// `POST /graphql` with `Accept: text/event-stream`: the operation's results as events.
pub async fn event_stream(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
) -> Response {
    if !request.uploads.is_empty() {
        return refusal(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "an event stream carries no file upload",
        );
    }
    let snapshot = match state.directory.fresh().await {
        Ok(snapshot) => snapshot,
        Err(error) => {
            return crate::server::graphql_error(
                StatusCode::SERVICE_UNAVAILABLE,
                Error::from(error),
            );
        }
    };
    let authorization = headers
        .get(AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default());
    let credential = match Credential::check(authorization, &snapshot, state.oidc.as_deref()).await
    {
        Ok(credential) => credential,
        Err(error) => return crate::server::graphql_error(StatusCode::UNAUTHORIZED, error),
    };
    let prepared = match prepare(state, &credential, request).await {
        Ok(prepared) => Ok(prepared),
        Err(error @ Error::TooManySubscriptions(_)) => {
            let mut response = crate::server::graphql_error(StatusCode::SERVICE_UNAVAILABLE, error);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            return response;
        }
        // Reported in the stream, as the protocol asks.
        Err(error) => Err(error),
    };
    let (sender, receiver) = mpsc::channel::<Bytes>(SSE_BUFFER);
    tokio::spawn(pump(state.clone(), credential, prepared, sender));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, Infallible>(chunk), receiver))
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies such as nginx buffer responses unless told not to.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn too_many(why: &str) -> Response {
    let mut response = refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "TOO_MANY_SUBSCRIPTIONS",
        why,
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

/// `event: next` with `data`.
fn next_event(data: &[u8]) -> Bytes {
    let mut event = Vec::with_capacity(data.len() + 20);
    event.extend_from_slice(b"event: next\ndata: ");
    event.extend_from_slice(data);
    event.extend_from_slice(b"\n\n");
    Bytes::from(event)
}

const COMPLETE_EVENT: &[u8] = b"event: complete\ndata:\n\n";
const HEARTBEAT_COMMENT: &[u8] = b":\n\n";

/// Feeds an SSE body from the operation until it completes, the client goes away, the
/// credential lapses or the server shuts down.
async fn pump(
    state: AppState,
    credential: Credential,
    prepared: Result<Prepared, Error>,
    sender: mpsc::Sender<Bytes>,
) {
    let mut prepared = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            let response = errors::error_response(error);
            if let Ok(data) = serde_json::to_vec(&response) {
                let _ = sender.send(next_event(&data)).await;
            }
            let _ = sender.send(Bytes::from_static(COMPLETE_EVENT)).await;
            return;
        }
    };
    let _slot = prepared.slot;
    let every = Duration::from_secs(state.config.subscriptions_heartbeat_secs.max(1));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + every, every);
    let mut closing = state.events.closing();
    let expiry = credential.deadline();
    loop {
        let chunk = tokio::select! {
            biased;
            () = sender.closed() => return,
            () = Events::closed(&mut closing) => break,
            () = sleep_until_opt(expiry), if expiry.is_some() => {
                let _ = sender.send(lapsed("the token has expired")).await;
                break;
            }
            _ = heartbeat.tick() => {
                if !credential.still_valid(&state).await {
                    let _ = sender.send(lapsed("the token is no longer valid")).await;
                    break;
                }
                Bytes::from_static(HEARTBEAT_COMMENT)
            }
            result = prepared.stream.next() => match result {
                None => break,
                Some(response) => {
                    match budget::serialize_bounded(&response, state.config.max_response_bytes) {
                        Ok(data) => next_event(&data),
                        Err(error) => {
                            let response = errors::error_response(error);
                            let data = serde_json::to_vec(&response).unwrap_or_default();
                            let _ = sender.send(next_event(&data)).await;
                            break;
                        }
                    }
                }
            },
        };
        if sender.send(chunk).await.is_err() {
            return;
        }
    }
    let _ = sender.send(Bytes::from_static(COMPLETE_EVENT)).await;
}

/// The last `next` of a stream whose credential lapsed.
fn lapsed(why: &str) -> Bytes {
    let response = errors::error_response(Error::Unauthenticated(why.to_owned()));
    next_event(&serde_json::to_vec(&response).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_where_clients_put_it() {
        let cases = [
            (json!({"Authorization": "Bearer a"}), Some("Bearer a")),
            (json!({"authorization": "Bearer b"}), Some("Bearer b")),
            (
                json!({"headers": {"Authorization": "Bearer c"}}),
                Some("Bearer c"),
            ),
            (json!({}), None),
            (Value::Null, None),
        ];
        for (payload, expected) in cases {
            assert_eq!(
                init_authorization(Some(&payload)).ok().flatten().as_deref(),
                expected,
                "{payload}"
            );
        }
        assert!(init_authorization(Some(&json!([1]))).is_err());
        assert!(init_authorization(Some(&json!({"Authorization": 3}))).is_err());
    }
}
