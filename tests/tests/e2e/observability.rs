//! `/metrics` and request ids.

use serde_json::json;
use territoires_tests::spawn_app;

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.graphql_with("query Directory { territories { number } }", json!({}))
            .await;
    }
    let _ = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "query Lookup { commune { name } }", "operationName": "Lookup" }))
        .send()
        .await
        .unwrap();
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE territoires_graphql_requests_total counter"),
        "{text}"
    );
    assert!(text.contains("territoires_graphql_request_duration_seconds_bucket{operation=\"Directory\",le=\"+Inf\"}"), "{text}");
    assert!(
        text.contains(
            "territoires_graphql_requests_total{operation=\"Lookup\",outcome=\"bad_user_input\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("territoires_db_pool_max_connections"),
        "{text}"
    );
    assert!(
        text.contains("territoires_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(
        text.contains("territoires_roster_last_success_timestamp_seconds 0"),
        "{text}"
    );
    assert!(text.contains("territoires_directory_version "), "{text}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let first = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    let second = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id(&first), id(&second));
    let given = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        id(&given),
        "from-the-proxy-42",
        "an id set by a proxy is kept"
    );
}
