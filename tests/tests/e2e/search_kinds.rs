//! Themes and territories are searchable, but only for clients that ask for them with
//! `kinds`: a query without it gets exactly the kinds it got before.

use serde_json::{Value, json};
use territoires_tests::seed::seed_work;
use territoires_tests::{TestApp, spawn_app};

const SEARCH: &str =
    "query($t: String!, $k: [SearchKind!]) { search(text: $t, first: 50, kinds: $k) {
  __typename
  ... on Theme { code label }
  ... on Territory { number }
  ... on Project { title }
  ... on Commune { name }
} }";

const SEARCH_DEFAULT: &str = "query($t: String!) { search(text: $t, first: 50) {
  __typename
  ... on Project { title }
} }";

async fn hits(app: &TestApp, query: &str, variables: Value) -> Vec<Value> {
    let response = app.graphql_with(query, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["search"].as_array().unwrap().clone()
}

fn typenames(hits: &[Value]) -> Vec<&str> {
    hits.iter()
        .map(|h| h["__typename"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn without_kinds_no_theme_or_territory_is_returned() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    for text in ["santé mentale", "MENTAL_HEALTH", "territoire 3", "T3", "3"] {
        let found = hits(&app, SEARCH_DEFAULT, json!({ "t": text })).await;
        assert!(
            typenames(&found)
                .iter()
                .all(|t| *t != "Theme" && *t != "Territory"),
            "{text}: {found:?}"
        );
        // An explicit null is the default too.
        let null = hits(&app, SEARCH, json!({ "t": text, "k": null })).await;
        assert!(
            typenames(&null)
                .iter()
                .all(|t| *t != "Theme" && *t != "Territory"),
            "{text}: {null:?}"
        );
    }
    // The project tagged with the theme is still found by default.
    let found = hits(&app, SEARCH_DEFAULT, json!({ "t": "santé mentale" })).await;
    assert!(
        found.iter().any(|h| h["title"] == "Idée santé mentale"),
        "{found:?}"
    );
}

#[tokio::test]
async fn themes_by_label_and_code_ignoring_accents_and_case() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    for text in [
        "Santé mentale",
        "sante MENTALE",
        "SANTE-mentale",
        "MENTAL_HEALTH",
        "mental health",
        "santé ment",
    ] {
        let found = hits(&app, SEARCH, json!({ "t": text, "k": ["THEME"] })).await;
        assert_eq!(typenames(&found), ["Theme"], "{text}: {found:?}");
        assert_eq!(found[0]["code"], "MENTAL_HEALTH", "{text}");
        assert_eq!(found[0]["label"], "Santé mentale", "{text}");
    }
    let found = hits(
        &app,
        SEARCH,
        json!({ "t": "santé mentale", "k": ["THEME", "PROJECT"] }),
    )
    .await;
    assert_eq!(found[0]["__typename"], "Theme", "{found:?}");
    assert_eq!(found[0]["code"], "MENTAL_HEALTH");
    assert!(
        found.iter().any(|h| h["title"] == "Idée santé mentale"),
        "{found:?}"
    );
    assert!(
        typenames(&found)
            .iter()
            .all(|t| *t == "Theme" || *t == "Project"),
        "{found:?}"
    );
}

#[tokio::test]
async fn territories_by_number_forms() {
    let app = spawn_app().await;
    for text in ["territoire 3", "Territoire 3", "TERRITOIRE  3", "T3", "t 3"] {
        let found = hits(&app, SEARCH, json!({ "t": text, "k": ["TERRITORY"] })).await;
        assert_eq!(typenames(&found), ["Territory"], "{text}: {found:?}");
        assert_eq!(found[0]["number"], 3, "{text}");
    }
    // "Territoire 1" is exact for territory 1; 10 and above only start with it.
    let found = hits(
        &app,
        SEARCH,
        json!({ "t": "territoire 1", "k": ["TERRITORY"] }),
    )
    .await;
    assert_eq!(found[0]["number"], 1, "{found:?}");
    // A word that names no territory finds none.
    let found = hits(&app, SEARCH, json!({ "t": "T99", "k": ["TERRITORY"] })).await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn kinds_filter_excludes_the_others_and_collapses_duplicates() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    // Communes only, however often asked.
    let found = hits(
        &app,
        SEARCH,
        json!({ "t": "Boulogne", "k": ["COMMUNE", "COMMUNE", "COMMUNE"] }),
    )
    .await;
    assert!(!found.is_empty());
    assert!(
        typenames(&found).iter().all(|t| *t == "Commune"),
        "{found:?}"
    );
    // Projects only: the theme is not returned.
    let found = hits(
        &app,
        SEARCH,
        json!({ "t": "santé mentale", "k": ["PROJECT"] }),
    )
    .await;
    assert!(!found.is_empty());
    assert!(
        typenames(&found).iter().all(|t| *t == "Project"),
        "{found:?}"
    );
    // No kinds: nothing.
    let found = hits(&app, SEARCH, json!({ "t": "santé mentale", "k": [] })).await;
    assert!(found.is_empty(), "{found:?}");
    // The list is bounded.
    let response = app
        .graphql_with(SEARCH, json!({ "t": "santé", "k": vec!["THEME"; 17] }))
        .await;
    assert!(response.get("errors").is_some(), "{response}");
}

#[tokio::test]
async fn asking_for_every_kind_costs_no_more_statements() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    // Warm the snapshot.
    hits(&app, SEARCH_DEFAULT, json!({ "t": "a" })).await;
    let every = json!([
        "COMMUNE",
        "COORDINATOR",
        "COLLEGE",
        "LOCAL_BODY",
        "PARTNER",
        "PROJECT",
        "THEME",
        "TERRITORY"
    ]);
    for (text, expected) in [("mentale", "Theme"), ("territoire 3", "Territory")] {
        let before = app.statements();
        hits(&app, SEARCH_DEFAULT, json!({ "t": text })).await;
        let default = app.statements() - before;
        let before = app.statements();
        let found = hits(&app, SEARCH, json!({ "t": text, "k": every })).await;
        let all = app.statements() - before;
        assert!(typenames(&found).contains(&expected), "{text}: {found:?}");
        assert_eq!(default, all, "{text}");
        assert_eq!(all, 1, "{text}: only the version check");
    }
}
