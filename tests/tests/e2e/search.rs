//! `search`: one box for everything, ranked, forgiving.

use serde_json::{Value, json};
use territoires_tests::seed::seed_work;
use territoires_tests::{TestApp, error_code, spawn_app};

const SEARCH: &str = "query($t: String!, $n: Int) { search(text: $t, first: $n) {
  __typename
  ... on Commune { name }
  ... on Coordinator { fullName }
  ... on College { name }
  ... on LocalBody { name }
  ... on Partner { name }
  ... on Project { title }
} }";

async fn hits(app: &TestApp, token: Option<&str>, text: &str) -> Vec<(String, String)> {
    let (_, response) = app.post(token, SEARCH, json!({ "t": text, "n": 20 })).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["search"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit: &Value| {
            let label = ["name", "fullName", "title"]
                .iter()
                .find_map(|k| hit[k].as_str())
                .unwrap()
                .to_owned();
            (hit["__typename"].as_str().unwrap().to_owned(), label)
        })
        .collect()
}

fn pair(kind: &str, label: &str) -> (String, String) {
    (kind.to_owned(), label.to_owned())
}

#[tokio::test]
async fn exact_names_come_before_prefixes_and_containing_ones() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let found = hits(&app, None, "nanterre").await;
    assert_eq!(found[0], pair("Commune", "Nanterre"));
    assert!(found.contains(&pair("LocalBody", "CLSPD de Nanterre")));
    assert!(found.contains(&pair("Partner", "Service jeunesse de Nanterre")));
    assert!(
        !found.iter().any(|(_, l)| l == "Projet archivé de Nanterre"),
        "archived hidden: {found:?}"
    );

    let found = hits(&app, None, "colombes").await;
    assert_eq!(
        found[..3],
        [
            pair("Commune", "Colombes"),
            pair("Commune", "Bois-Colombes"),
            pair("Commune", "La Garenne-Colombes")
        ]
    );
}

#[tokio::test]
async fn accents_short_names_people_and_postal_codes() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    assert_eq!(
        hits(&app, None, "SEVRES").await[0],
        pair("Commune", "Sèvres")
    );
    assert_eq!(
        hits(&app, None, "Boulogne").await[0],
        pair("Commune", "Boulogne-Billancourt")
    );
    assert_eq!(
        hits(&app, None, "92000").await,
        [pair("Commune", "Nanterre")]
    );
    assert_eq!(
        hits(&app, None, "lara").await,
        [pair("Coordinator", "Sandrine LARA")]
    );
    assert_eq!(
        hits(&app, None, "sandrine lara").await[0],
        pair("Coordinator", "Sandrine LARA")
    );
    assert_eq!(
        hits(&app, None, "lara sandrine").await[0],
        pair("Coordinator", "Sandrine LARA")
    );
    assert_eq!(
        hits(&app, None, "rixes").await,
        [pair("Project", "Prévention des rixes inter-collèges")]
    );
    assert!(hits(&app, None, "   ").await.is_empty());
    assert!(hits(&app, None, "zzzz").await.is_empty());
}

#[tokio::test]
async fn editors_also_find_archived_items() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let editor = app.token(entity::Role::Editor).await;
    let found = hits(&app, Some(&editor), "nanterre").await;
    assert!(
        found.contains(&pair("Project", "Projet archivé de Nanterre")),
        "{found:?}"
    );
}

#[tokio::test]
async fn first_limits_results_and_is_bounded() {
    let app = spawn_app().await;
    let response = app.graphql_with(SEARCH, json!({ "t": "e", "n": 3 })).await;
    assert_eq!(response["data"]["search"].as_array().unwrap().len(), 3);
    let response = app
        .graphql_with(SEARCH, json!({ "t": "e", "n": 1000 }))
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"));
}
