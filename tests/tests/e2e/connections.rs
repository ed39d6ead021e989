//! Slow, idle, numerous and unauthenticated clients (issue 9, item 3), what a request body
//! may be (item 12) and who reads `/metrics` (item 13), over raw TCP where a client must
//! misbehave.

use std::time::Duration;

use entity::Role;
use serde_json::{Value, json};
use territoires::config::ServerConfig;
use territoires_tests::{TestApp, TestDb, error_code, spawn_app, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous bound for "the server closed it": the timeouts under test are 1 to 6 s.
const CLOSED_WITHIN: Duration = Duration::from_secs(30);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

const DRY_IMPORT: &str =
    "mutation($file: Upload!) { importRoster(file: $file, dryRun: true) { status } }";

async fn app_with(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    spawn_app_with(TestDb::new().await, configure).await
}

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.unwrap()
}

/// Everything the server sends until it closes the connection; `None` if it is still
/// open after `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// One whole response (head and `Content-Length` body) read from `stream`.
async fn response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
        let n = tokio::time::timeout(CLOSED_WITHIN, stream.read(&mut buffer))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "closed before a whole response: {text}");
        received.extend_from_slice(&buffer[..n]);
    }
}

/// Opens a connection and sends part of a request head, so the connection is busy but
/// has not sent a request yet.
async fn trickling(app: &TestApp) -> TcpStream {
    let mut stream = connect(app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn connections_that_send_their_headers_too_slowly_are_closed() {
    let app = app_with(|c| {
        c.header_read_timeout_secs = 1;
        c.max_connections = 4;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(trickling(&app).await);
    }
    held.push(connect(&app).await); // and one that sends nothing at all
    for stream in &mut held {
        assert!(
            until_closed(stream, CLOSED_WITHIN).await.is_some(),
            "a connection without a whole request head stays open"
        );
    }
    // The slots they held serve others.
    let health = reqwest::Client::new()
        .get(format!("{}/healthz", app.address))
        .timeout(CLOSED_WITHIN)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let app = app_with(|c| {
        c.header_read_timeout_secs = 1;
        c.idle_timeout_secs = 6;
    })
    .await;
    let mut stream = connect(&app).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request).await.unwrap();
    assert!(response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Idle for longer than the header timeout: a kept-alive connection has the idle one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stream.write_all(request).await.unwrap();
    assert!(response(&mut stream).await.starts_with("HTTP/1.1 200"));
    assert!(
        until_closed(&mut stream, CLOSED_WITHIN).await.is_some(),
        "an idle connection stays open"
    );
}

#[tokio::test]
async fn a_request_body_that_stalls_is_cut_with_408() {
    let app = app_with(|c| c.body_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 200\r\n\r\n{\"query\": \"{ territ",
        )
        .await
        .unwrap();
    let answer = until_closed(&mut stream, CLOSED_WITHIN)
        .await
        .expect("a stalled body holds the connection");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("BODY_TIMEOUT"), "{answer}");
}

#[tokio::test]
async fn beyond_the_connection_limit_clients_wait_and_health_answers_once_load_passes() {
    let app = app_with(|c| {
        c.max_connections = 4;
        c.header_read_timeout_secs = 60;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(trickling(&app).await);
    }
    let health = |timeout| {
        reqwest::Client::new()
            .get(format!("{}/healthz", app.address))
            .timeout(timeout)
            .send()
    };
    assert!(
        health(Duration::from_secs(2)).await.is_err(),
        "a fifth connection is served while four are open"
    );
    drop(held);
    let answered = health(CLOSED_WITHIN).await.unwrap();
    assert_eq!(answered.status().as_u16(), 200);
}

/// Sends the head of a multipart upload announcing 9 GB, without a byte of its body.
async fn upload_head(app: &TestApp, authorization: Option<&str>) -> TcpStream {
    let mut stream = connect(app).await;
    let mut head = "POST /graphql HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\n\
         apollo-require-preflight: true\r\nContent-Length: 9000000000\r\n"
        .to_owned();
    if let Some(authorization) = authorization {
        head.push_str(&format!("Authorization: {authorization}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn an_upload_without_an_admin_token_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let editor = format!("Bearer {editor}");
    for (authorization, status) in [
        (None, "401"),
        (Some("Bearer terr_not-a-token"), "401"),
        (Some(editor.as_str()), "403"),
    ] {
        let mut stream = upload_head(&app, authorization).await;
        let answer = until_closed(&mut stream, CLOSED_WITHIN)
            .await
            .expect("the server waits for the body");
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{authorization:?}: {answer}"
        );
    }
}

#[tokio::test]
async fn concurrent_uploads_are_bounded() {
    let app = app_with(|c| c.max_concurrent_uploads = 1).await;
    let admin = app.token(Role::Admin).await;
    let csv = std::fs::read(format!("{FIXTURES}/roster-92-hr-export-utf8.csv")).unwrap();
    let upload = || app.upload(Some(&admin), DRY_IMPORT, json!({}), "r.csv", csv.clone());
    // An ADMIN upload whose body is on its way holds the one slot…
    let mut slow = upload_head(&app, Some(&format!("Bearer {admin}"))).await;
    slow.write_all(b"--XYZ\r\n").await.unwrap();
    let mut refused = None;
    for _ in 0..50 {
        let (status, answer) = upload().await;
        if status == 503 {
            refused = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refused = refused.expect("a second upload is received while the first holds the slot");
    assert_eq!(error_code(&refused), Some("TOO_MANY_UPLOADS"), "{refused}");
    // …until it goes away.
    drop(slow);
    let mut status = 0;
    for _ in 0..50 {
        status = upload().await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "the slot is free again");
}

/// `POST /graphql` with `body` and, if given, `content_type`; the status and JSON answer.
async fn post_as(app: &TestApp, content_type: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_json_bodies_and_preflighted_uploads_are_executed() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ territory(number: 1) { number } }" }).to_string();
    for (content_type, body) in [
        (Some("text/plain"), query.as_str()),
        (Some("text/plain;charset=UTF-8"), query.as_str()),
        (
            Some("application/x-www-form-urlencoded"),
            "query=%7B+territory%28number%3A+1%29+%7B+number+%7D+%7D",
        ),
        (None, query.as_str()),
    ] {
        let (status, answer) = post_as(&app, content_type, body).await;
        assert_eq!(
            (status, error_code(&answer)),
            (415, Some("UNSUPPORTED_MEDIA_TYPE")),
            "{content_type:?}: {answer}"
        );
    }
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let (status, answer) = post_as(&app, Some(content_type), &query).await;
        assert_eq!(status, 200, "{content_type}: {answer}");
        assert_eq!(answer["data"]["territory"]["number"], 1, "{answer}");
    }

    // A multipart request is what an HTML form can post: it needs a header only a
    // script allowed by CORS can add.
    let admin = app.token(Role::Admin).await;
    let csv = std::fs::read(format!("{FIXTURES}/roster-92-hr-export-utf8.csv")).unwrap();
    let multipart = |header: Option<(&'static str, &'static str)>| {
        let operations = json!({ "query": DRY_IMPORT, "variables": { "file": null } });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(csv.clone()).file_name("r.csv"),
            );
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&admin)
            .multipart(form);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    for header in [None, Some(("apollo-require-preflight", " "))] {
        let (status, answer) = multipart(header).await;
        assert_eq!(
            (status, error_code(&answer)),
            (415, Some("PREFLIGHT_REQUIRED")),
            "{header:?}: {answer}"
        );
    }
    for header in [
        ("apollo-require-preflight", "true"),
        ("x-apollo-operation-name", "ImportRoster"),
    ] {
        let (status, answer) = multipart(Some(header)).await;
        assert_eq!(status, 200, "{header:?}: {answer}");
        assert!(
            answer["data"]["importRoster"]["status"].is_string(),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn browsers_may_send_the_preflight_header_cross_origin() {
    let app = app_with(|c| c.cors_origins = vec!["https://annuaire.example".to_owned()]).await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("origin", "https://annuaire.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "apollo-require-preflight,authorization",
        )
        .send()
        .await
        .unwrap();
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("apollo-require-preflight"), "{allowed}");
    assert!(allowed.contains("x-apollo-operation-name"), "{allowed}");
}

#[tokio::test]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let app = app_with(|c| c.metrics_token = Some("jeton-des-metriques".to_owned())).await;
    let admin = app.token(Role::Admin).await;
    let metrics = |token: Option<String>| {
        let mut request = app.client.get(format!("{}/metrics", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            let challenge = response.headers().get("www-authenticate").cloned();
            (
                response.status().as_u16(),
                challenge,
                response.text().await.unwrap(),
            )
        }
    };
    for token in [None, Some("jeton-faux".to_owned()), Some(admin)] {
        let (status, challenge, body) = metrics(token.clone()).await;
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_eq!(challenge.unwrap(), "Bearer");
        assert!(!body.contains("territoires_"), "{body}");
    }
    let (status, _, body) = metrics(Some("jeton-des-metriques".to_owned())).await;
    assert_eq!(status, 200);
    assert!(body.contains("territoires_directory_version"), "{body}");
    // Without METRICS_TOKEN (the default), they stay public.
    let open = spawn_app().await;
    assert_eq!(open.get("/metrics").await.0, 200);
}

#[tokio::test]
async fn junk_operation_names_do_not_grow_the_metrics_labels() {
    let app = spawn_app().await;
    for i in 0..200 {
        let named = json!({
            "query": format!("query Junk{i} {{ territories {{ number }} }}"),
            "operationName": format!("Junk{i}"),
        });
        let unknown = json!({ "query": format!("{{ junk{i} }}") });
        for body in [named, unknown] {
            app.client
                .post(format!("{}/graphql", app.address))
                .json(&body)
                .send()
                .await
                .unwrap();
        }
    }
    let (_, text) = app.get("/metrics").await;
    let labels: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("territoires_graphql_requests_total{"))
        .filter_map(|l| l.split("operation=\"").nth(1)?.split('"').next())
        .collect();
    assert!(labels.contains("territories"), "{labels:?}");
    assert!(labels.contains("other"), "{labels:?}");
    assert!(
        labels
            .iter()
            .all(|l| !l.to_ascii_lowercase().contains("junk")),
        "{labels:?}"
    );
}
