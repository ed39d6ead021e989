//! Health and readiness endpoints, and malformed requests.

use sea_orm::ConnectionTrait;
use territoires_tests::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_when_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(app.get("/readyz").await, (200, "ready".to_owned()));
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    // Closing the application's pool is the database going away, as the server sees it.
    let state_db = territoires::db::connect(&app.database.config())
        .await
        .unwrap();
    let config = territoires::config::ServerConfig::on(([127, 0, 0, 1], 0).into());
    let sync = territoires_sync::SyncConfig::default();
    let state = territoires::server::AppState::new(state_db.clone(), config, sync)
        .await
        .unwrap();
    state_db.close_by_ref().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, territoires::server::app(state)).await });
    let response = reqwest::get(format!("http://{address}/readyz"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let health = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_answers_but_cannot_serve_the_data() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.0, 200);
    // The server's connections stay open and would answer a driver-level ping (on
    // SQLite one never reaches the file), but the data can no longer be read.
    let other = territoires::db::connect(&app.database.config())
        .await
        .unwrap();
    other
        .execute_unprepared("DROP TABLE data_version")
        .await
        .unwrap();
    assert_eq!(app.get("/readyz").await.0, 503);
}

#[tokio::test]
async fn graphiql_is_served_to_a_browser_on_get() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains("graphiql"), "{body}");
    // Not to a program, which gets a JSON refusal it can read.
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, 400);
    assert!(body.contains("BAD_REQUEST"), "{body}");
}

#[tokio::test]
async fn malformed_json_is_a_400_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        app.data("{ territory(number: 1) { number } }").await["territory"]["number"],
        1
    );
}
