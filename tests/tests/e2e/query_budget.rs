//! The query budget (issue 9, items 2 and 4): documents that would expand, alias or
//! introspect their way into minutes of CPU or megabytes of answer are refused before
//! async-graphql walks them, quickly, while `/healthz` keeps answering; introspection
//! follows `GRAPHQL_INTROSPECTION`; oversized answers become an error.

use std::time::{Duration, Instant};

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::{TestDb, error_code, spawn_app, spawn_app_with};

/// graphql-js 16.11's `getIntrospectionQuery()`, as GraphiQL, codegen and CI send it.
const INTROSPECTION_QUERY: &str =
    include_str!("../../fixtures/graphql/introspection-query.graphql");

/// The 1.3 KB query of the issue: `T0` selects two fields, each `Tn` spreads `Tn-1`
/// twice, and the operation spreads `T29` once: 2^29 copies once expanded.
fn doubling_fragments(levels: usize) -> String {
    let mut query = String::from("fragment T0 on Territory { number name }\n");
    for level in 1..=levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment T{level} on Territory {{ ...T{previous} ...T{previous} }}\n"
        ));
    }
    query.push_str(&format!("{{ territories {{ ...T{levels} }} }}"));
    query
}

fn message(response: &Value) -> &str {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubling_fragments_are_refused_quickly_while_healthz_keeps_answering() {
    let app = spawn_app().await;
    let query = doubling_fragments(29);
    assert!(query.len() < 1_500, "{} bytes", query.len());

    // Four at once on a two-worker runtime: before the budget, two were enough to stop
    // `/healthz`.
    let hostile: Vec<_> = (0..4)
        .map(|_| {
            let client = app.client.clone();
            let url = format!("{}/graphql", app.address);
            let query = query.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let response: Value = client
                    .post(url)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                (started.elapsed(), response)
            })
        })
        .collect();
    let mut health = Vec::new();
    while !hostile.iter().all(|task| task.is_finished()) && health.len() < 200 {
        let started = Instant::now();
        let (status, body) = app.get("/healthz").await;
        health.push(started.elapsed());
        assert_eq!((status, body.as_str()), (200, "ok"));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut slowest = Duration::ZERO;
    for task in hostile {
        let (elapsed, response) = task.await.unwrap();
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
        assert!(message(&response).contains("too complex"), "{response}");
        assert!(response["data"].is_null(), "{response}");
        slowest = slowest.max(elapsed);
    }
    let slowest_health = health.iter().max().copied().unwrap_or_default();
    eprintln!(
        "doubling fragments (29 levels, 4 concurrent): slowest rejection {slowest:?}; \
         /healthz answered {} times meanwhile, slowest {slowest_health:?}",
        health.len()
    );
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    assert!(
        slowest_health < Duration::from_secs(2),
        "{slowest_health:?}"
    );

    // One alone, end to end.
    let started = Instant::now();
    let response = app.graphql(&query).await;
    let alone = started.elapsed();
    eprintln!("doubling fragments (29 levels, alone): rejected in {alone:?}");
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert!(alone < Duration::from_secs(2), "{alone:?}");

    // A few levels of the same shape are an ordinary query.
    let small = app.data(&doubling_fragments(4)).await;
    assert_eq!(small["territories"][0]["number"], 1);
}

#[tokio::test]
async fn documents_over_the_alias_spread_fragment_or_token_caps_are_refused() {
    let app = spawn_app().await;
    let aliases: String = (0..201).map(|i| format!("a{i}: __typename ")).collect();
    let fragments: String = (0..101)
        .map(|i| format!("fragment F{i} on Query {{ __typename }} "))
        .collect();
    let spreads = "...F ".repeat(501);
    let tokens = "__typename ".repeat(15_001);
    for (query, setting) in [
        (format!("{{ {aliases} }}"), "GRAPHQL_MAX_ALIASES"),
        (
            format!("{{ __typename }} {fragments}"),
            "GRAPHQL_MAX_FRAGMENTS",
        ),
        (
            format!("{{ {spreads} }} fragment F on Query {{ __typename }}"),
            "GRAPHQL_MAX_SPREADS",
        ),
        (format!("{{ {tokens} }}"), "GRAPHQL_MAX_TOKENS"),
    ] {
        let response = app.graphql(&query).await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{setting}");
        assert!(message(&response).contains(setting), "{response}");
    }
    // Just under every cap: answered.
    let aliases: String = (0..200).map(|i| format!("a{i}: __typename ")).collect();
    let data = app.data(&format!("{{ {aliases} }}")).await;
    assert_eq!(data["a199"], "Query");
    let spreads = "...F ".repeat(500);
    let data = app
        .data(&format!(
            "{{ {spreads} }} fragment F on Query {{ __typename }}"
        ))
        .await;
    assert_eq!(data["__typename"], "Query");
}

#[tokio::test]
async fn aliased_schema_introspection_is_refused_and_the_standard_query_answered() {
    let app = spawn_app().await;
    let aliased: String = (0..60)
        .map(|i| {
            format!("s{i}: __schema {{ types {{ name description fields {{ name description type {{ name }} }} }} }} ")
        })
        .collect();
    let query = format!("{{ {aliased} }}");
    let started = Instant::now();
    let response = app.graphql(&query).await;
    eprintln!(
        "60 aliased __schema ({} bytes): rejected in {:?}",
        query.len(),
        started.elapsed()
    );
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert!(
        message(&response).contains("__schema 60 times"),
        "{response}"
    );
    // Deeply nested type references multiply: refused too.
    let mut nested = String::from("name");
    for _ in 0..5 {
        nested = format!("fields {{ type {{ ofType {{ {nested} }} }} }}");
    }
    let response = app
        .graphql(&format!("{{ __type(name: \"Query\") {{ {nested} }} }}"))
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert!(
        message(&response).contains("GRAPHQL_MAX_INTROSPECTION_COST"),
        "{response}"
    );

    let started = Instant::now();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": INTROSPECTION_QUERY, "operationName": "IntrospectionQuery" }))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    eprintln!(
        "getIntrospectionQuery: {} bytes answered in {:?}",
        response.len(),
        started.elapsed()
    );
    let response: Value = serde_json::from_slice(&response).unwrap();
    assert!(response.get("errors").is_none(), "{response}");
    let types = response["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Territory"));
}

#[tokio::test]
async fn introspection_can_be_kept_to_token_holders_or_turned_off() {
    let schema_query = "{ __schema { queryType { name } } }";
    let hidden_in_a_fragment =
        "{ ...Q } fragment Q on Query { __type(name: \"Territory\") { name } }";

    let authenticated = spawn_app_with(TestDb::new().await, |c| {
        c.introspection = territoires::config::IntrospectionPolicy::Authenticated;
    })
    .await;
    let editor = authenticated.token(Role::Editor).await;
    for query in [schema_query, hidden_in_a_fragment] {
        let (status, response) = authenticated.post(None, query, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
        assert!(response["data"].is_null(), "{response}");
        let response = authenticated.graphql_as(&editor, query, json!({})).await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    // `__typename` is not introspection: clients add it everywhere.
    assert_eq!(
        authenticated.data("{ __typename }").await["__typename"],
        "Query"
    );

    let off = spawn_app_with(TestDb::new().await, |c| {
        c.introspection = territoires::config::IntrospectionPolicy::Off;
    })
    .await;
    let admin = off.token(Role::Admin).await;
    for token in [None, Some(admin.as_str())] {
        let (_, response) = off.post(token, schema_query, json!({})).await;
        assert_eq!(error_code(&response), Some("FORBIDDEN"), "{response}");
        let (_, response) = off.post(token, hidden_in_a_fragment, json!({})).await;
        assert_eq!(error_code(&response), Some("FORBIDDEN"), "{response}");
    }
    assert_eq!(
        off.data("{ territory(number: 1) { __typename number } }")
            .await["territory"]["number"],
        1
    );

    // The default is public: tools introspect without a token.
    let public = spawn_app().await;
    let response = public.graphql(INTROSPECTION_QUERY).await;
    assert!(response.get("errors").is_none(), "{response}");
}

#[tokio::test]
async fn an_answer_over_the_response_size_limit_is_an_error_not_a_cut_body() {
    let app = spawn_app_with(TestDb::new().await, |c| c.max_response_bytes = 2_000).await;
    let query = "{ territories { number name communes { name inseeCode postalCodes } } }";
    let (status, response) = app.post(None, query, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    assert!(
        message(&response).contains("GRAPHQL_MAX_RESPONSE_BYTES"),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
    // The same data, a smaller answer: served.
    assert_eq!(
        app.data("{ territory(number: 2) { number name } }").await["territory"]["number"],
        2
    );
    // And the whole answer with the default limit.
    let default = spawn_app().await;
    let data = default.data(query).await;
    assert_eq!(data["territories"].as_array().unwrap().len(), 7);
}
