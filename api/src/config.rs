//! The configuration, read from the environment (or the equivalent flags) in one place.
//!
//! Every setting has a documented default so `territoires` runs with none; errors name
//! the variable at fault.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

/// The defaults, each written once: clap's `default_value…` attributes and the
/// constructors ([`DatabaseConfig::new`], [`ServerConfig::on`], `OidcSettings::default`)
/// both read them. Named after their variables, whose meaning the fields document; the
/// sync's are `territoires_sync::DEFAULT_*`.
mod defaults {
    use super::{IntrospectionPolicy, PersistedOperations, Switch};

    pub const DATABASE_POOL_SIZE: u32 = 16;
    pub const DATABASE_TIMEOUT_SECS: u64 = 5;
    pub const SLOW_STATEMENT_MS: u64 = 250;
    pub const HTTP_CACHE_MAX_AGE: u32 = 5;
    pub const APQ_CACHE_BYTES: usize = 8 * 1024 * 1024;
    pub const MAX_BODY_BYTES: usize = 256 * 1024;
    pub const GRAPHQL_MAX_DEPTH: usize = 16;
    pub const GRAPHQL_MAX_COMPLEXITY: usize = 5_000;
    pub const QUERY_TIMEOUT_SECS: u64 = 10;
    pub const RESPONSE_CACHE_MB: usize = 64;
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    pub const IDLE_TIMEOUT_SECS: u64 = 75;
    pub const BODY_TIMEOUT_SECS: u64 = 60;
    pub const MAX_CONNECTIONS: usize = 512;
    pub const MAX_CONCURRENT_UPLOADS: usize = 2;
    pub const SHUTDOWN_GRACE_SECS: u64 = 20;
    pub const GRAPHQL_INTROSPECTION: IntrospectionPolicy = IntrospectionPolicy::Public;
    pub const GRAPHQL_MAX_INTROSPECTION_COST: usize = 100_000;
    pub const GRAPHQL_MAX_TOKENS: usize = 15_000;
    pub const GRAPHQL_MAX_ALIASES: usize = 200;
    pub const GRAPHQL_MAX_FRAGMENTS: usize = 100;
    pub const GRAPHQL_MAX_SPREADS: usize = 500;
    pub const GRAPHQL_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
    pub const PERSISTED_OPERATIONS: PersistedOperations = PersistedOperations::Allow;
    pub const GRAPHIQL: Switch = Switch::On;
    pub const SUBSCRIPTIONS_MAX: usize = 1_000;
    pub const SUBSCRIPTIONS_MAX_PER_CONNECTION: usize = 16;
    pub const SUBSCRIPTIONS_INIT_TIMEOUT_SECS: u64 = 10;
    pub const SUBSCRIPTIONS_HEARTBEAT_SECS: u64 = 15;
    pub const SUBSCRIPTIONS_POLL_MS: u64 = 1_000;
    /// Comma-separated, as the variable is written.
    pub const OIDC_ALGORITHMS: &str = "RS256,ES256";
    pub const OIDC_LEEWAY_SECS: u64 = 60;
    pub const OIDC_ROLE_CLAIM: &str = "roles";
    pub const OIDC_JWKS_MIN_REFRESH_SECS: u64 = 30;
    pub const OIDC_JWKS_REFRESH_SECS: u64 = 600;
    pub const OIDC_CONSOLE_SCOPES: &str = "openid profile email offline_access";
}

/// A comma-separated default as clap's `value_delimiter = ','` splits it.
fn split_list(list: &str) -> Vec<String> {
    list.split(',').map(str::to_owned).collect()
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://data/territoires.db",
        hide_env_values = true,
        global = true
    )]
    pub url: String,

    /// Maximum connections in the pool (PostgreSQL; SQLite uses at most 4).
    #[arg(
        long = "database-pool-size",
        env = "DATABASE_POOL_SIZE",
        default_value_t = defaults::DATABASE_POOL_SIZE,
        global = true
    )]
    pub pool_size: u32,

    /// Seconds to wait for a database connection before failing the request.
    #[arg(
        long = "database-timeout",
        env = "DATABASE_TIMEOUT_SECS",
        default_value_t = defaults::DATABASE_TIMEOUT_SECS,
        global = true
    )]
    pub timeout_secs: u64,

    /// Statements slower than this many milliseconds are logged (their SQL, never their
    /// parameters) and counted in the metrics.
    #[arg(
        long = "slow-statement-ms",
        env = "SLOW_STATEMENT_MS",
        default_value_t = defaults::SLOW_STATEMENT_MS,
        global = true
    )]
    pub slow_statement_ms: u64,
}

impl DatabaseConfig {
    /// The defaults, for the database at `url` (tests, tools).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: defaults::DATABASE_POOL_SIZE,
            timeout_secs: defaults::DATABASE_TIMEOUT_SECS,
            slow_statement_ms: defaults::SLOW_STATEMENT_MS,
        }
    }
}

/// How `serve` listens and what it accepts.
#[derive(Debug, Clone, Args)]
pub struct ServerConfig {
    /// Address and port to listen on (`0.0.0.0:8080` in a container).
    #[arg(long = "bind", env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,

    /// Origins allowed to call the API from a browser, comma-separated
    /// (`https://annuaire.hauts-de-seine.fr,https://outils.example`), or `*`; none by
    /// default.
    #[arg(long = "cors-origins", env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Request headers browser apps may send cross-origin, comma-separated; the default
    /// covers JSON and uploads, tokens, tracing (`traceparent`, `baggage`, `sentry-trace`)
    /// and Apollo's client headers.
    #[arg(
        long = "cors-allow-headers",
        env = "CORS_ALLOW_HEADERS",
        value_delimiter = ',',
        default_value = crate::http::cors::DEFAULT_ALLOW_HEADERS
    )]
    pub cors_allow_headers: Vec<String>,

    /// Seconds browsers and shared caches may reuse an anonymous `GET /graphql` answer
    /// (`Cache-Control: public, max-age=…`); they revalidate with its `ETag` after. 0 makes
    /// every reuse revalidate.
    #[arg(
        long = "http-cache-max-age",
        env = "HTTP_CACHE_MAX_AGE",
        default_value_t = defaults::HTTP_CACHE_MAX_AGE
    )]
    pub http_cache_max_age: u32,

    /// Memory for the documents of automatic persisted queries, in bytes; past it the
    /// oldest are forgotten (clients send them again). 0 registers none.
    #[arg(
        long = "apq-cache-bytes",
        env = "APQ_CACHE_BYTES",
        default_value_t = defaults::APQ_CACHE_BYTES
    )]
    pub apq_cache_bytes: usize,

    /// Largest accepted GraphQL request body, in bytes (file uploads have their own limit).
    #[arg(long = "max-body-bytes", env = "MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Deepest selection nesting a query may have.
    #[arg(
        long = "max-query-depth",
        env = "GRAPHQL_MAX_DEPTH",
        default_value_t = defaults::GRAPHQL_MAX_DEPTH
    )]
    pub max_query_depth: usize,

    /// Largest complexity a query may have (a field counts 1; a connection multiplies its
    /// selection by its page size).
    #[arg(
        long = "max-query-complexity",
        env = "GRAPHQL_MAX_COMPLEXITY",
        default_value_t = defaults::GRAPHQL_MAX_COMPLEXITY
    )]
    pub max_query_complexity: usize,

    /// Seconds a query may run before it is stopped.
    #[arg(
        long = "query-timeout",
        env = "QUERY_TIMEOUT_SECS",
        default_value_t = defaults::QUERY_TIMEOUT_SECS
    )]
    pub query_timeout_secs: u64,

    /// Memory for whole responses of repeated reads, in MiB (0 disables the cache).
    /// Entries are dropped whenever the data changes.
    #[arg(
        long = "response-cache-mb",
        env = "RESPONSE_CACHE_MB",
        default_value_t = defaults::RESPONSE_CACHE_MB
    )]
    pub response_cache_mb: usize,

    /// Seconds a new connection has to send the headers of its first request; slower
    /// connections are closed (a client that opens connections and trickles headers
    /// cannot hold them).
    #[arg(
        long = "header-read-timeout",
        env = "HEADER_READ_TIMEOUT_SECS",
        default_value_t = defaults::HEADER_READ_TIMEOUT_SECS
    )]
    pub header_read_timeout_secs: u64,

    /// Seconds a kept-alive connection may wait for (and send the headers of) its next
    /// request before it is closed. Keep it above the idle timeout of a reverse proxy
    /// that reuses connections (nginx and most load balancers: 60 s).
    #[arg(long = "idle-timeout", env = "IDLE_TIMEOUT_SECS", default_value_t = defaults::IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,

    /// Seconds a client has to send a whole request body (a roster upload included);
    /// a body that stalls or trickles is cut with 408.
    #[arg(long = "body-timeout", env = "BODY_TIMEOUT_SECS", default_value_t = defaults::BODY_TIMEOUT_SECS)]
    pub body_timeout_secs: u64,

    /// Connections served at once; further connections wait to be accepted until one
    /// closes. Keep it well under the process's open-file limit (`ulimit -n`), which the
    /// database pool and roster files share.
    #[arg(
        long = "max-connections",
        env = "MAX_CONNECTIONS",
        default_value_t = defaults::MAX_CONNECTIONS
    )]
    pub max_connections: usize,

    /// Roster uploads received at once; another upload is answered 503 (with
    /// `Retry-After`) before its body is read.
    #[arg(
        long = "max-concurrent-uploads",
        env = "MAX_CONCURRENT_UPLOADS",
        default_value_t = defaults::MAX_CONCURRENT_UPLOADS
    )]
    pub max_concurrent_uploads: usize,

    /// Seconds, after SIGTERM or Ctrl-C, given to in-flight requests (and a running
    /// nightly import) to end; then the process exits, whatever clients still hold.
    #[arg(
        long = "shutdown-grace",
        env = "SHUTDOWN_GRACE_SECS",
        default_value_t = defaults::SHUTDOWN_GRACE_SECS
    )]
    pub shutdown_grace_secs: u64,

    /// The address users reach the service at, behind any proxy
    /// (`https://territoires.hauts-de-seine.fr`): the console's forms must come from it,
    /// and its cookies are `Secure` when it is https. Unset: the `Host` of each request.
    #[arg(long = "public-url", env = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// When set, `GET /metrics` needs `Authorization: Bearer <this token>`; public
    /// otherwise (keep it on a private network then).
    #[arg(long = "metrics-token", env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Who may query the schema (`__schema`, `__type`): `public` (anyone), `authenticated`
    /// (callers with a valid token) or `off` (nobody). `__typename` is always allowed.
    #[arg(
        long = "graphql-introspection",
        env = "GRAPHQL_INTROSPECTION",
        value_enum,
        default_value_t = defaults::GRAPHQL_INTROSPECTION
    )]
    pub introspection: IntrospectionPolicy,

    /// Largest cost of the introspection part of a query: each type, field, argument or
    /// value a selection may list counts 1 (the standard introspection query of tools
    /// costs about a third of the default). `__schema` may be selected once.
    #[arg(
        long = "max-introspection-cost",
        env = "GRAPHQL_MAX_INTROSPECTION_COST",
        default_value_t = defaults::GRAPHQL_MAX_INTROSPECTION_COST
    )]
    pub max_introspection_cost: usize,

    /// Most lexical tokens (names, punctuation, values) a query document may have; checked
    /// before it is parsed.
    #[arg(
        long = "max-query-tokens",
        env = "GRAPHQL_MAX_TOKENS",
        default_value_t = defaults::GRAPHQL_MAX_TOKENS
    )]
    pub max_query_tokens: usize,

    /// Most aliases a query document may hold.
    #[arg(
        long = "max-query-aliases",
        env = "GRAPHQL_MAX_ALIASES",
        default_value_t = defaults::GRAPHQL_MAX_ALIASES
    )]
    pub max_query_aliases: usize,

    /// Most fragment definitions a query document may hold.
    #[arg(
        long = "max-query-fragments",
        env = "GRAPHQL_MAX_FRAGMENTS",
        default_value_t = defaults::GRAPHQL_MAX_FRAGMENTS
    )]
    pub max_query_fragments: usize,

    /// Most fragment spreads (`...Name`) a query document may hold.
    #[arg(
        long = "max-query-spreads",
        env = "GRAPHQL_MAX_SPREADS",
        default_value_t = defaults::GRAPHQL_MAX_SPREADS
    )]
    pub max_query_spreads: usize,

    /// Largest GraphQL response body, in bytes: a larger answer is replaced by an error,
    /// never cut short.
    #[arg(
        long = "max-response-bytes",
        env = "GRAPHQL_MAX_RESPONSE_BYTES",
        default_value_t = defaults::GRAPHQL_MAX_RESPONSE_BYTES
    )]
    pub max_response_bytes: usize,

    /// Who may run documents outside the trusted manifests (`docs/operations/` and
    /// `PERSISTED_OPERATIONS_FILE`): `allow` (anyone; the manifests' hashes are known from
    /// the start), `only` (token holders only: anonymous callers run manifest documents,
    /// by hash or identical text, and register none), `off` (manifests ignored).
    #[arg(
        long = "persisted-operations",
        env = "PERSISTED_OPERATIONS",
        value_enum,
        default_value_t = defaults::PERSISTED_OPERATIONS
    )]
    pub persisted_operations: PersistedOperations,

    /// Manifests of trusted documents frontends hand over (JSON: SHA-256 → document, or
    /// Apollo's persisted query manifest), comma-separated paths; read at start, an
    /// invalid one stops the server.
    #[arg(
        long = "persisted-operations-file",
        env = "PERSISTED_OPERATIONS_FILE",
        value_delimiter = ','
    )]
    pub persisted_operations_files: Vec<std::path::PathBuf>,

    /// GraphiQL on `GET /graphql` for browsers (`on`), or no page and no assets (`off`).
    #[arg(long = "graphiql", env = "GRAPHIQL", value_enum, default_value_t = defaults::GRAPHIQL)]
    pub graphiql: Switch,

    /// Subscriptions open at once in this process, over WebSocket and SSE together
    /// (each holds a little memory and, for SSE, a connection): beyond it a new one is
    /// refused with `TOO_MANY_SUBSCRIPTIONS`.
    #[arg(
        long = "subscriptions-max",
        env = "SUBSCRIPTIONS_MAX",
        default_value_t = defaults::SUBSCRIPTIONS_MAX
    )]
    pub subscriptions_max: usize,

    /// Subscriptions one WebSocket connection may hold at once.
    #[arg(
        long = "subscriptions-max-per-connection",
        env = "SUBSCRIPTIONS_MAX_PER_CONNECTION",
        default_value_t = defaults::SUBSCRIPTIONS_MAX_PER_CONNECTION
    )]
    pub subscriptions_max_per_connection: usize,

    /// Seconds a WebSocket client has to send `connection_init` before it is closed
    /// (4408).
    #[arg(
        long = "subscriptions-init-timeout",
        env = "SUBSCRIPTIONS_INIT_TIMEOUT_SECS",
        default_value_t = defaults::SUBSCRIPTIONS_INIT_TIMEOUT_SECS
    )]
    pub subscriptions_init_timeout_secs: u64,

    /// Seconds between heartbeats on an open subscription (a `ping` message over
    /// WebSocket, a comment line over SSE), which keep proxies from closing quiet
    /// connections and notice clients that are gone.
    #[arg(
        long = "subscriptions-heartbeat",
        env = "SUBSCRIPTIONS_HEARTBEAT_SECS",
        default_value_t = defaults::SUBSCRIPTIONS_HEARTBEAT_SECS
    )]
    pub subscriptions_heartbeat_secs: u64,

    /// Milliseconds between two looks at the database for changes on SQLite (PostgreSQL
    /// pushes them with `LISTEN/NOTIFY`); between 100 and 60000.
    #[arg(
        long = "subscriptions-poll-ms",
        env = "SUBSCRIPTIONS_POLL_MS",
        default_value_t = defaults::SUBSCRIPTIONS_POLL_MS
    )]
    pub subscriptions_poll_ms: u64,

    /// People's access tokens from an OpenID Connect provider (off without `OIDC_ISSUER`).
    #[command(flatten)]
    pub oidc: OidcSettings,
}

/// Bearer JWTs from an OpenID Connect provider (Entra ID, Keycloak…): people call the API
/// with their own access tokens, their role read from a claim, and their writes audited
/// under their names. Off while `OIDC_ISSUER` is unset.
#[derive(Debug, Clone, Args)]
pub struct OidcSettings {
    /// The provider's issuer, exactly as its tokens' `iss` claim
    /// (`https://login.microsoftonline.com/<tenant>/v2.0`,
    /// `https://sso.example.fr/realms/<realm>`); its metadata is read from
    /// `<issuer>/.well-known/openid-configuration`. https only (http on loopback).
    #[arg(long = "oidc-issuer", env = "OIDC_ISSUER")]
    pub issuer: Option<String>,

    /// The audience access tokens must be issued for (`aud`): this API's identifier at
    /// the provider (Entra: the application's client id; Keycloak: the audience mapper's
    /// value). Required with `OIDC_ISSUER`: an ID token, issued to a frontend, is refused.
    #[arg(long = "oidc-audience", env = "OIDC_AUDIENCE")]
    pub audience: Option<String>,

    /// PEM file of the certificate authorities trusted for the provider (an internal
    /// CA); Mozilla's roots otherwise.
    #[arg(long = "oidc-ca-file", env = "OIDC_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,

    /// Signature algorithms accepted, comma-separated, among RS256, RS384, RS512, PS256,
    /// PS384, PS512, ES256, ES384; `none` and HS* (shared secrets) are refused.
    #[arg(
        long = "oidc-algorithms",
        env = "OIDC_ALGORITHMS",
        value_delimiter = ',',
        default_value = defaults::OIDC_ALGORITHMS
    )]
    pub algorithms: Vec<String>,

    /// Seconds of clock difference tolerated with the provider for `exp`, `nbf`, `iat`.
    #[arg(long = "oidc-leeway", env = "OIDC_LEEWAY_SECS", default_value_t = defaults::OIDC_LEEWAY_SECS)]
    pub leeway_secs: u64,

    /// The claim holding the person's roles or groups: a name (`roles`, `groups`) or a
    /// dotted path into nested claims (`realm_access.roles`); a string or an array of
    /// strings.
    #[arg(
        long = "oidc-role-claim",
        env = "OIDC_ROLE_CLAIM",
        default_value = defaults::OIDC_ROLE_CLAIM
    )]
    pub role_claim: String,

    /// Values of the role claim that make an EDITOR, comma-separated.
    #[arg(
        long = "oidc-editor-values",
        env = "OIDC_EDITOR_VALUES",
        value_delimiter = ','
    )]
    pub editor_values: Vec<String>,

    /// Values of the role claim that make an ADMIN, comma-separated (a person with
    /// neither an editor nor an admin value reads as the public does).
    #[arg(
        long = "oidc-admin-values",
        env = "OIDC_ADMIN_VALUES",
        value_delimiter = ','
    )]
    pub admin_values: Vec<String>,

    /// Least seconds between two fetches of the provider's keys prompted by tokens
    /// naming an unknown key (`kid`): a flood of made-up kids costs the provider at most
    /// one request per period.
    #[arg(
        long = "oidc-jwks-min-refresh",
        env = "OIDC_JWKS_MIN_REFRESH_SECS",
        default_value_t = defaults::OIDC_JWKS_MIN_REFRESH_SECS
    )]
    pub jwks_min_refresh_secs: u64,

    /// Seconds between two routine fetches of the provider's keys, so a key the provider
    /// withdrew stops being accepted.
    #[arg(
        long = "oidc-jwks-refresh",
        env = "OIDC_JWKS_REFRESH_SECS",
        default_value_t = defaults::OIDC_JWKS_REFRESH_SECS
    )]
    pub jwks_refresh_secs: u64,

    /// The console's client id at the provider: with it, the console signs people in
    /// through the provider (authorization code with PKCE); the redirect URI to register
    /// is `<PUBLIC_URL>/admin/connexion/oidc/retour`, the sign-out return
    /// `<PUBLIC_URL>/admin/connexion?motif=deconnexion`. The ID token's audience.
    #[arg(long = "oidc-console-client-id", env = "OIDC_CONSOLE_CLIENT_ID")]
    pub console_client_id: Option<String>,

    /// The console client's secret (a confidential client, sent with HTTP Basic); unset
    /// for a public client, which PKCE alone protects.
    #[arg(
        long = "oidc-console-client-secret",
        env = "OIDC_CONSOLE_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub console_client_secret: Option<String>,

    /// Scopes the console asks for, space-separated; `openid` is required,
    /// `offline_access` brings the refresh token that renews a session.
    #[arg(
        long = "oidc-console-scopes",
        env = "OIDC_CONSOLE_SCOPES",
        default_value = defaults::OIDC_CONSOLE_SCOPES
    )]
    pub console_scopes: String,
}

impl Default for OidcSettings {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            ca_file: None,
            algorithms: split_list(defaults::OIDC_ALGORITHMS),
            leeway_secs: defaults::OIDC_LEEWAY_SECS,
            role_claim: defaults::OIDC_ROLE_CLAIM.to_owned(),
            editor_values: Vec::new(),
            admin_values: Vec::new(),
            jwks_min_refresh_secs: defaults::OIDC_JWKS_MIN_REFRESH_SECS,
            jwks_refresh_secs: defaults::OIDC_JWKS_REFRESH_SECS,
            console_client_id: None,
            console_client_secret: None,
            console_scopes: defaults::OIDC_CONSOLE_SCOPES.to_owned(),
        }
    }
}

/// How the trusted documents of the manifests are used (`PERSISTED_OPERATIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PersistedOperations {
    /// The manifests are ignored.
    Off,
    /// Their hashes resolve from the start; any document may run.
    Allow,
    /// Anonymous callers may run only their documents.
    Only,
}

/// A feature turned `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// `SYNC_NOTIFY`: `always` or `problems`.
pub fn parse_notify(value: &str) -> Result<territoires_sync::NotifyWhen, String> {
    value
        .parse()
        .map_err(|_| format!("SYNC_NOTIFY must be \"always\" or \"problems\", not {value:?}"))
}

/// `PUBLIC_URL`: an absolute http(s) address with a host and nothing after the path,
/// kept without its final `/`.
pub fn parse_public_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or("PUBLIC_URL must start with https:// or http://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err("PUBLIC_URL must name a host, e.g. https://territoires.example.fr".to_owned());
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@'))
    {
        return Err(
            "PUBLIC_URL must be a plain address, without spaces, query, fragment or user"
                .to_owned(),
        );
    }
    Ok(value.to_owned())
}

/// Who may query the GraphQL schema itself (`GRAPHQL_INTROSPECTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IntrospectionPolicy {
    /// Anyone, as GraphiQL and code generators expect.
    Public,
    /// Only callers with a valid token.
    Authenticated,
    /// Nobody.
    Off,
}

impl ServerConfig {
    /// The defaults, listening on `bind_addr` (for tests and embedding).
    pub fn on(bind_addr: SocketAddr) -> Self {
        Self {
            response_cache_mb: defaults::RESPONSE_CACHE_MB,
            bind_addr,
            cors_origins: Vec::new(),
            cors_allow_headers: split_list(crate::http::cors::DEFAULT_ALLOW_HEADERS),
            http_cache_max_age: defaults::HTTP_CACHE_MAX_AGE,
            apq_cache_bytes: defaults::APQ_CACHE_BYTES,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_query_depth: defaults::GRAPHQL_MAX_DEPTH,
            max_query_complexity: defaults::GRAPHQL_MAX_COMPLEXITY,
            query_timeout_secs: defaults::QUERY_TIMEOUT_SECS,
            introspection: defaults::GRAPHQL_INTROSPECTION,
            max_introspection_cost: defaults::GRAPHQL_MAX_INTROSPECTION_COST,
            max_query_tokens: defaults::GRAPHQL_MAX_TOKENS,
            max_query_aliases: defaults::GRAPHQL_MAX_ALIASES,
            max_query_fragments: defaults::GRAPHQL_MAX_FRAGMENTS,
            max_query_spreads: defaults::GRAPHQL_MAX_SPREADS,
            max_response_bytes: defaults::GRAPHQL_MAX_RESPONSE_BYTES,
            header_read_timeout_secs: defaults::HEADER_READ_TIMEOUT_SECS,
            idle_timeout_secs: defaults::IDLE_TIMEOUT_SECS,
            body_timeout_secs: defaults::BODY_TIMEOUT_SECS,
            max_connections: defaults::MAX_CONNECTIONS,
            max_concurrent_uploads: defaults::MAX_CONCURRENT_UPLOADS,
            shutdown_grace_secs: defaults::SHUTDOWN_GRACE_SECS,
            metrics_token: None,
            public_url: None,
            graphiql: defaults::GRAPHIQL,
            subscriptions_max: defaults::SUBSCRIPTIONS_MAX,
            subscriptions_max_per_connection: defaults::SUBSCRIPTIONS_MAX_PER_CONNECTION,
            subscriptions_init_timeout_secs: defaults::SUBSCRIPTIONS_INIT_TIMEOUT_SECS,
            subscriptions_heartbeat_secs: defaults::SUBSCRIPTIONS_HEARTBEAT_SECS,
            subscriptions_poll_ms: defaults::SUBSCRIPTIONS_POLL_MS,
            persisted_operations: defaults::PERSISTED_OPERATIONS,
            persisted_operations_files: Vec::new(),
            oidc: OidcSettings::default(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The roster sync settings (`serve` runs the nightly import; `sync` imports a file).
#[derive(Debug, Clone, Args)]
pub struct SyncSettings {
    /// Folder administrators drop the HR roster into; `archive/` and `rejected/` are made
    /// inside it.
    #[arg(
        long = "sync-drop-dir",
        env = "SYNC_DROP_DIR",
        default_value = territoires_sync::DEFAULT_DROP_DIR,
        global = true
    )]
    pub drop_dir: std::path::PathBuf,

    /// When the nightly import runs: a cron expression of 6 fields, seconds first, in
    /// SYNC_TIMEZONE.
    #[arg(long = "sync-cron", env = "SYNC_CRON", default_value = territoires_sync::DEFAULT_CRON, global = true)]
    pub cron: String,

    /// Time zone of SYNC_CRON (IANA name); daylight-saving changes are handled.
    #[arg(long = "sync-timezone", env = "SYNC_TIMEZONE", default_value = territoires_sync::DEFAULT_TIMEZONE, global = true)]
    pub timezone: String,

    /// Run the nightly import inside `serve` (every replica may: one import runs, the
    /// others find it busy).
    #[arg(long = "sync-schedule", env = "SYNC_SCHEDULE", default_value_t = territoires_sync::DEFAULT_SCHEDULED, action = clap::ArgAction::Set, global = true)]
    pub schedule: bool,

    /// A file that would deactivate more than this share of the active coordinators is
    /// refused unless forced.
    #[arg(long = "sync-max-deactivation-ratio", env = "SYNC_MAX_DEACTIVATION_RATIO", default_value_t = territoires_sync::DEFAULT_MAX_DEACTIVATION_RATIO, global = true)]
    pub max_deactivation_ratio: f64,

    /// Days a deactivated coordinator's phone and e-mail are kept before being erased.
    #[arg(long = "roster-retention-days", env = "ROSTER_RETENTION_DAYS", default_value_t = territoires_sync::DEFAULT_RETENTION_DAYS, global = true)]
    pub retention_days: u32,

    /// Days archived and rejected roster files are kept.
    #[arg(long = "sync-archive-days", env = "SYNC_ARCHIVE_DAYS", default_value_t = territoires_sync::DEFAULT_ARCHIVE_DAYS, global = true)]
    pub archive_days: u32,

    /// URL that receives a JSON POST after a nightly import (as SYNC_NOTIFY says).
    #[arg(long = "sync-alert-webhook", env = "SYNC_ALERT_WEBHOOK", global = true)]
    pub alert_webhook: Option<String>,

    /// After which nightly imports the e-mail and the webhook are sent: `problems` (a file
    /// rejected, refused or set aside, a failure) or `always` (every file imported).
    #[arg(long = "sync-notify", env = "SYNC_NOTIFY", default_value_t = territoires_sync::NotifyWhen::default(), value_parser = parse_notify, global = true)]
    pub notify: territoires_sync::NotifyWhen,

    /// The mail relay, in lettre's URL syntax: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://host:465`.
    #[arg(
        long = "smtp-url",
        env = "SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,

    /// Who receives the nightly import's e-mail: addresses, comma-separated.
    #[arg(
        long = "sync-notify-to",
        env = "SYNC_NOTIFY_TO",
        value_delimiter = ',',
        global = true
    )]
    pub notify_to: Vec<String>,

    /// The e-mail's sender; default `territoires@` the host of PUBLIC_URL.
    #[arg(long = "sync-notify-from", env = "SYNC_NOTIFY_FROM", global = true)]
    pub notify_from: Option<String>,

    /// A PEM file of the certificate authority of an internal mail relay.
    #[arg(long = "smtp-ca-file", env = "SMTP_CA_FILE", global = true)]
    pub smtp_ca_file: Option<std::path::PathBuf>,

    /// Seconds a dropped file must stay unchanged before it is taken (so a file still
    /// being copied is never read half-written).
    #[arg(
        long = "sync-settle-secs",
        env = "SYNC_SETTLE_SECS",
        default_value_t = territoires_sync::DEFAULT_SETTLE_TIME.as_secs(),
        global = true
    )]
    pub settle_secs: u64,

    /// Largest roster file accepted (dropped, uploaded or given to `sync`), in bytes.
    #[arg(long = "sync-max-file-size", env = "SYNC_MAX_FILE_SIZE", default_value_t = territoires_sync::DEFAULT_MAX_FILE_SIZE, global = true)]
    pub max_file_size: u64,
}

impl SyncSettings {
    /// The settings as the sync library takes them.
    pub fn to_config(&self) -> territoires_sync::SyncConfig {
        territoires_sync::SyncConfig {
            drop_dir: self.drop_dir.clone(),
            cron: self.cron.clone(),
            timezone: self.timezone.clone(),
            scheduled: self.schedule,
            max_deactivation_ratio: self.max_deactivation_ratio,
            retention_days: self.retention_days,
            archive_days: self.archive_days,
            alert_webhook: self
                .alert_webhook
                .clone()
                .filter(|url| !url.trim().is_empty()),
            max_file_size: self.max_file_size,
            settle_time: std::time::Duration::from_secs(self.settle_secs),
            notify: self.notify,
            smtp_url: self.smtp_url.clone().filter(|url| !url.trim().is_empty()),
            notify_to: self
                .notify_to
                .iter()
                .map(|to| to.trim().to_owned())
                .filter(|to| !to.is_empty())
                .collect(),
            notify_from: self
                .notify_from
                .clone()
                .filter(|from| !from.trim().is_empty()),
            smtp_ca_file: self
                .smtp_ca_file
                .clone()
                .filter(|path| !path.as_os_str().is_empty()),
            ..territoires_sync::SyncConfig::default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::{CommandFactory, FromArgMatches, Parser};

    use super::*;

    /// Every setting of `serve`, declared as the binary declares them.
    #[derive(Debug, Parser)]
    struct Everything {
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        server: ServerConfig,
        #[command(flatten)]
        sync: SyncSettings,
    }

    /// What clap makes of no flag and no environment: its defaults alone.
    fn clap_defaults() -> Everything {
        let command = Everything::command().mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(["territoires"]).unwrap();
        Everything::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn the_constructors_give_the_defaults_clap_gives() {
        let parsed = clap_defaults();
        assert_eq!(
            format!("{:?}", DatabaseConfig::new(parsed.database.url.clone())),
            format!("{:?}", parsed.database)
        );
        assert_eq!(
            format!("{:?}", ServerConfig::on(parsed.server.bind_addr)),
            format!("{:?}", parsed.server)
        );
        assert_eq!(
            parsed.sync.to_config(),
            territoires_sync::SyncConfig::default()
        );
    }

    /// The README's table of variables shows each default clap applies, as clap
    /// prints it, so neither can change alone.
    #[test]
    fn the_readme_shows_the_defaults_clap_applies() {
        let readme = include_str!("../../README.md");
        let mut commands = vec![crate::cli::Cli::command()];
        let mut checked = 0;
        while let Some(command) = commands.pop() {
            for arg in command.get_arguments() {
                let (Some(name), false) = (arg.get_env(), arg.get_default_values().is_empty())
                else {
                    continue;
                };
                let name = name.to_string_lossy();
                let default = arg
                    .get_default_values()
                    .iter()
                    .map(|value| value.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(",");
                let row = readme
                    .lines()
                    .find(|line| line.starts_with(&format!("| `{name}` |")));
                assert!(row.is_some(), "the README's table has no row for {name}");
                let shown = row.and_then(|row| row.split('|').nth(2)).map(str::trim);
                assert_eq!(shown, Some(format!("`{default}`").as_str()), "{name}");
                checked += 1;
            }
            commands.extend(command.get_subcommands().cloned());
        }
        assert!(checked > 40, "only {checked} defaults found");
    }
}
