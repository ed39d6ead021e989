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
    // Labelled by root field: operation names are the client's choice, fields are not.
    assert!(text.contains("territoires_graphql_request_duration_seconds_bucket{operation=\"territories\",le=\"+Inf\"}"), "{text}");
    assert!(
        text.contains(
            "territoires_graphql_requests_total{operation=\"commune\",outcome=\"bad_user_input\"} 1"
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

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

/// The value of the metric line that starts with `series ` (name and labels), if any.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_count_roster_imports_by_status_and_trigger_and_the_last_success() {
    let app = spawn_app().await;
    let admin = app.token(entity::Role::Admin).await;
    let run = "mutation($dryRun: Boolean) { runRosterSync(dryRun: $dryRun) { run { status trigger dryRun } } }";
    let before = chrono::Utc::now().timestamp();

    // A rejected file: counted, and still no successful import.
    std::fs::write(app.inbox.path().join("faux.xlsx"), "pas un classeur").unwrap();
    let rejected = app.graphql_as(&admin, run, json!({})).await;
    assert_eq!(
        rejected["data"]["runRosterSync"]["run"]["status"], "REJECTED",
        "{rejected}"
    );
    // A dry run of a good file: not counted (it changes nothing).
    let export = std::fs::read(format!("{FIXTURES}/roster-92-hr-export.xlsx")).unwrap();
    std::fs::write(app.inbox.path().join("export.xlsx"), &export).unwrap();
    let dry = app.graphql_as(&admin, run, json!({ "dryRun": true })).await;
    assert_eq!(
        dry["data"]["runRosterSync"]["run"],
        json!({ "status": "PLANNED", "trigger": "MANUAL", "dryRun": true }),
        "{dry}"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains("# TYPE territoires_roster_imports gauge"),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_imports{status=\"REJECTED\",trigger=\"MANUAL\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_imports{status=\"APPLIED\",trigger=\"MANUAL\"}"
        ),
        None,
        "dry runs are not counted: {metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_imports{status=\"PLANNED\",trigger=\"MANUAL\"}"
        ),
        None,
        "dry runs are not counted: {metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_last_success_timestamp_seconds"
        ),
        Some(0.0)
    );

    // The import itself.
    let applied = app.graphql_as(&admin, run, json!({})).await;
    assert_eq!(
        applied["data"]["runRosterSync"]["run"]["status"], "APPLIED",
        "{applied}"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_imports{status=\"APPLIED\",trigger=\"MANUAL\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "territoires_roster_imports{status=\"REJECTED\",trigger=\"MANUAL\"}"
        ),
        Some(1.0)
    );
    let last = sample(
        &metrics,
        "territoires_roster_last_success_timestamp_seconds",
    )
    .unwrap();
    assert!(
        last >= before as f64 && last <= (chrono::Utc::now().timestamp() + 1) as f64,
        "the time of the import: {last}"
    );
}
