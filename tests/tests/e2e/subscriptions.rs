//! Subscriptions over WebSocket (`graphql-transport-ws`, with a real WebSocket client)
//! and over SSE (graphql-sse, distinct connections mode, read as a stream): events
//! arrive after real writes, and hostile clients meet the protocol's closes and the
//! configured limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use entity::{DataChangeKind, Labelled, Role, api_token};
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::{Value, json};
use territoires::config::ServerConfig;
use territoires::http::subscriptions::PROTOCOL;
use territoires_sync::{Phase, RosterSource, SyncTrigger, import_roster};
use territoires_tests::seed::bump;
use territoires_tests::{TestApp, TestDb, spawn_app_with};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

const WAIT: Duration = Duration::from_secs(15);
const DATA_CHANGED: &str = "subscription { dataChanged { version initial at } }";

async fn app_with(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    spawn_app_with(TestDb::new().await, |config| {
        config.subscriptions_poll_ms = 100;
        configure(config);
    })
    .await
}

async fn connect(app: &TestApp, protocol: Option<&str>, authorization: Option<&str>) -> Ws {
    connect_to(&app.address, protocol, authorization).await
}

async fn connect_to(address: &str, protocol: Option<&str>, authorization: Option<&str>) -> Ws {
    let address = address.trim_start_matches("http://");
    let mut request = format!("ws://{address}/graphql")
        .into_client_request()
        .unwrap();
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
    }
    if let Some(authorization) = authorization {
        request
            .headers_mut()
            .insert("authorization", authorization.parse().unwrap());
    }
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap()
        .0
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message, the server's heartbeats skipped.
async fn recv(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("the connection is open")
            .expect("a valid frame");
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ping" {
                    return value;
                }
            }
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// The close code and reason the server ends the connection with.
async fn closed(ws: &mut Ws) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a close in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (u16::from(frame.code), frame.reason.to_string());
            }
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("{error}"),
        }
    }
}

async fn init(ws: &mut Ws, payload: Value) {
    send(ws, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(recv(ws).await, json!({"type": "connection_ack"}));
}

async fn subscribe(ws: &mut Ws, id: &str, query: &str) {
    subscribe_with(ws, id, query, json!({})).await;
}

async fn subscribe_with(ws: &mut Ws, id: &str, query: &str, variables: Value) {
    send(
        ws,
        json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}),
    )
    .await;
}

fn bearer(token: &str) -> Value {
    json!({ "Authorization": format!("Bearer {token}") })
}

#[tokio::test]
async fn data_changed_reports_a_write_over_websocket() {
    let app = app_with(|_| {}).await;
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    subscribe(&mut ws, "1", DATA_CHANGED).await;
    let first = recv(&mut ws).await;
    assert_eq!(
        (first["type"].as_str(), first["id"].as_str()),
        (Some("next"), Some("1"))
    );
    let change = &first["payload"]["data"]["dataChanged"];
    assert_eq!(change["initial"], true, "{first}");
    let start = change["version"].as_i64().unwrap();

    // A write from outside the API (as the command line makes it).
    bump(&app.db).await;
    let second = recv(&mut ws).await;
    let change = &second["payload"]["data"]["dataChanged"];
    assert_eq!(change["initial"], false, "{second}");
    assert!(change["version"].as_i64().unwrap() > start, "{second}");

    // Completed by the client: nothing more comes for it.
    send(&mut ws, json!({"id": "1", "type": "complete"})).await;
    bump(&app.db).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await, json!({"type": "pong"}));
}

/// Runs an import that parks at the start of validation until `release` (on a runtime
/// of its own: the parked hook blocks its thread).
fn spawn_parked_import(
    url: String,
    parked: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let db = sea_orm::Database::connect(url).await.unwrap();
            let once = Arc::new(AtomicBool::new(false));
            let options = territoires_sync::ImportOptions::new(SyncTrigger::Cli, "test")
                .dry_run(true)
                .with_progress(Arc::new(move |p| {
                    if p.phase == Phase::Validating && !once.swap(true, Ordering::SeqCst) {
                        parked.store(true, Ordering::SeqCst);
                        let deadline = std::time::Instant::now() + Duration::from_secs(30);
                        while !release.load(Ordering::SeqCst)
                            && std::time::Instant::now() < deadline
                        {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                }));
            let file = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/roster-92-hr-export.xlsx"
            );
            import_roster(&db, RosterSource::path(file), &options)
                .await
                .unwrap();
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_reports_its_progress_and_its_end_over_websocket() {
    let app = app_with(|_| {}).await;
    let admin = app.token(Role::Admin).await;
    let (parked, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let import = spawn_parked_import(
        app.database.url().to_owned(),
        parked.clone(),
        release.clone(),
    );
    for _ in 0..3000 {
        if parked.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(parked.load(Ordering::SeqCst), "the import started");

    // The running import is listed, RUNNING.
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns(first: 1) { edges { node { id status statusLabel dryRun } } } }",
            json!({}),
        )
        .await;
    let run = &runs["data"]["syncRuns"]["edges"][0]["node"];
    assert_eq!(run["status"], "RUNNING", "{runs}");
    assert_eq!(run["statusLabel"], "En cours", "{runs}");
    let id = run["id"].as_str().unwrap().to_owned();

    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(&admin)).await;
    subscribe(
        &mut ws,
        "end",
        "subscription { syncRunFinished { id status dryRun } }",
    )
    .await;
    subscribe_with(
        &mut ws,
        "progress",
        "subscription($id: ID!) { syncRunProgress(id: $id) { id status phase progressDone progressTotal } }",
        json!({ "id": id }),
    )
    .await;
    let now = recv(&mut ws).await;
    assert_eq!(now["id"], "progress", "{now}");
    assert_eq!(
        now["payload"]["data"]["syncRunProgress"]["status"], "RUNNING",
        "{now}"
    );

    release.store(true, Ordering::SeqCst);
    let (mut finished, mut progress_ended, mut last_progress) = (None, false, Value::Null);
    while finished.is_none() || !progress_ended {
        let message = recv(&mut ws).await;
        match (message["id"].as_str(), message["type"].as_str()) {
            (Some("end"), Some("next")) => {
                finished = Some(message["payload"]["data"]["syncRunFinished"].clone());
            }
            (Some("progress"), Some("next")) => {
                last_progress = message["payload"]["data"]["syncRunProgress"].clone();
            }
            (Some("progress"), Some("complete")) => progress_ended = true,
            _ => panic!("unexpected {message}"),
        }
    }
    let finished = finished.unwrap();
    assert_eq!(finished["id"], id.as_str());
    assert_eq!(finished["status"], "PLANNED", "a dry run ends PLANNED");
    assert_eq!(last_progress["status"], "PLANNED", "{last_progress}");
    assert_eq!(last_progress["phase"], "VALIDATING", "{last_progress}");
    assert_eq!(
        last_progress["progressDone"],
        last_progress["progressTotal"]
    );
    tokio::task::spawn_blocking(move || import.join().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn hostile_websocket_clients_are_closed_as_the_protocol_says() {
    let app = app_with(|config| config.subscriptions_init_timeout_secs = 1).await;
    let editor = app.token(Role::Editor).await;

    // No subprotocol: 4406.
    let mut ws = connect(&app, None, None).await;
    assert_eq!(closed(&mut ws).await.0, 4406);
    // An unknown token: 4403.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    send(
        &mut ws,
        json!({"type": "connection_init", "payload": bearer("terr_nope")}),
    )
    .await;
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, 4403, "{reason}");
    // A bad token in the upgrade request's header, no token in the payload: 4403.
    let mut ws = connect(&app, Some(PROTOCOL), Some("Bearer terr_nope")).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(closed(&mut ws).await.0, 4403);
    // Subscribing before the connection is acknowledged: 4401.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    subscribe(&mut ws, "1", DATA_CHANGED).await;
    assert_eq!(closed(&mut ws).await.0, 4401);
    // Not JSON, an unknown type, a binary frame: 4400.
    for bad in [
        Message::Text("{not json".into()),
        Message::Text(r#"{"type":"hello"}"#.into()),
        Message::Binary(vec![1, 2, 3].into()),
    ] {
        let mut ws = connect(&app, Some(PROTOCOL), None).await;
        ws.send(bad).await.unwrap();
        assert_eq!(closed(&mut ws).await.0, 4400);
    }
    // A second connection_init: 4429.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    send(&mut ws, json!({"type": "connection_init"})).await;
    assert_eq!(closed(&mut ws).await.0, 4429);
    // An id already in use: 4409.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    subscribe(&mut ws, "same", DATA_CHANGED).await;
    subscribe(&mut ws, "same", DATA_CHANGED).await;
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(
        (code, reason.as_str()),
        (4409, "Subscriber for same already exists")
    );
    // Silent after connecting: 4408 after SUBSCRIPTIONS_INIT_TIMEOUT_SECS.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    assert_eq!(closed(&mut ws).await.0, 4408);
    // A message over MAX_BODY_BYTES: 1009.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    let huge = "x".repeat(300 * 1024);
    let _ = ws
        .send(Message::Text(
            json!({"type": "ping", "payload": huge}).to_string().into(),
        ))
        .await;
    assert_eq!(closed(&mut ws).await.0, 1009);

    // Operations refused before they run get an `error` message; the connection stays.
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(&editor)).await;
    subscribe(&mut ws, "m", "mutation { __typename }").await;
    let error = recv(&mut ws).await;
    assert_eq!(
        (error["type"].as_str(), error["id"].as_str()),
        (Some("error"), Some("m"))
    );
    subscribe(&mut ws, "v", "subscription { noSuchField }").await;
    let error = recv(&mut ws).await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(
        error["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{error}"
    );
    // An EDITOR may not follow imports (ADMIN only).
    subscribe(&mut ws, "r", "subscription { syncRunFinished { id } }").await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["id"], "r");
    let errors = if refused["type"] == "error" {
        refused["payload"].clone()
    } else {
        refused["payload"]["errors"].clone()
    };
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    send(&mut ws, json!({"type": "ping"})).await;
    loop {
        let message = recv(&mut ws).await;
        if message["type"] == "pong" {
            break;
        }
        assert_eq!(message, json!({"id": "r", "type": "complete"}));
    }
}

#[tokio::test]
async fn subscriptions_are_bounded_per_connection_and_in_total() {
    let app = app_with(|config| {
        config.subscriptions_max_per_connection = 2;
        config.subscriptions_max = 3;
    })
    .await;
    let mut first = connect(&app, Some(PROTOCOL), None).await;
    init(&mut first, json!({})).await;
    for id in ["a", "b"] {
        subscribe(&mut first, id, DATA_CHANGED).await;
        assert_eq!(recv(&mut first).await["id"], id);
    }
    subscribe(&mut first, "c", DATA_CHANGED).await;
    let refused = recv(&mut first).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SUBSCRIPTIONS_MAX_PER_CONNECTION"),
        "{refused}"
    );

    let mut second = connect(&app, Some(PROTOCOL), None).await;
    init(&mut second, json!({})).await;
    subscribe(&mut second, "d", DATA_CHANGED).await;
    assert_eq!(recv(&mut second).await["id"], "d");
    subscribe(&mut second, "e", DATA_CHANGED).await;
    let refused = recv(&mut second).await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    assert!(
        refused["payload"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SUBSCRIPTIONS_MAX"),
        "{refused}"
    );
    // A slot comes back when a subscription completes.
    send(&mut first, json!({"id": "a", "type": "complete"})).await;
    send(&mut first, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut first).await["type"], "pong");
    subscribe(&mut second, "e", DATA_CHANGED).await;
    assert_eq!(recv(&mut second).await["type"], "next");
    // Beyond the limits, the SSE transport answers 503.
    let response = sse(&app, None, DATA_CHANGED).await;
    assert_eq!(response.status(), 503);
    // Counted in the metrics.
    let (status, metrics) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("\nterritoires_subscriptions_open 3\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_token_that_expires_or_is_revoked_ends_the_connection() {
    let app = app_with(|config| config.subscriptions_heartbeat_secs = 1).await;
    // A token expiring in two seconds.
    let token = "terr_expiring-soon-token";
    api_token::ActiveModel {
        name: Set("expiring".to_owned()),
        role: Set(Role::Editor),
        token_hash: Set(territoires::access::hash_token(token)),
        created_at: Set(chrono::Utc::now()),
        expires_at: Set(Some(chrono::Utc::now() + chrono::Duration::seconds(2))),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    bump(&app.db).await;
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(token)).await;
    subscribe(&mut ws, "1", DATA_CHANGED).await;
    assert_eq!(recv(&mut ws).await["type"], "next");
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.contains("expired"), "{reason}");

    // Revoked while connected: closed at the next heartbeat.
    let editor = app.token(Role::Editor).await;
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(&editor)).await;
    let name = territoires::access::list_tokens(&app.db)
        .await
        .unwrap()
        .into_iter()
        .last()
        .unwrap()
        .name;
    territoires::access::revoke_token(&app.db, &name)
        .await
        .unwrap();
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, 4403, "{reason}");
}

// ---------------------------------------------------------------------------------------
// SSE

async fn sse(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
    sse_to(&app.client, &app.address, token, query).await
}

async fn sse_to(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    query: &str,
) -> reqwest::Response {
    let mut request = client
        .post(format!("{address}/graphql"))
        .header("accept", "text/event-stream")
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Reads the events of an SSE response.
struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

impl EventReader {
    /// The next event and its data (heartbeat comments skipped); `None` at the end.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data) = (String::new(), String::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim());
                    }
                }
                if event.is_empty() {
                    continue;
                }
                return Some((event, data));
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("an event in time")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn data_changed_reports_a_write_over_sse() {
    let app = app_with(|_| {}).await;
    let response = sse(&app, None, DATA_CHANGED).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut events = EventReader {
        response,
        buffer: String::new(),
    };
    let (event, data) = events.next().await.unwrap();
    assert_eq!(event, "next");
    let first: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(first["data"]["dataChanged"]["initial"], true, "{first}");
    let start = first["data"]["dataChanged"]["version"].as_i64().unwrap();
    // A write through the API.
    let admin = app.token(Role::Admin).await;
    let (event, data) = events.next().await.unwrap();
    assert_eq!(event, "next");
    let second: Value = serde_json::from_str(&data).unwrap();
    assert!(second["data"]["dataChanged"]["version"].as_i64().unwrap() > start);
    drop(events);

    // A query streams its one result, then completes.
    let mut events = EventReader {
        response: sse(&app, Some(&admin), "{ territories { number } }").await,
        buffer: String::new(),
    };
    let (event, data) = events.next().await.unwrap();
    assert_eq!(event, "next");
    let result: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(result["data"]["territories"].as_array().unwrap().len(), 7);
    assert_eq!(events.next().await.unwrap().0, "complete");
    assert!(events.next().await.is_none());
}

#[tokio::test]
async fn hostile_sse_requests_are_refused() {
    let app = app_with(|config| config.max_query_depth = 2).await;
    // An unknown token: 401, before any stream.
    let response = sse(&app, Some("terr_nope"), DATA_CHANGED).await;
    assert_eq!(response.status(), 401);
    // Errors found before execution come as a `next` event, then `complete`.
    for (query, code) in [
        ("subscription { noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        ("mutation { __typename }", "BAD_USER_INPUT"),
        (
            "subscription { syncRunFinished { problems { message } } }",
            "BAD_USER_INPUT",
        ),
    ] {
        let response = sse(&app, None, query).await;
        assert_eq!(response.status(), 200, "{query}");
        let mut events = EventReader {
            response,
            buffer: String::new(),
        };
        let (event, data) = events.next().await.unwrap();
        assert_eq!(event, "next", "{query}");
        let result: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(
            result["errors"][0]["extensions"]["code"], code,
            "{query}: {result}"
        );
        assert_eq!(events.next().await.unwrap().0, "complete", "{query}");
    }
}

#[tokio::test]
async fn shutdown_closes_websockets_and_completes_event_streams() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    territoires::db::migrate(&db).await.unwrap();
    let mut config = ServerConfig::on(([127, 0, 0, 1], 0).into());
    config.subscriptions_poll_ms = 100;
    let state =
        territoires::server::AppState::new(db, config, territoires_sync::SyncConfig::default())
            .await
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(territoires::server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let mut ws = connect_to(&address, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    subscribe(&mut ws, "1", DATA_CHANGED).await;
    assert_eq!(recv(&mut ws).await["type"], "next");
    let client = territoires_tests::http_client();
    let mut events = EventReader {
        response: sse_to(&client, &address, None, DATA_CHANGED).await,
        buffer: String::new(),
    };
    assert_eq!(events.next().await.unwrap().0, "next");

    stop.send(()).unwrap();
    let (code, reason) = closed(&mut ws).await;
    assert_eq!(code, 1001, "{reason}");
    assert_eq!(events.next().await.unwrap().0, "complete");
    assert!(events.next().await.is_none());
    tokio::time::timeout(WAIT, server)
        .await
        .expect("the server stops without waiting for the grace period")
        .unwrap()
        .unwrap();
}

/// How long a write takes to reach many subscribers (one WebSocket each):
/// `cargo nextest run -p territoires-tests --test e2e --run-ignored only -E 'test(fan_out)' --no-capture`
/// (with `DATABASE_URL` for PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn fan_out() {
    let app = app_with(|_| {}).await;
    let mut sockets = Vec::new();
    for _ in 0..200 {
        let mut ws = connect(&app, Some(PROTOCOL), None).await;
        init(&mut ws, json!({})).await;
        subscribe(&mut ws, "1", DATA_CHANGED).await;
        recv(&mut ws).await;
        sockets.push(ws);
    }
    for round in 0..3 {
        let clock = std::time::Instant::now();
        bump(&app.db).await;
        let mut slowest = Duration::ZERO;
        for ws in &mut sockets {
            recv(ws).await;
            slowest = slowest.max(clock.elapsed());
        }
        println!("round {round}: 200 subscribers notified in {slowest:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_starts_is_told_with_its_id_then_followed_to_its_end() {
    let app = app_with(|_| {}).await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(&admin)).await;
    subscribe(
        &mut ws,
        "start",
        "subscription { syncRunStarted { id status dryRun actor } }",
    )
    .await;
    // Operations are polled in turn: once dataChanged (sent second) answers, the first
    // one listens.
    subscribe(&mut ws, "data", DATA_CHANGED).await;
    let first = recv(&mut ws).await;
    assert_eq!(first["id"], "data", "{first}");
    send(&mut ws, json!({"id": "data", "type": "complete"})).await;

    let (parked, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let import = spawn_parked_import(
        app.database.url().to_owned(),
        parked.clone(),
        release.clone(),
    );
    let started = recv(&mut ws).await;
    assert_eq!(started["id"], "start", "{started}");
    let run = &started["payload"]["data"]["syncRunStarted"];
    assert_eq!(run["status"], "RUNNING", "{started}");
    assert_eq!(run["dryRun"], true, "{started}");
    assert_eq!(run["actor"], "test", "{started}");
    let id = run["id"].as_str().unwrap().to_owned();

    // The id is enough to follow the run to its end.
    subscribe_with(
        &mut ws,
        "progress",
        "subscription($id: ID!) { syncRunProgress(id: $id) { id status } }",
        json!({ "id": id }),
    )
    .await;
    let now = recv(&mut ws).await;
    assert_eq!(now["id"], "progress", "{now}");
    assert_eq!(now["payload"]["data"]["syncRunProgress"]["id"], id.as_str());
    release.store(true, Ordering::SeqCst);
    let mut last = Value::Null;
    loop {
        let message = recv(&mut ws).await;
        match (message["id"].as_str(), message["type"].as_str()) {
            (Some("progress"), Some("next")) => {
                last = message["payload"]["data"]["syncRunProgress"].clone();
            }
            (Some("progress"), Some("complete")) => break,
            // The run starts once: its progress is not told again as a start.
            _ => panic!("unexpected {message}"),
        }
    }
    assert_eq!(last["status"], "PLANNED", "{last}");
    tokio::task::spawn_blocking(move || import.join().unwrap())
        .await
        .unwrap();
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "pong"}),
        "no second start"
    );

    // ADMIN only, on both transports.
    let mut other = connect(&app, Some(PROTOCOL), None).await;
    init(&mut other, bearer(&editor)).await;
    subscribe(&mut other, "s", "subscription { syncRunStarted { id } }").await;
    let refused = recv(&mut other).await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
    let response = sse(
        &app,
        Some(&editor),
        "subscription { syncRunStarted { id } }",
    )
    .await;
    let mut events = EventReader {
        response,
        buffer: String::new(),
    };
    let (_, data) = events.next().await.unwrap();
    assert!(data.contains("FORBIDDEN"), "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_starts_is_told_over_sse() {
    let app = app_with(|_| {}).await;
    let admin = app.token(Role::Admin).await;
    let response = sse(
        &app,
        Some(&admin),
        "subscription { syncRunStarted { id actor } }",
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut events = EventReader {
        response,
        buffer: String::new(),
    };
    // The stream listens from its first read: imports run until one is told.
    let reader = tokio::spawn(async move { events.next().await });
    let db = app.db.clone();
    let mut ids = Vec::new();
    while !reader.is_finished() && ids.len() < 50 {
        let options = territoires_sync::ImportOptions::new(SyncTrigger::Cli, "sse").dry_run(true);
        let csv = "Nom;Prénom;Courriel;Territoire\nDurand;Alice;alice.durand@hauts-de-seine.fr;1\n";
        let report = import_roster(&db, RosterSource::bytes("liste.csv", csv.into()), &options)
            .await
            .unwrap();
        ids.push(report.run_id.unwrap());
    }
    let (event, data) = reader.await.unwrap().unwrap();
    assert_eq!(event, "next");
    let told: Value = serde_json::from_str(&data).unwrap();
    let run = &told["data"]["syncRunStarted"];
    assert_eq!(run["actor"], "sse", "{told}");
    assert!(run["id"].as_str().is_some(), "{told}");
}

// ---------------------------------------------------------------------------------------
// What changed: `dataChanged { kinds }`

const DATA_CHANGED_KINDS: &str = "subscription { dataChanged { version initial kinds } }";
const CREATE_PARTNER: &str = r#"mutation { createPartner(input: {name: "Association", kind: ASSOCIATION, territory: 2}) { partner { id } } }"#;
const ROSTER_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/roster-92-hr-export.xlsx"
);

/// The next `dataChanged` event on `ws`.
async fn next_change(ws: &mut Ws) -> Value {
    let message = recv(ws).await;
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"]["dataChanged"].clone()
}

/// The next `dataChanged` event of an SSE stream.
async fn next_sse_change(events: &mut EventReader) -> Value {
    let (event, data) = events.next().await.unwrap();
    assert_eq!(event, "next", "{data}");
    let value: Value = serde_json::from_str(&data).unwrap();
    value["data"]["dataChanged"].clone()
}

#[tokio::test]
async fn data_changed_tells_what_kind_of_data_changed() {
    let app = app_with(|_| {}).await;
    let editor = app.token(Role::Editor).await;
    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, json!({})).await;
    subscribe(&mut ws, "1", DATA_CHANGED_KINDS).await;
    let first = next_change(&mut ws).await;
    assert_eq!(first["initial"], true, "{first}");
    assert_eq!(first["kinds"], json!([]), "nothing changed yet: {first}");

    // An editor adds a partner.
    let created = app.graphql_as(&editor, CREATE_PARTNER, json!({})).await;
    assert!(created.get("errors").is_none(), "{created}");
    let change = next_change(&mut ws).await;
    assert_eq!(change["kinds"], json!(["PARTNERS"]), "{change}");

    // A roster import, as the command line runs it.
    let options = territoires_sync::ImportOptions::new(SyncTrigger::Cli, "cli").force(true);
    import_roster(&app.db, RosterSource::path(ROSTER_FIXTURE), &options)
        .await
        .unwrap();
    let change = next_change(&mut ws).await;
    assert_eq!(change["kinds"], json!(["ROSTER"]), "{change}");

    // Two versions committed at once: SQLite's poll sees them as one change, told with
    // both kinds; PostgreSQL notifies each, told in turn.
    let before = entity::data_version::current(&app.db).await.unwrap();
    let txn = entity::transaction::begin_write(&app.db).await.unwrap();
    entity::data_version::bump(&txn, DataChangeKind::Projects)
        .await
        .unwrap();
    entity::data_version::bump(&txn, DataChangeKind::Partners)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let mut told = Vec::new();
    loop {
        let change = next_change(&mut ws).await;
        told.push(change["kinds"].clone());
        if change["version"].as_i64().unwrap() >= before + 2 {
            break;
        }
    }
    if app.database.is_postgres() {
        assert_eq!(told, [json!(["PROJECTS"]), json!(["PARTNERS"])]);
    } else {
        assert_eq!(told, [json!(["PARTNERS", "PROJECTS"])]);
    }
}

/// What a merged event tells (a subscriber that joined between two events, or fell
/// behind, reads it from the versions' records): the union of the kinds, and every kind
/// when a record is gone (pruned, or written before kinds were recorded).
#[tokio::test]
async fn the_kinds_of_merged_versions_are_their_union() {
    let app = app_with(|_| {}).await;
    let db = &app.db;
    let start = entity::data_version::current(db).await.unwrap();
    for kind in [
        DataChangeKind::Partners,
        DataChangeKind::Projects,
        DataChangeKind::Partners,
    ] {
        entity::data_version::bump(db, kind).await.unwrap();
    }
    let between = |after, upto| entity::data_change::kinds_between(db, after, upto);
    assert_eq!(
        between(start, start + 3).await.unwrap(),
        [DataChangeKind::Partners, DataChangeKind::Projects]
    );
    assert_eq!(
        between(start + 1, start + 2).await.unwrap(),
        [DataChangeKind::Projects]
    );
    assert_eq!(between(start + 3, start + 3).await.unwrap(), []);
    // A version bumped without a record (as before kinds were recorded).
    db.execute_unprepared("UPDATE data_version SET version = version + 1 WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        between(start + 2, start + 4).await.unwrap(),
        DataChangeKind::ALL
    );

    // Far ahead: the bump that reaches a multiple of PRUNE_EVERY drops what is older
    // than KEEP versions.
    let far = entity::data_change::KEEP + 2 * entity::data_change::PRUNE_EVERY;
    db.execute_unprepared(&format!(
        "UPDATE data_version SET version = {} WHERE id = 1",
        far - 2
    ))
    .await
    .unwrap();
    entity::data_version::bump(db, DataChangeKind::Themes)
        .await
        .unwrap();
    assert_eq!(
        between(start, start + 3).await.unwrap(),
        [DataChangeKind::Partners, DataChangeKind::Projects],
        "kept until a pruning bump"
    );
    entity::data_version::bump(db, DataChangeKind::Colleges)
        .await
        .unwrap();
    assert_eq!(
        between(start, start + 3).await.unwrap(),
        DataChangeKind::ALL,
        "pruned"
    );
    assert_eq!(
        between(far - 2, far).await.unwrap(),
        [DataChangeKind::Colleges, DataChangeKind::Themes]
    );
}

/// A change made by another replica, or by the command line's code on its own
/// connection, is told with its kind (PostgreSQL: through the notification; SQLite: by
/// polling the version).
#[tokio::test]
async fn a_change_made_elsewhere_is_told_with_its_kind() {
    let a = app_with(|_| {}).await;
    let b = spawn_app_with(TestDb::external(a.database.url(), 5), |config| {
        config.subscriptions_poll_ms = 100;
    })
    .await;
    let editor = a.token(Role::Editor).await;
    let mut events = EventReader {
        response: sse(&b, None, DATA_CHANGED_KINDS).await,
        buffer: String::new(),
    };
    let first = next_sse_change(&mut events).await;
    assert_eq!(first["kinds"], json!([]), "{first}");

    // An edit through replica A, told by replica B.
    let created = a.graphql_as(&editor, CREATE_PARTNER, json!({})).await;
    assert!(created.get("errors").is_none(), "{created}");
    assert_eq!(
        next_sse_change(&mut events).await["kinds"],
        json!(["PARTNERS"])
    );
    // A token created by the command line (its own connection, no server involved).
    territoires::access::create_token(&a.db, "cli", Role::Editor, None)
        .await
        .unwrap();
    assert_eq!(
        next_sse_change(&mut events).await["kinds"],
        json!(["ACCESS"])
    );
}

// ---------------------------------------------------------------------------------------
// Field errors in events

/// An event with a field error is repaired as an HTTP answer is: the failed non-null
/// `problems` nulls its parents up to the nearest nullable one, here the whole `data`
/// (async-graphql alone drops the key and keeps the run).
#[tokio::test]
async fn a_field_error_in_an_event_nulls_up_to_the_nearest_nullable_parent() {
    let app = app_with(|_| {}).await;
    let admin = app.token(Role::Admin).await;
    let options = territoires_sync::ImportOptions::new(SyncTrigger::Cli, "cli").dry_run(true);
    import_roster(&app.db, RosterSource::path(ROSTER_FIXTURE), &options)
        .await
        .unwrap();
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = runs["data"]["syncRuns"]["edges"][0]["node"]["id"].clone();
    assert!(id.is_string(), "{runs}");
    // The problems cannot be read any more: their resolver fails.
    app.db
        .execute_unprepared("ALTER TABLE sync_run_problems RENAME TO sync_run_problems_gone")
        .await
        .unwrap();
    let query =
        "subscription($id: ID!) { syncRunProgress(id: $id) { id status problems { code } } }";
    let check = |payload: &Value| {
        assert_eq!(payload["data"], Value::Null, "{payload}");
        assert_eq!(
            payload["errors"][0]["path"],
            json!(["syncRunProgress", "problems"]),
            "{payload}"
        );
    };

    let mut ws = connect(&app, Some(PROTOCOL), None).await;
    init(&mut ws, bearer(&admin)).await;
    subscribe_with(&mut ws, "p", query, json!({ "id": id })).await;
    let event = recv(&mut ws).await;
    assert_eq!(event["type"], "next", "{event}");
    check(&event["payload"]);
    assert_eq!(recv(&mut ws).await["type"], "complete");

    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "text/event-stream")
        .bearer_auth(&admin)
        .json(&json!({ "query": query, "variables": { "id": id } }))
        .send()
        .await
        .unwrap();
    let mut events = EventReader {
        response,
        buffer: String::new(),
    };
    let (event, data) = events.next().await.unwrap();
    assert_eq!(event, "next", "{data}");
    check(&serde_json::from_str(&data).unwrap());
    assert_eq!(events.next().await.unwrap().0, "complete");
}
