//! The application under test, served on a random port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entity::Role;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use territoires::config::ServerConfig;
use territoires::server::{AppState, serve};

use crate::TestDb;

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A connection to the same database, for arranging and checking.
    pub db: DatabaseConnection,
    /// The HTTP client.
    pub client: reqwest::Client,
    statements: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
    /// The drop folder of the roster sync (`SYNC_DROP_DIR`).
    pub inbox: tempfile::TempDir,
    /// Kept last: the database is dropped after the server stops.
    pub database: TestDb,
}

/// Serves the application on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::new().await).await
}

/// An HTTP client for the tests. reqwest is built without a TLS crypto provider (the
/// service picks ring for its webhook), so one is installed for the test process first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Serves the application on `database`.
pub async fn spawn_app_on(database: TestDb) -> TestApp {
    spawn_app_with(database, |_| {}).await
}

/// Serves the application on `database`, with the server settings (`CORS_ORIGINS`,
/// `QUERY_TIMEOUT_SECS`…) changed by `configure` from their defaults.
pub async fn spawn_app_with(
    database: TestDb,
    configure: impl FnOnce(&mut ServerConfig),
) -> TestApp {
    spawn_app_configured(database, configure, |_| {}).await
}

/// Serves the application on `database`, with the server settings changed by
/// `configure` and the roster sync settings (`SYNC_*`) by `configure_sync`.
pub async fn spawn_app_configured(
    database: TestDb,
    configure: impl FnOnce(&mut ServerConfig),
    configure_sync: impl FnOnce(&mut territoires_sync::SyncConfig),
) -> TestApp {
    let statements = Arc::new(AtomicUsize::new(0));
    let mut app_db = database.connect().await;
    let counter = statements.clone();
    app_db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    territoires::db::migrate(&app_db).await.expect("migrate");
    let mut config = ServerConfig::on(([127, 0, 0, 1], 0).into());
    configure(&mut config);
    let inbox = tempfile::tempdir().expect("a drop folder");
    let mut sync = territoires_sync::SyncConfig {
        drop_dir: inbox.path().to_path_buf(),
        settle_time: std::time::Duration::ZERO,
        ..territoires_sync::SyncConfig::default()
    };
    configure_sync(&mut sync);
    let state = AppState::new(app_db, config, sync)
        .await
        .expect("application state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    // The real accept loop (timeouts, connection limit), as `territoires serve` runs it.
    let server = tokio::spawn(async move {
        serve(listener, state, std::future::pending()).await.ok();
    });
    TestApp {
        address,
        db: database.connect().await,
        client: http_client(),
        statements,
        server,
        inbox,
        database,
    }
}

impl TestApp {
    /// Posts a GraphQL query with variables and returns the JSON response.
    pub async fn graphql_with(&self, query: &str, variables: Value) -> Value {
        self.post(None, query, variables).await.1
    }

    /// Posts a GraphQL query with `Authorization: Bearer token`.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(Some(token), query, variables).await.1
    }

    /// Posts a GraphQL query, with a token if given; returns the HTTP status and JSON.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON response"))
    }

    /// Sends `query` as a GraphQL multipart request (the spec frontends' upload clients
    /// follow, with the `apollo-require-preflight` header they send so browsers make a
    /// CORS preflight) with `bytes`, named `file_name`, as its `file` variable; returns the HTTP
    /// status and the answer (JSON, or the body as a string when it is not JSON, as for
    /// a body refused for its size).
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let mut variables = variables;
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
            );
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .header("apollo-require-preflight", "true")
            .multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql (multipart)");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a response body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates an API token with `role` and returns its secret.
    pub async fn token(&self, role: Role) -> String {
        let name = format!("test-{:?}-{}", role, self.statements());
        territoires::access::create_token(&self.db, &name, role, None)
            .await
            .expect("create a token")
    }

    /// Posts a GraphQL query and returns the JSON response.
    pub async fn graphql(&self, query: &str) -> Value {
        self.graphql_with(query, json!({})).await
    }

    /// Posts a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str) -> Value {
        let response = self.graphql(query).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response}"
        );
        response["data"].clone()
    }

    /// `GET path`, returning the status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// SQL statements the application ran so far.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}
