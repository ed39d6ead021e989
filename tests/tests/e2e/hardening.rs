//! Hostile and careless queries get clear errors, and the server keeps serving.

use serde_json::json;
use territoires_tests::{error_code, spawn_app};

#[tokio::test]
async fn too_deep_queries_are_refused() {
    let app = spawn_app().await;
    let mut query = String::from("{ territories { ");
    for _ in 0..12 {
        query.push_str("communes { territory { ");
    }
    query.push_str("number");
    for _ in 0..12 {
        query.push_str(" } }");
    }
    query.push_str(" } }");
    let response = app.graphql(&query).await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested")
    );
    assert_eq!(
        app.data("{ territory(number: 2) { number } }").await["territory"]["number"],
        2
    );
}

#[tokio::test]
async fn wide_alias_floods_are_refused_by_complexity() {
    let app = spawn_app().await;
    let fields: Vec<String> = (0..3000)
        .map(|i| format!("a{i}: territories {{ number name }}"))
        .collect();
    let query = format!("{{ {} }}", fields.join(" "));
    let response = app.graphql(&query).await;
    assert_eq!(
        error_code(&response),
        Some("BAD_USER_INPUT"),
        "{}",
        &response.to_string()[..200]
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex")
    );
}

#[tokio::test]
async fn large_pages_of_large_selections_are_refused_by_complexity() {
    let app = spawn_app().await;
    let node = (0..120)
        .map(|i| format!("t{i}: title"))
        .collect::<Vec<_>>()
        .join(" ");
    let query = format!("{{ projects(first: 100) {{ edges {{ node {{ {node} }} }} }} }}");
    let response = app.graphql(&query).await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn huge_bodies_are_refused_before_parsing() {
    let app = spawn_app().await;
    let padding = " ".repeat(300 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": format!("{{ territories {{ number }} {padding}}}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        app.data("{ territory(number: 3) { number } }").await["territory"]["number"],
        3
    );
}

#[tokio::test]
async fn malformed_graphql_and_unknown_fields_get_their_codes() {
    let app = spawn_app().await;
    for (query, code) in [
        ("{ territories { number ", "GRAPHQL_PARSE_FAILED"),
        (
            "{ territories { doesNotExist } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query { territory(number: \"one\") { number } }",
            "BAD_USER_INPUT",
        ),
        (
            "fragment A on Territory { ...B } fragment B on Territory { ...A } { territories { ...A } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("", "GRAPHQL_PARSE_FAILED"),
    ] {
        let response = app.graphql(query).await;
        assert_eq!(error_code(&response), Some(code), "{query}: {response}");
    }
    let not_json = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("[1, 2")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    let body: serde_json::Value = not_json.json().await.unwrap();
    assert_eq!(error_code(&body), Some("BAD_REQUEST"));
}

#[tokio::test]
async fn introspection_works_for_tools() {
    let app = spawn_app().await;
    let data = app
        .data("{ __schema { queryType { name } types { name } } __type(name: \"Territory\") { fields { name description } } }")
        .await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let fields = data["__type"]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .all(|f| f["description"].as_str().is_some_and(|d| !d.is_empty())),
        "every field documented"
    );
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = spawn_app().await;
    // A database error inside a resolver: drop a table the admin query reads.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("DROP TABLE sync_run_problems")
        .await
        .unwrap();
    app.db
        .execute_unprepared("DROP TABLE sync_runs")
        .await
        .unwrap();
    let admin = app.token(entity::Role::Admin).await;
    let response = app
        .graphql_as(&admin, "{ syncRuns { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&response), Some("INTERNAL"));
    let message = response["errors"][0]["message"].as_str().unwrap();
    assert_eq!(message, "Internal error; it has been logged.");
    assert!(!response.to_string().to_lowercase().contains("sync_runs"));
}

/// A CORS preflight from `origin` for a `POST /graphql`; the `Access-Control-Allow-Origin`
/// of the answer, if any.
async fn preflight(app: &territoires_tests::TestApp, origin: &str) -> Option<String> {
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let app = territoires_tests::spawn_app_with(territoires_tests::TestDb::new().await, |c| {
        c.cors_origins = vec![
            "https://annuaire.hauts-de-seine.fr".to_owned(),
            " https://outils.example ".to_owned(),
        ];
    })
    .await;
    assert_eq!(
        preflight(&app, "https://annuaire.hauts-de-seine.fr")
            .await
            .as_deref(),
        Some("https://annuaire.hauts-de-seine.fr")
    );
    assert_eq!(
        preflight(&app, "https://outils.example").await.as_deref(),
        Some("https://outils.example"),
        "origins are trimmed"
    );
    assert_eq!(preflight(&app, "https://evil.example").await, None);
    // A real request from an allowed origin carries the header too; from another, not.
    let allowed = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://annuaire.hauts-de-seine.fr")
        .json(&json!({ "query": "{ territory(number: 1) { number } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://annuaire.hauts-de-seine.fr"
    );
    let other = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ territory(number: 1) { number } }" }))
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // No origin configured (the default): no browser origin is allowed.
    let closed = spawn_app().await;
    assert_eq!(
        preflight(&closed, "https://annuaire.hauts-de-seine.fr").await,
        None
    );
    // `*`: any origin.
    let open = territoires_tests::spawn_app_with(territoires_tests::TestDb::new().await, |c| {
        c.cors_origins = vec!["*".to_owned()];
    })
    .await;
    assert_eq!(
        preflight(&open, "https://n-importe-ou.example")
            .await
            .as_deref(),
        Some("*")
    );
}

/// The query timeout (`QUERY_TIMEOUT_SECS`, at least 1 second) stops a read that waits
/// on a table another session holds locked, and the server keeps serving. Only
/// PostgreSQL can hold a read back deterministically (`LOCK TABLE`); SQLite readers in WAL
/// mode never wait, so the test runs on PostgreSQL in both of CI's passes.
#[tokio::test]
async fn a_query_running_past_the_timeout_is_stopped_and_the_server_keeps_serving() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(database) = territoires_tests::TestDb::new_postgres().await else {
        return;
    };
    let app = territoires_tests::spawn_app_with(database, |c| c.query_timeout_secs = 1).await;
    let admin = app.token(entity::Role::Admin).await;
    // The directory reloads after the token was written: before the lock is taken.
    app.graphql_as(&admin, "{ territories { number } }", json!({}))
        .await;
    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE sync_runs IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // A generous bound, so that a missing timeout fails the test instead of hanging it.
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app.graphql_as(
            &admin,
            "query TimedOutRuns { syncRuns { totalCount } }",
            json!({}),
        ),
    )
    .await
    .expect("the query timeout did not stop a blocked query");
    assert_eq!(error_code(&response), Some("INTERNAL"), "{response}");
    let message = response["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("1 seconds"), "{message}");
    // Other reads are answered while the lock is still held…
    assert_eq!(
        app.data("{ territory(number: 5) { number } }").await["territory"]["number"],
        5
    );
    lock.rollback().await.unwrap();
    // …and the same read once it is released.
    let runs = app
        .graphql_as(
            &admin,
            "query TimedOutRuns { syncRuns { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(runs["data"]["syncRuns"]["totalCount"], 0, "{runs}");
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(
            "territoires_graphql_requests_total{operation=\"syncRuns\",outcome=\"internal\"} 1"
        ),
        "{metrics}"
    );
}
