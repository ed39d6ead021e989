//! `projects`: every filter, orderings and Relay pagination.

use serde_json::{Value, json};
use territoires_tests::seed::{coordinator_id, seed_work};
use territoires_tests::{TestApp, error_code, spawn_app};

const TITLES: &str = "query($f: ProjectFilter, $o: ProjectOrder, $first: Int, $after: String, $last: Int, $before: String) {
  projects(filter: $f, orderBy: $o, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { title } }
  }
}";

async fn titles(app: &TestApp, variables: Value) -> Vec<String> {
    let response = app.graphql_with(TITLES, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["projects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn filtered(app: &TestApp, filter: Value) -> Vec<String> {
    let mut found = titles(
        app,
        json!({ "f": filter, "o": { "field": "TITLE", "direction": "ASC" } }),
    )
    .await;
    found.sort();
    found
}

const RIXES: &str = "Prévention des rixes inter-collèges";
const PARENTALITE: &str = "Parentalité et réseaux sociaux";
const CONSEIL: &str = "Conseil des jeunes de Colombes";
const SANTE: &str = "Idée santé mentale";
const ARCHIVE: &str = "Projet archivé de Nanterre";

#[tokio::test]
async fn default_order_is_most_recently_updated_first_without_archived() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    assert_eq!(
        titles(&app, json!({})).await,
        [SANTE, CONSEIL, PARENTALITE, RIXES]
    );
}

#[tokio::test]
async fn a_project_belongs_to_a_territory_directly_or_through_communes_and_colleges() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    assert_eq!(filtered(&app, json!({ "territory": 6 })).await, [RIXES]);
    assert_eq!(
        filtered(&app, json!({ "territory": 4 })).await,
        [PARENTALITE]
    );
    assert_eq!(filtered(&app, json!({ "territory": 2 })).await, [CONSEIL]);
    assert!(filtered(&app, json!({ "territory": 1 })).await.is_empty());
    let data = app
        .data("{ territory(number: 6) { projects { totalCount edges { node { title interCollege interCommune territories { number } } } } } }")
        .await;
    let node = &data["territory"]["projects"]["edges"][0]["node"];
    assert_eq!(node["interCollege"], true);
    assert_eq!(node["interCommune"], false);
    assert_eq!(node["territories"], json!([{ "number": 6 }]));
}

#[tokio::test]
async fn each_filter_selects_its_projects() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let lead =
        app.data(r#"{ coordinators(territory: 4) { id } }"#).await["coordinators"][0]["id"].clone();
    let uai =
        app.data("{ colleges(commune: \"Clamart\") { uai } }").await["colleges"][0]["uai"].clone();
    for (filter, expected) in [
        (json!({ "commune": "Nanterre" }), vec![PARENTALITE]),
        (json!({ "commune": "92073" }), vec![PARENTALITE]),
        (json!({ "college": uai }), vec![RIXES]),
        (json!({ "status": ["IDEA", "DONE"] }), vec![CONSEIL, SANTE]),
        (
            json!({ "axis": "WELLBEING" }),
            vec![SANTE, PARENTALITE, RIXES],
        ),
        (json!({ "theme": "MENTAL_HEALTH" }), vec![SANTE]),
        (json!({ "theme": "social_networks" }), vec![PARENTALITE]),
        (json!({ "environment": "SCHOOL" }), vec![SANTE, RIXES]),
        (
            json!({ "unit": "EDUCATIONAL_MEDIATION" }),
            vec![PARENTALITE],
        ),
        (json!({ "lead": lead }), vec![PARENTALITE]),
        (
            json!({ "activeOn": "2026-03-01" }),
            vec![SANTE, CONSEIL, RIXES],
        ),
        (
            json!({ "activeFrom": "2026-07-01", "activeTo": "2026-08-01" }),
            vec![SANTE, RIXES],
        ),
        (
            json!({ "activeFrom": "2027-02-01" }),
            vec![SANTE, PARENTALITE],
        ),
        (json!({ "text": "RIXES college" }), vec![RIXES]),
        (json!({ "text": "sociaux parentalite" }), vec![PARENTALITE]),
        (json!({ "territory": 4, "status": ["DONE"] }), vec![]),
    ] {
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(filtered(&app, filter.clone()).await, expected, "{filter}");
    }
}

#[tokio::test]
async fn archived_projects_need_an_editor_token() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let query = "{ projects(filter: { includeArchived: true }) { totalCount edges { node { title archived } } } }";
    let public = app.graphql(query).await;
    assert_eq!(error_code(&public), Some("UNAUTHENTICATED"));
    let editor = app.token(entity::Role::Editor).await;
    let response = app.graphql_as(&editor, query, json!({})).await;
    assert_eq!(response["data"]["projects"]["totalCount"], 5);
    assert!(
        response["data"]["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["title"] == ARCHIVE && e["node"]["archived"] == true)
    );
}

#[tokio::test]
async fn unknown_names_in_filters_are_bad_user_input_naming_the_field() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    for (filter, field) in [
        (json!({ "territory": 9 }), "territory"),
        (json!({ "commune": "Paris" }), "commune"),
        (json!({ "college": "0000000X" }), "college"),
        (json!({ "theme": "NOPE" }), "theme"),
        (json!({ "lead": "bm90LWFuLWlk" }), "lead"),
        (
            json!({ "activeFrom": "2026-02-01", "activeTo": "2026-01-01" }),
            "activeTo",
        ),
    ] {
        let response = app.graphql_with(TITLES, json!({ "f": filter })).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{filter}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["path"],
            json!(["filter", field])
        );
    }
    let bad_date = app
        .graphql_with(TITLES, json!({ "f": { "activeOn": "01/02/2026" } }))
        .await;
    assert_eq!(error_code(&bad_date), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn orderings_by_start_date_and_title() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    assert_eq!(
        titles(
            &app,
            json!({ "o": { "field": "START_DATE", "direction": "ASC" } })
        )
        .await,
        [CONSEIL, RIXES, PARENTALITE, SANTE]
    );
    assert_eq!(
        titles(
            &app,
            json!({ "o": { "field": "START_DATE", "direction": "DESC" } })
        )
        .await,
        [PARENTALITE, RIXES, CONSEIL, SANTE]
    );
    assert_eq!(
        titles(
            &app,
            json!({ "o": { "field": "TITLE", "direction": "ASC" } })
        )
        .await,
        [CONSEIL, SANTE, PARENTALITE, RIXES]
    );
    assert_eq!(
        titles(&app, json!({ "o": { "field": "TITLE" } })).await,
        [RIXES, PARENTALITE, SANTE, CONSEIL]
    );
}

#[tokio::test]
async fn pagination_forward_backward_and_at_the_edges() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let page = |v: Value| {
        let app = &app;
        async move {
            let r = app.graphql_with(TITLES, v).await;
            assert!(r.get("errors").is_none(), "{r}");
            r["data"]["projects"].clone()
        }
    };
    let first = page(json!({ "first": 2 })).await;
    assert_eq!(first["totalCount"], 4);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(first["edges"][0]["node"]["title"], SANTE);
    let second = page(json!({ "first": 2, "after": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(second["edges"][0]["node"]["title"], PARENTALITE);
    assert_eq!(second["edges"][1]["node"]["title"], RIXES);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let past_the_end = page(json!({ "first": 2, "after": second["pageInfo"]["endCursor"] })).await;
    assert_eq!(past_the_end["edges"], json!([]));
    assert_eq!(past_the_end["pageInfo"]["hasNextPage"], false);
    let exact = page(json!({ "first": 4 })).await;
    assert_eq!(exact["edges"].as_array().unwrap().len(), 4);
    assert_eq!(exact["pageInfo"]["hasNextPage"], false);
    let back = page(json!({ "last": 2, "before": second["edges"][1]["cursor"] })).await;
    let back_titles: Vec<&str> = back["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(back_titles, [CONSEIL, PARENTALITE]);
    assert_eq!(back["pageInfo"]["hasPreviousPage"], true);
    let empty = page(json!({ "f": { "territory": 1 } })).await;
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["edges"], json!([]));
    assert_eq!(empty["pageInfo"]["endCursor"], json!(null));
}

#[tokio::test]
async fn invalid_cursors_and_page_sizes_are_bad_user_input() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let title_cursor = app
        .graphql_with(TITLES, json!({ "o": { "field": "TITLE" }, "first": 1 }))
        .await["data"]["projects"]["pageInfo"]["endCursor"]
        .clone();
    for variables in [
        json!({ "after": "not-a-cursor" }),
        json!({ "before": "eyJ4IjoxfQ" }),
        json!({ "after": title_cursor }),
        json!({ "first": 101 }),
        json!({ "first": -1 }),
        json!({ "last": 500 }),
    ] {
        let response = app.graphql_with(TITLES, variables.clone()).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{variables}: {response}"
        );
    }
    assert_eq!(titles(&app, json!({ "first": 100 })).await.len(), 4);
    let _ = coordinator_id;
}
