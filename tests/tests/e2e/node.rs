//! `node(id:)`: every type round-trips; access rules hold.

use serde_json::json;
use territoires_tests::seed::seed_work;
use territoires_tests::{error_code, spawn_app};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

#[tokio::test]
async fn every_type_round_trips_through_node() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            r#"{
        territory(number: 1) { id communes { id } colleges { id } coordinator { id } }
        localBodies(first: 1) { edges { node { id } } }
        partners(first: 1) { edges { node { id } } }
        projects(first: 1) { edges { node { id } } }
        themes { id }
      }"#,
        )
        .await;
    let ids = [
        ("Territory", data["territory"]["id"].clone()),
        ("Commune", data["territory"]["communes"][0]["id"].clone()),
        ("College", data["territory"]["colleges"][0]["id"].clone()),
        (
            "Coordinator",
            data["territory"]["coordinator"]["id"].clone(),
        ),
        (
            "LocalBody",
            data["localBodies"]["edges"][0]["node"]["id"].clone(),
        ),
        (
            "Partner",
            data["partners"]["edges"][0]["node"]["id"].clone(),
        ),
        (
            "Project",
            data["projects"]["edges"][0]["node"]["id"].clone(),
        ),
        ("Theme", data["themes"][0]["id"].clone()),
    ];
    for (typename, id) in ids {
        let response = app.graphql_with(NODE, json!({ "id": id })).await;
        assert_eq!(
            response["data"]["node"],
            json!({ "__typename": typename, "id": id }),
            "{typename}"
        );
    }
}

#[tokio::test]
async fn archived_nodes_are_hidden_from_the_public_and_sync_runs_need_admin() {
    let app = spawn_app().await;
    let seeded = seed_work(&app.db).await;
    let archived = territoires::graphql::ids::encode("Project", seeded.projects[3]);
    let public = app.graphql_with(NODE, json!({ "id": archived })).await;
    assert_eq!(public["data"]["node"], json!(null));
    let editor = app.token(entity::Role::Editor).await;
    let seen = app
        .graphql_as(&editor, NODE, json!({ "id": archived }))
        .await;
    assert_eq!(seen["data"]["node"]["__typename"], "Project");

    let run = territoires::graphql::ids::encode("SyncRun", 1);
    let anonymous = app.graphql_with(NODE, json!({ "id": run })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let forbidden = app.graphql_as(&editor, NODE, json!({ "id": run })).await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
}

#[tokio::test]
async fn malformed_or_unknown_ids() {
    let app = spawn_app().await;
    let malformed = app.graphql_with(NODE, json!({ "id": "%%%" })).await;
    assert_eq!(error_code(&malformed), Some("BAD_USER_INPUT"));
    let unknown = territoires::graphql::ids::encode("Commune", 999_999);
    assert_eq!(
        app.graphql_with(NODE, json!({ "id": unknown })).await["data"]["node"],
        json!(null)
    );
    let other = territoires::graphql::ids::encode("Spaceship", 1);
    assert_eq!(
        app.graphql_with(NODE, json!({ "id": other })).await["data"]["node"],
        json!(null)
    );
}
