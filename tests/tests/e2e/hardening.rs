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
async fn malformed_graphql_and_unknown_fields_are_bad_user_input() {
    let app = spawn_app().await;
    for query in [
        "{ territories { number ",
        "{ territories { doesNotExist } }",
        "query { territory(number: \"one\") { number } }",
        "fragment A on Territory { ...B } fragment B on Territory { ...A } { territories { ...A } }",
        "",
    ] {
        let response = app.graphql(query).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{query}: {response}"
        );
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
