//! Search finds what residents and coordinators type beyond names: coordinators by
//! e-mail, glued surname and title; projects by their themes' labels; and the project
//! filter takes a theme's label as well as its code.

use serde_json::{Value, json};
use territoires_tests::seed::seed_work;
use territoires_tests::{TestApp, error_code, spawn_app};

const SEARCH: &str = "query($t: String!) { search(text: $t, first: 20) {
  __typename
  ... on Coordinator { fullName }
  ... on Project { title }
} }";

async fn answer(app: &TestApp, query: &str, variables: Value) -> Value {
    let response = app.graphql_with(query, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

#[tokio::test]
async fn coordinators_by_email_glued_surname_and_title() {
    let app = spawn_app().await;
    for typed in [
        "nvan-der-heyden@hauts-de-seine.fr",
        "vanderheyden",
        "nathalievanderheyden",
        "Coordonnateur de territoire 4",
    ] {
        let data = answer(&app, SEARCH, json!({ "t": typed })).await;
        let first = &data["search"][0];
        assert_eq!(first["__typename"], "Coordinator", "{typed}: {data}");
        assert_eq!(
            first["fullName"], "Nathalie VAN DER HEYDEN",
            "{typed}: {data}"
        );
    }
}

#[tokio::test]
async fn projects_by_theme_label_in_search_and_filter() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = answer(&app, SEARCH, json!({ "t": "santé mentale" })).await;
    assert!(
        data["search"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hit| hit["title"] == "Idée santé mentale"),
        "{data}"
    );
    let query =
        "query($th: String) { projects(filter: { theme: $th }) { edges { node { title } } } }";
    for theme in [
        "MENTAL_HEALTH",
        "mental_health",
        "Santé mentale",
        "sante  MENTALE",
    ] {
        let data = answer(&app, query, json!({ "th": theme })).await;
        assert_eq!(
            data["projects"]["edges"],
            json!([{ "node": { "title": "Idée santé mentale" } }]),
            "{theme}"
        );
    }
    let unknown = app
        .graphql_with(query, json!({ "th": "santé mental" }))
        .await;
    assert_eq!(error_code(&unknown), Some("BAD_USER_INPUT"));
}
