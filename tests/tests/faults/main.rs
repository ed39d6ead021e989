//! Faults: PostgreSQL stopped or crashed under the running service. The service reports
//! it (`/readyz` 503), fails requests fast with `INTERNAL` instead of hanging, and
//! recovers by itself when the database returns.
//!
//! Each test runs its own PostgreSQL cluster (`initdb`/`pg_ctl`), whatever `DATABASE_URL`
//! says, since it has to stop it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use territoires_tests::pg_cluster::PgCluster;
use territoires_tests::{TestDb, error_code, spawn_app_on};

const QUERY: &str = "{ territory(number: 5) { coordinator { email } } }";

async fn cluster_with_database() -> (PgCluster, String) {
    let cluster = PgCluster::start().expect("a PostgreSQL cluster of our own");
    let admin = Database::connect(cluster.url("postgres")).await.unwrap();
    admin
        .execute_unprepared("CREATE DATABASE territoires")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = cluster.url("territoires");
    (cluster, url)
}

async fn recovers(app: &territoires_tests::TestApp) -> Duration {
    let started = Instant::now();
    loop {
        let response = app.graphql(QUERY).await;
        if response.get("errors").is_none() {
            assert_eq!(
                response["data"]["territory"]["coordinator"]["email"],
                "acuq@hauts-de-seine.fr"
            );
            assert_eq!(app.get("/readyz").await.0, 200);
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recovery: {response}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn fails_fast(app: &territoires_tests::TestApp) {
    let started = Instant::now();
    assert_eq!(app.get("/readyz").await.0, 503);
    println!("readyz answered after {:?}", started.elapsed());
    // A burst of concurrent requests, then a stream of sequential ones: they share the
    // failing version check instead of each waiting for a connection in turn.
    let burst: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (app.client.clone(), format!("{}/graphql", app.address));
            tokio::spawn(async move {
                let body = serde_json::json!({ "query": QUERY });
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut responses: Vec<Value> = Vec::new();
    for request in burst {
        responses.push(request.await.unwrap());
    }
    println!("burst answered after {:?}", started.elapsed());
    for _ in 0..16 {
        let one = Instant::now();
        responses.push(app.graphql(QUERY).await);
        println!("sequential request: {:?}", one.elapsed());
    }
    let elapsed = started.elapsed();
    for response in &responses {
        assert_eq!(error_code(response), Some("INTERNAL"), "{response}");
        assert_eq!(
            response["errors"][0]["message"],
            "Internal error; it has been logged."
        );
    }
    assert!(
        elapsed < Duration::from_secs(12),
        "requests hung for {elapsed:?}"
    );
    assert_eq!(app.get("/healthz").await.0, 200, "the process itself is up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_fails_requests_fast_and_the_service_recovers() {
    let (cluster, url) = cluster_with_database().await;
    let app = spawn_app_on(TestDb::external(url, 2)).await;
    assert!(app.graphql(QUERY).await.get("errors").is_none());

    cluster.stop().unwrap();
    fails_fast(&app).await;

    cluster.resume().unwrap();
    let took = recovers(&app).await;
    println!("recovered {took:?} after the database came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_database_is_survived_too() {
    let (cluster, url) = cluster_with_database().await;
    let app = spawn_app_on(TestDb::external(url, 2)).await;
    assert!(app.graphql(QUERY).await.get("errors").is_none());

    cluster.crash().unwrap();
    fails_fast(&app).await;

    cluster.resume().unwrap();
    recovers(&app).await;
}
