//! No N+1: the full directory query costs the same few statements whatever the rows.

use serde_json::json;
use territoires_tests::seed::{bump, seed_bulk, seed_work};
use territoires_tests::{join_all, spawn_app};

const DIRECTORY: &str = "{ territories { number name
  communes { inseeCode name postalCodes colleges { uai } }
  coordinators { fullName email phone projects { title } representations { name } }
  projects(first: 100) { totalCount edges { node { title status themes { code } partners { name kind } lead { fullName } communes { name } } } }
  localBodies { name representatives { lastName } }
  overview { projectCount projectsByStatus { key count } }
} }";

#[tokio::test]
async fn the_directory_query_costs_a_constant_number_of_statements() {
    let app = spawn_app().await;
    seed_work(&app.db).await;

    // First request after a write: the version check, then the reload (one statement
    // per table).
    let before = app.statements();
    let response = app.graphql(DIRECTORY).await;
    assert!(response.get("errors").is_none(), "{response}");
    let cold_small = app.statements() - before;

    // Warm: one statement, the version check.
    let before = app.statements();
    app.graphql(DIRECTORY).await;
    let warm_small = app.statements() - before;
    assert_eq!(warm_small, 1);

    // Ten times the data.
    seed_bulk(&app.db, 60).await;
    let before = app.statements();
    let response = app.graphql(DIRECTORY).await;
    let cold_large = app.statements() - before;
    let projects: i64 = response["data"]["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["projects"]["totalCount"].as_i64().unwrap())
        .sum();
    assert!(projects >= 64, "the larger data set is visible: {projects}");
    let before = app.statements();
    app.graphql(DIRECTORY).await;
    let warm_large = app.statements() - before;

    println!(
        "statements per directory query: cold {cold_small} → {cold_large}, warm {warm_small} → {warm_large}"
    );
    assert_eq!(
        cold_small, cold_large,
        "a reload reads each table once, whatever its size"
    );
    assert!(cold_large <= 30, "{cold_large}");
    assert_eq!(warm_large, 1);
}

#[tokio::test]
async fn concurrent_requests_share_the_version_check() {
    let app = spawn_app().await;
    bump(&app.db).await;
    app.data("{ territories { number } }").await;
    let before = app.statements();
    let requests = (0..32)
        .map(|_| app.graphql_with("{ territories { number communes { name } } }", json!({})));
    let responses = join_all(requests).await;
    assert!(responses.iter().all(|r| r.get("errors").is_none()));
    let statements = app.statements() - before;
    assert!(
        statements <= 32,
        "at most one version check per request: {statements}"
    );
}
