//! Field errors and `null`s as the GraphQL specification wants them: a failed nullable
//! field is `null` with its key present, its parent intact; a failed non-null field
//! nulls its nearest nullable parent, and only that.

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::seed::seed_work;
use territoires_tests::{error_code, spawn_app};

fn error_paths(response: &Value) -> Vec<Value> {
    response["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_refused_nullable_field_is_null_with_its_key_and_its_parent_kept() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let response = app
        .graphql_as(&editor, "{ coordinators { id employeeId } }", json!({}))
        .await;
    assert_eq!(error_code(&response), Some("FORBIDDEN"), "{response}");
    let coordinators = response["data"]["coordinators"].as_array().unwrap();
    assert!(!coordinators.is_empty(), "{response}");
    for (index, coordinator) in coordinators.iter().enumerate() {
        let object = coordinator.as_object().unwrap();
        assert!(object["id"].is_string(), "{response}");
        assert_eq!(object.get("employeeId"), Some(&Value::Null), "{response}");
        assert!(
            error_paths(&response).contains(&json!(["coordinators", index, "employeeId"])),
            "{response}"
        );
    }
    assert_eq!(error_paths(&response).len(), coordinators.len());
}

#[tokio::test]
async fn an_object_whose_only_fields_are_refused_is_not_nulled() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    // Only refused fields, under an alias and a fragment: before, the node itself
    // became null (a non-null `PartnerEdge.node`).
    let response = app
        .graphql(
            "{ partners(first: 2) { edges { node { ...Contact } } } }
             fragment Contact on Partner { mail: contactEmail contactName }",
        )
        .await;
    assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    let edges = response["data"]["partners"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "{response}");
    for edge in edges {
        assert_eq!(
            edge["node"],
            json!({ "mail": null, "contactName": null }),
            "{response}"
        );
    }
    assert_eq!(error_paths(&response).len(), 4, "{response}");
}

#[tokio::test]
async fn a_refused_non_null_field_nulls_its_nearest_nullable_parent_only() {
    let app = spawn_app().await;
    let seeded = seed_work(&app.db).await;
    let partner = territoires::graphql::ids::encode("Partner", seeded.partners[0]);
    // `expectations` is `[PartnerExpectation!]!`: its failure nulls the partner, which
    // `node` may be; the sibling root field is untouched.
    let response = app
        .graphql_with(
            "query($id: ID!) {
                node(id: $id) { id ... on Partner { name expectations { text } } }
                territories { number }
            }",
            json!({ "id": partner }),
        )
        .await;
    assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    let data = response["data"].as_object().unwrap();
    assert_eq!(data.get("node"), Some(&Value::Null), "{response}");
    assert!(
        !data["territories"].as_array().unwrap().is_empty(),
        "{response}"
    );
    assert_eq!(
        error_paths(&response),
        [json!(["node", "expectations"])],
        "{response}"
    );

    // With no nullable parent up to the root, the whole `data` is null.
    let response = app
        .graphql("{ partners(first: 1) { edges { node { name expectations { text } } } } }")
        .await;
    assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    assert_eq!(response["data"], Value::Null, "{response}");
}
