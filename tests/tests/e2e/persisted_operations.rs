//! Trusted documents: the manifest of `docs/operations/` and those frontends hand over
//! (`PERSISTED_OPERATIONS_FILE`), under `PERSISTED_OPERATIONS=off|allow|only`, and the
//! startup errors of a bad manifest.

use std::path::{Path, PathBuf};

use entity::Role;
use serde_json::{Value, json};
use territoires::config::{PersistedOperations, ServerConfig};
use territoires::http::persisted::{MAX_MANIFEST_BYTES, sha256_hex};
use territoires::operations::EXAMPLES;
use territoires::server::AppState;
use territoires_tests::{TestApp, TestDb, error_code, spawn_app_with};

const UNTRUSTED: &str = "{ territories { number name } }";
/// A document only a frontend's manifest holds.
const FRONTEND: &str = "query FrontendCommunes { communes { inseeCode } }";

fn directory() -> &'static str {
    EXAMPLES
        .iter()
        .find(|e| e.name == "directory")
        .map(|e| e.document)
        .unwrap()
}

async fn app(mode: PersistedOperations, files: Vec<PathBuf>) -> TestApp {
    spawn_app_with(TestDb::new().await, |config| {
        config.persisted_operations = mode;
        config.persisted_operations_files = files;
    })
    .await
}

/// POSTs `body`, with a token or not.
async fn send(app: &TestApp, token: Option<&str>, body: Value) -> Value {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn by_hash(document: &str) -> Value {
    json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(document) } } })
}

fn with_hash(document: &str) -> Value {
    json!({ "query": document, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(document) } } })
}

fn ok(response: &Value) -> bool {
    response.get("errors").is_none() && response["data"].is_object()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn allow_knows_the_manifest_hashes_from_the_start() {
    let app = app(PersistedOperations::Allow, Vec::new()).await;
    let response = send(&app, None, by_hash(directory())).await;
    assert!(ok(&response), "{response}");
    assert_eq!(
        response["data"]["territories"].as_array().map(Vec::len),
        Some(7)
    );
    assert!(ok(&send(&app, None, json!({ "query": UNTRUSTED })).await));
    // APQ registration still open to anyone.
    assert!(ok(&send(&app, None, with_hash(UNTRUSTED)).await));
    assert!(ok(&send(&app, None, by_hash(UNTRUSTED)).await));
}

#[tokio::test]
async fn off_ignores_the_manifests() {
    let dir = tempfile::tempdir().unwrap();
    // Not even read: `off` is off.
    let broken = write(dir.path(), "broken.json", "not json");
    let app = app(PersistedOperations::Off, vec![broken]).await;
    let response = send(&app, None, by_hash(directory())).await;
    assert_eq!(
        error_code(&response),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{response}"
    );
}

#[tokio::test]
async fn only_lets_anonymous_callers_run_manifest_documents_alone() {
    let dir = tempfile::tempdir().unwrap();
    let relay = write(
        dir.path(),
        "relay.json",
        &json!({ sha256_hex(FRONTEND): FRONTEND }).to_string(),
    );
    let app = app(PersistedOperations::Only, vec![relay]).await;
    // By hash and by identical text, from docs/operations and from the frontend's file.
    assert!(ok(&send(&app, None, by_hash(directory())).await));
    assert!(ok(&send(&app, None, json!({ "query": directory() })).await));
    assert!(ok(&send(&app, None, by_hash(FRONTEND)).await));
    assert!(ok(&send(&app, None, json!({ "query": FRONTEND })).await));
    // Anything else is refused, and a one-byte change is something else.
    let refused = send(&app, None, json!({ "query": UNTRUSTED })).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    assert!(refused["data"].is_null());
    let changed = format!("{} ", directory());
    let refused = send(&app, None, json!({ "query": changed })).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    // APQ registration is closed to anonymous callers: nothing is stored.
    let refused = send(&app, None, with_hash(UNTRUSTED)).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    let refused = send(&app, None, by_hash(UNTRUSTED)).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    // Over GET too, as urql and Apollo send persisted queries.
    let extensions = by_hash(directory())["extensions"].to_string();
    let get = |params: Vec<(&'static str, String)>| {
        let url =
            reqwest::Url::parse_with_params(&format!("{}/graphql", app.address), params).unwrap();
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let response = get(vec![("extensions", extensions)]).await;
    assert!(ok(&response), "{response}");
    let refused = get(vec![("query", UNTRUSTED.to_owned())]).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
    // A hash that lies about its document is still refused as such.
    let lying = json!({ "query": UNTRUSTED, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(directory()) } } });
    assert_eq!(
        error_code(&send(&app, None, lying).await),
        Some("BAD_USER_INPUT")
    );
    // Token holders are unrestricted, and may register.
    let token = app.token(Role::Editor).await;
    assert!(ok(
        &send(&app, Some(&token), json!({ "query": UNTRUSTED })).await
    ));
    assert_eq!(
        error_code(&send(&app, Some(&token), by_hash(UNTRUSTED)).await),
        Some("PERSISTED_QUERY_NOT_FOUND")
    );
    assert!(ok(&send(&app, Some(&token), with_hash(UNTRUSTED)).await));
    assert!(ok(&send(&app, Some(&token), by_hash(UNTRUSTED)).await));
    // What a token registered is still not open to anonymous callers.
    let refused = send(&app, None, by_hash(UNTRUSTED)).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
}

#[tokio::test]
async fn apollo_manifests_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let apollo = write(
        dir.path(),
        "persisted-query-manifest.json",
        &json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": sha256_hex(FRONTEND), "name": "FrontendCommunes", "type": "query", "body": FRONTEND }]
        })
        .to_string(),
    );
    let app = app(PersistedOperations::Only, vec![apollo]).await;
    let response = send(&app, None, by_hash(FRONTEND)).await;
    assert!(ok(&response), "{response}");
}

/// The error `AppState::new` stops at with this configuration.
async fn startup_error(configure: impl FnOnce(&mut ServerConfig)) -> String {
    let database = TestDb::new().await;
    let db = database.connect().await;
    territoires::db::migrate(&db).await.unwrap();
    let mut config = ServerConfig::on(([127, 0, 0, 1], 0).into());
    configure(&mut config);
    match AppState::new(db, config, territoires_sync::SyncConfig::default()).await {
        Ok(_) => panic!("the server started"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_bad_manifest_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = write(
        dir.path(),
        "wrong.json",
        &json!({ sha256_hex(UNTRUSTED): FRONTEND }).to_string(),
    );
    let huge = dir.path().join("huge.json");
    // Sparse: its size says it all, it is never read.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(MAX_MANIFEST_BYTES + 1)
        .unwrap();
    let not_json = write(dir.path(), "not.json", "{ \"a\": ");
    let cases = [
        (wrong, "n'est pas le SHA-256 de son document"),
        (huge, "dépasse 16 Mio"),
        (not_json, "ce n'est pas du JSON"),
        (dir.path().join("missing.json"), "lecture impossible"),
    ];
    for (path, why) in cases {
        for mode in [PersistedOperations::Allow, PersistedOperations::Only] {
            let shown = path.display().to_string();
            let message = startup_error(|config| {
                config.persisted_operations = mode;
                config.persisted_operations_files = vec![path.clone()];
            })
            .await;
            assert!(message.contains("PERSISTED_OPERATIONS_FILE"), "{message}");
            assert!(message.contains(&shown), "{message}");
            assert!(message.contains(why), "{message}");
        }
    }
}
