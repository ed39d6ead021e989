//! The application under test, served on a random port.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use territoires::server::{AppState, app};

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
    /// Kept last: the database is dropped after the server stops.
    pub database: TestDb,
}

/// Serves the application on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::new().await).await
}

/// Serves the application on `database`.
pub async fn spawn_app_on(database: TestDb) -> TestApp {
    let statements = Arc::new(AtomicUsize::new(0));
    let mut app_db = database.connect().await;
    let counter = statements.clone();
    app_db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    territoires::db::migrate(&app_db).await.expect("migrate");
    let state = AppState::new(app_db).await.expect("application state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, app(state)).await.ok();
    });
    TestApp {
        address,
        db: database.connect().await,
        client: reqwest::Client::new(),
        statements,
        server,
        database,
    }
}

impl TestApp {
    /// Posts a GraphQL query with variables and returns the JSON response.
    pub async fn graphql_with(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("a JSON response")
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
