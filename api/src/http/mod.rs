//! What protects the server from slow, idle, numerous or unauthenticated clients, below
//! and around the router of [`crate::server`]:
//!
//! - [`listener`]: our own accept loop over hyper (axum's `serve` gives hyper no timer,
//!   so its header timeout never fires): a header-read timeout, an idle timeout for
//!   kept-alive connections, a connection limit and a shutdown deadline;
//! - [`guards`]: what a request must show before its body is read — a JSON content type,
//!   or for a multipart upload a preflight-forcing header, an ADMIN token and a free
//!   upload slot — and the body timeout; the optional token of `/metrics`;
//! - [`graphql`]: GraphQL over HTTP (GET and POST, content negotiation, status codes,
//!   HTTP caching of anonymous reads), with [`persisted`] (automatic persisted queries);
//! - [`graphiql`]: GraphiQL, embedded and offline;
//! - [`subscriptions`]: subscriptions over WebSocket (`graphql-transport-ws`) and SSE
//!   (graphql-sse);
//! - [`cors`]: cross-origin settings, checked at startup.
//!
//! Long-lived streams (WebSocket, SSE) are exempt by construction from the header and
//! idle timeouts: they only run while hyper waits for a request head (an upgraded
//! connection or a streaming response never waits for one), and the body timeout is
//! applied by the GraphQL body extractor, not by the connection. They have limits of
//! their own: `SUBSCRIPTIONS_MAX` operations in all, `SUBSCRIPTIONS_MAX_PER_CONNECTION`
//! per WebSocket, at most `MAX_CONNECTIONS` WebSockets (an upgraded connection leaves the
//! accept loop's count), an init timeout, a message size limit, heartbeats, the end of
//! the token, and shutdown.

pub mod cors;
pub mod graphiql;
pub mod graphql;
pub mod guards;
pub mod listener;
pub mod persisted;
pub mod subscriptions;

pub use listener::{ConnectionLimits, serve_connections};
