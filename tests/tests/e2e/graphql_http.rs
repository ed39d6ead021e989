//! GraphQL over HTTP: GET queries, content negotiation and the specification's status
//! codes, JSON refusals, automatic persisted queries, HTTP caching of anonymous reads and
//! CORS, as clients and browsers see them.

use crate::response_cache::hits;
use entity::Role;
use reqwest::Url;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use territoires::config::ServerConfig;
use territoires::http::persisted::sha256_hex;
use territoires_tests::seed::bump;
use territoires_tests::{TestApp, TestDb, error_code, spawn_app, spawn_app_with};

const QUERY: &str = "{ territory(number: 1) { number name } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app_with(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    spawn_app_with(TestDb::new().await, configure).await
}

fn url(app: &TestApp, params: &[(&str, &str)]) -> Url {
    Url::parse_with_params(&format!("{}/graphql", app.address), params).unwrap()
}

/// `GET /graphql?params` with `headers`: status, headers and the body as JSON (or a
/// string when it is not JSON).
async fn get(app: &TestApp, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.get(url(app, params));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Answer::of(request.send().await.unwrap()).await
}

/// `POST /graphql` of `body` (raw) with `headers`.
async fn post_raw(app: &TestApp, body: Vec<u8>, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.post(format!("{}/graphql", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Answer::of(request.body(body).send().await.unwrap()).await
}

async fn post_json(app: &TestApp, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    post_raw(app, body.to_string().into_bytes(), &all).await
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a JSON refusal with `status` and `code`.
    fn refused(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.contains("json")),
            "{:?}",
            self.headers
        );
        assert_eq!(error_code(&self.body), Some(code), "{}", self.body);
    }
}

#[tokio::test]
async fn a_query_over_get_answers_json_with_an_etag_and_revalidates_with_304() {
    let app = spawn_app().await;
    let first = get(&app, &[("query", QUERY)], &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.body["data"]["territory"]["number"], 1);
    assert_eq!(first.header("cache-control"), Some("public, max-age=5"));
    let vary = first.header("vary").unwrap();
    assert!(
        vary.contains("Accept") && vary.contains("Authorization"),
        "{vary}"
    );
    let etag = first.header("etag").unwrap().to_owned();

    let again = get(&app, &[("query", QUERY)], &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, Value::String(String::new()), "no body");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let weak = format!("W/{etag}");
    let weakly = get(&app, &[("query", QUERY)], &[("if-none-match", &weak)]).await;
    assert_eq!(weakly.status, 304);

    // Another request, or another media type, has another tag.
    let other = get(
        &app,
        &[("query", "{ territory(number: 2) { number } }")],
        &[],
    )
    .await;
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    let negotiated = get(&app, &[("query", QUERY)], &[("accept", GRAPHQL_RESPONSE)]).await;
    assert_eq!(negotiated.header("content-type"), Some(GRAPHQL_RESPONSE));
    assert_ne!(negotiated.header("etag"), Some(etag.as_str()));

    // The data changes: the old tag no longer matches, the answer is sent again.
    bump(&app.db).await;
    let changed = get(&app, &[("query", QUERY)], &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn authenticated_answers_errors_and_posts_are_never_stored_by_http_caches() {
    let app = spawn_app().await;
    let token = app.token(Role::Editor).await;
    let bearer = format!("Bearer {token}");
    let anonymous = get(&app, &[("query", QUERY)], &[]).await;
    let etag = anonymous.header("etag").unwrap().to_owned();
    let authenticated = get(
        &app,
        &[("query", QUERY)],
        &[("authorization", &bearer), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(authenticated.status, 200, "a tag never answers for a token");
    assert_eq!(authenticated.header("etag"), None);
    assert_eq!(
        authenticated.header("cache-control"),
        Some("private, no-store")
    );

    let failing = get(&app, &[("query", "{ commune { name } }")], &[]).await;
    assert!(failing.body.get("errors").is_some(), "{}", failing.body);
    assert_eq!(failing.header("etag"), None);
    assert_eq!(failing.header("cache-control"), Some("no-store"));

    let posted = post_json(&app, &json!({ "query": QUERY }), &[]).await;
    assert_eq!(posted.status, 200);
    assert_eq!(posted.header("etag"), None);
    assert_eq!(posted.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_with_405_and_does_not_run() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let bearer = format!("Bearer {editor}");
    let mutation = r#"mutation { createProject(input: {title: "Par GET", territories: [4], axes: [WELLBEING]}) { project { id } } }"#;
    let refused = get(&app, &[("query", mutation)], &[("authorization", &bearer)]).await;
    refused.refused(405, "METHOD_NOT_ALLOWED");
    assert_eq!(refused.header("allow"), Some("POST"));
    let projects = app
        .graphql_as(
            &editor,
            "{ projects(first: 50) { edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert!(
        !projects.to_string().contains("Par GET"),
        "nothing was written: {projects}"
    );
}

#[tokio::test]
async fn graphiql_is_served_only_to_a_browser_asking_for_a_page() {
    let app = spawn_app().await;
    let page = get(
        &app,
        &[],
        &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    // urql's GET: a query and `Accept: application/graphql-response+json, …`.
    let urql = get(
        &app,
        &[("query", QUERY)],
        &[("accept", "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed")],
    )
    .await;
    assert_eq!(urql.status, 200);
    assert_eq!(urql.body["data"]["territory"]["number"], 1);
    get(&app, &[], &[]).await.refused(400, "BAD_REQUEST");
}

#[tokio::test]
async fn request_errors_get_their_code_and_the_status_the_media_type_calls_for() {
    let app = spawn_app().await;
    let cases = [
        (
            "{ territory(number: 1) { number ",
            json!({}),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "{ territory(number: 1) { nope } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query($n: Int!) { territory(number: $n) { number } }",
            json!({ "n": "un" }),
            "BAD_USER_INPUT",
        ),
    ];
    for (query, variables, code) in cases {
        let body = json!({ "query": query, "variables": variables });
        let spec = post_json(&app, &body, &[("accept", GRAPHQL_RESPONSE)]).await;
        assert_eq!(spec.status, 400, "{query}: {}", spec.body);
        assert_eq!(spec.header("content-type"), Some(GRAPHQL_RESPONSE));
        assert_eq!(error_code(&spec.body), Some(code), "{}", spec.body);
        assert!(spec.body.get("data").is_none_or(Value::is_null));
        let legacy = post_json(&app, &body, &[("accept", "application/json")]).await;
        assert_eq!(legacy.status, 200, "{query}");
        assert_eq!(legacy.header("content-type"), Some("application/json"));
        assert_eq!(error_code(&legacy.body), Some(code));
    }
    // A coercion error names the argument.
    let coercion = app
        .graphql_with(
            "query($n: Int!) { territory(number: $n) { number } }",
            json!({ "n": "un" }),
        )
        .await;
    assert_eq!(
        coercion["errors"][0]["extensions"]["path"],
        json!(["number"]),
        "{coercion}"
    );
    // A field error is not a request error: 200 with the partial data.
    let field = post_json(
        &app,
        &json!({ "query": "{ commune { name } }" }),
        &[("accept", GRAPHQL_RESPONSE)],
    )
    .await;
    assert_eq!(field.status, 200, "{}", field.body);
}

#[tokio::test]
async fn every_refusal_is_a_json_body_with_a_code() {
    let app = app_with(|c| c.max_body_bytes = 4096).await;
    let huge = json!({ "query": format!("{{ territory(number: 1) {{ number }} }} #{}", "x".repeat(8000)) });
    post_json(&app, &huge, &[])
        .await
        .refused(413, "PAYLOAD_TOO_LARGE");
    post_raw(
        &app,
        b"{ territory }".to_vec(),
        &[("content-type", "text/plain")],
    )
    .await
    .refused(415, "UNSUPPORTED_MEDIA_TYPE");
    post_raw(
        &app,
        b"{\"query\": ".to_vec(),
        &[("content-type", "application/json")],
    )
    .await
    .refused(400, "BAD_REQUEST");
    let batch = json!([{ "query": QUERY }, { "query": QUERY }]);
    post_json(&app, &batch, &[])
        .await
        .refused(400, "BATCH_NOT_SUPPORTED");
}

#[tokio::test]
async fn hostile_get_parameters_are_refused_in_json() {
    let app = spawn_app().await;
    let query = (
        "query",
        "query($n: Int!) { territory(number: $n) { number } }",
    );
    for variables in ["{\"n\": ", "[1]", "\"n\"", "{\"n\": 1e999999}"] {
        get(&app, &[query, ("variables", variables)], &[])
            .await
            .refused(400, "BAD_REQUEST");
    }
    get(&app, &[("query", QUERY), ("extensions", "{bad")], &[])
        .await
        .refused(400, "BAD_REQUEST");
    // A large, deeply nested variables value: bounded by the request head's size, then
    // refused as a value of the wrong type, never a crash.
    let nested = format!("{{\"n\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    let deep = get(&app, &[query, ("variables", &nested)], &[]).await;
    assert!(
        deep.status == 400 || deep.status == 200 || deep.status == 431 || deep.status == 414,
        "{}",
        deep.status
    );
    let wide = format!("{{\"n\": 1, \"pad\": \"{}\"}}", "x".repeat(60_000));
    let answer = get(&app, &[query, ("variables", &wide)], &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["data"]["territory"]["number"], 1);
    // The server still answers.
    assert_eq!(get(&app, &[("query", QUERY)], &[]).await.status, 200);
}

fn apq(hash: &str) -> String {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string()
}

#[tokio::test]
async fn automatic_persisted_queries_register_after_a_miss_and_work_over_get() {
    let app = spawn_app().await;
    let hash = sha256_hex(QUERY);
    let extensions = apq(&hash);
    let miss = get(&app, &[("extensions", &extensions)], &[]).await;
    assert_eq!(miss.status, 200);
    assert_eq!(miss.body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_code(&miss.body), Some("PERSISTED_QUERY_NOT_FOUND"));
    assert_eq!(miss.header("etag"), None);

    // The client sends the document with its hash (Apollo does this over POST).
    let body = json!({ "query": QUERY, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let registered = post_json(&app, &body, &[]).await;
    assert_eq!(
        registered.body["data"]["territory"]["number"], 1,
        "{}",
        registered.body
    );

    // Then the hash alone is enough, over GET, answered from the response cache like the
    // plain query.
    let plain = get(&app, &[("query", QUERY)], &[]).await;
    let before = hits(&app.get("/metrics").await.1);
    let short = get(&app, &[("extensions", &extensions)], &[]).await;
    assert_eq!(short.body, plain.body);
    assert!(hits(&app.get("/metrics").await.1) > before, "a cache hit");
    assert_eq!(short.header("etag"), plain.header("etag"), "the same tag");
}

#[tokio::test]
async fn a_wrong_or_malformed_hash_registers_nothing() {
    let app = spawn_app().await;
    let wrong = sha256_hex("{ territories { number } }");
    let body = json!({ "query": QUERY, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": wrong } } });
    let refused = post_json(&app, &body, &[("accept", GRAPHQL_RESPONSE)]).await;
    assert_eq!(refused.status, 400);
    assert_eq!(error_code(&refused.body), Some("BAD_USER_INPUT"));
    let still_unknown = get(&app, &[("extensions", &apq(&wrong))], &[]).await;
    assert_eq!(
        error_code(&still_unknown.body),
        Some("PERSISTED_QUERY_NOT_FOUND")
    );
    for extensions in [
        apq("not-a-hash"),
        json!({ "persistedQuery": { "version": 2, "sha256Hash": wrong } }).to_string(),
        json!({ "persistedQuery": "x" }).to_string(),
    ] {
        let answer = get(&app, &[("extensions", &extensions)], &[]).await;
        assert_eq!(
            error_code(&answer.body),
            Some("BAD_USER_INPUT"),
            "{extensions}"
        );
    }
}

#[tokio::test]
async fn an_oversized_persisted_query_runs_but_is_not_kept() {
    let app = app_with(|c| c.apq_cache_bytes = 400).await;
    let query = format!(
        "{{ territory(number: 1) {{ number }} }} #{}",
        "x".repeat(200)
    );
    let hash = sha256_hex(&query);
    let body = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let ran = post_json(&app, &body, &[]).await;
    assert_eq!(ran.body["data"]["territory"]["number"], 1, "{}", ran.body);
    let miss = get(&app, &[("extensions", &apq(&hash))], &[]).await;
    assert_eq!(error_code(&miss.body), Some("PERSISTED_QUERY_NOT_FOUND"));
}

#[tokio::test]
async fn cors_allows_tracing_headers_and_exposes_the_request_id() {
    let app = app_with(|c| c.cors_origins = vec!["https://annuaire.example".to_owned()]).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://annuaire.example")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "traceparent,baggage,sentry-trace,apollographql-client-name,content-type",
        )
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    for header in [
        "traceparent",
        "baggage",
        "sentry-trace",
        "apollographql-client-name",
    ] {
        assert!(allowed.contains(header), "{allowed}");
    }
    let answer = get(
        &app,
        &[("query", QUERY)],
        &[("origin", "https://annuaire.example")],
    )
    .await;
    assert_eq!(
        answer.header("access-control-expose-headers"),
        Some("x-request-id")
    );
    assert!(answer.header("x-request-id").is_some());
}

#[tokio::test]
async fn a_malformed_cors_origin_stops_the_server_at_start_naming_it() {
    for entry in [
        "https://annuaire.example/",
        "null",
        "https://*.example.fr",
        "annuaire.example",
    ] {
        let database = TestDb::new().await;
        let db = database.connect().await;
        territoires::db::migrate(&db).await.unwrap();
        let mut config = ServerConfig::on(([127, 0, 0, 1], 0).into());
        config.cors_origins = vec!["https://ok.example".to_owned(), entry.to_owned()];
        let started =
            territoires::server::AppState::new(db, config, territoires_sync::SyncConfig::default())
                .await;
        let Err(error) = started else {
            panic!("{entry} accepted");
        };
        assert!(error.to_string().contains(entry), "{error}");
    }
}
