//! The audit log: every write, who, when, what, before and after.

use entity::Role;
use serde_json::json;
use territoires_tests::{error_code, spawn_app};

#[tokio::test]
async fn every_write_is_logged_with_its_author_and_changed_fields() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let editor_name = territoires::access::list_tokens(&app.db).await.unwrap()[0]
        .name
        .clone();
    let created = app
        .graphql_as(&editor, r#"mutation { createProject(input: {title: "Audité", territories: [4], axes: [WELLBEING]}) { project { id } } }"#, json!({}))
        .await;
    let id = created["data"]["createProject"]["project"]["id"].clone();
    app.graphql_as(&editor, "mutation($id: ID!) { updateProject(id: $id, expectedVersion: 1, input: {title: \"Audité 2\", axes: [WELLBEING, CITIZENSHIP]}) { project { id } } }", json!({ "id": id }))
        .await;
    app.graphql_as(
        &editor,
        "mutation($id: ID!) { archiveProject(id: $id) { project { id } } }",
        json!({ "id": id }),
    )
    .await;

    let log = app
        .graphql_as(&admin, "query($id: ID!) { auditLog(entityId: $id) { totalCount edges { node { actor entity entityId action at changes { field before after } } } } }", json!({ "id": id }))
        .await;
    assert!(log.get("errors").is_none(), "{log}");
    let entries = log["data"]["auditLog"]["edges"].as_array().unwrap();
    assert_eq!(log["data"]["auditLog"]["totalCount"], 3);
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["ARCHIVE", "UPDATE", "CREATE"]);
    assert!(
        entries
            .iter()
            .all(|e| e["node"]["actor"] == editor_name.as_str() && e["node"]["entityId"] == id)
    );
    let update = &entries[1]["node"]["changes"];
    assert_eq!(
        update,
        &json!([
            { "field": "axes", "before": ["WELLBEING"], "after": ["WELLBEING", "CITIZENSHIP"] },
            { "field": "title", "before": "Audité", "after": "Audité 2" },
        ])
    );
    let creation = &entries[2]["node"]["changes"];
    assert!(
        creation
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "title" && c["before"] == json!(null) && c["after"] == "Audité")
    );

    let projects_only = app.graphql_as(&admin, "{ auditLog(entity: \"Project\", first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { action } } } }", json!({})).await;
    let page = &projects_only["data"]["auditLog"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = app
        .graphql_as(&admin, "query($after: String) { auditLog(entity: \"Project\", first: 5, after: $after) { edges { node { action } } } }", json!({ "after": page["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(
        next["data"]["auditLog"]["edges"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(&app.graphql("{ auditLog { totalCount } }").await),
        Some("UNAUTHENTICATED")
    );
    let editor = app.token(Role::Editor).await;
    assert_eq!(
        error_code(
            &app.graphql_as(&editor, "{ auditLog { totalCount } }", json!({}))
                .await
        ),
        Some("FORBIDDEN")
    );
    let admin = app.token(Role::Admin).await;
    let bad_cursor = app
        .graphql_as(
            &admin,
            "{ auditLog(after: \"nope\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad_cursor), Some("BAD_USER_INPUT"));
}
