//! The schedule inside `serve`: it picks a dropped file up, and alerts the webhook when a
//! scheduled import is rejected. (The daylight-saving arithmetic is unit-tested in
//! `sync/src/schedule.rs`.)

use std::time::Duration;

use axum::routing::post;
use territoires_sync::{NightlyHook, SyncConfig, SyncStatus, SyncTrigger, start_scheduler};
use tokio::sync::mpsc;

use crate::helpers::*;
use territoires_tests::TestDb;

fn every_second(dir: &std::path::Path) -> SyncConfig {
    SyncConfig {
        drop_dir: dir.to_path_buf(),
        cron: "* * * * * *".to_owned(),
        settle_time: Duration::ZERO,
        ..SyncConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_job_picks_up_a_dropped_file() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let mut rows = seeded_rows();
    rows[1][2] = "Coordonnateur principal";
    std::fs::write(inbox.path().join("roster.xlsx"), roster(&rows)).unwrap();

    let (sender, mut outcomes) = mpsc::unbounded_channel();
    let hook: NightlyHook = std::sync::Arc::new(move |outcome| {
        let processed = outcome
            .drop
            .as_ref()
            .and_then(|d| d.as_ref().ok())
            .and_then(|d| d.processed.as_ref())
            .map(|p| p.report.status);
        let _ = sender.send(processed);
    });
    let handle = start_scheduler(db.clone(), every_second(inbox.path()), Some(hook))
        .await
        .unwrap();
    assert!(handle.next_run().is_some());
    let status = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(Some(status)) = outcomes.recv().await {
                return status;
            }
        }
    })
    .await
    .expect("the scheduled job ran");
    handle.stop(Duration::from_secs(10)).await.unwrap();

    assert_eq!(status, SyncStatus::Applied);
    let recorded = runs(&db).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].trigger, SyncTrigger::Schedule);
    assert_eq!(recorded[0].actor, "schedule");
    assert_eq!(
        by_last_name(&db, "MAILLARD").await.title.as_deref(),
        Some("Coordonnateur principal")
    );
    assert!(
        !inbox.path().join("roster.xlsx").exists(),
        "moved to the archive"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_scheduled_import_calls_the_webhook() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let (sender, mut alerts) = mpsc::unbounded_channel::<serde_json::Value>();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let inbox = tempfile::tempdir().unwrap();
    let mut rows = seeded_rows();
    rows[0][3] = "Territoire 12";
    std::fs::write(inbox.path().join("roster.xlsx"), roster(&rows)).unwrap();
    let config = SyncConfig {
        alert_webhook: Some(format!("http://{address}/hook")),
        ..every_second(inbox.path())
    };
    let handle = start_scheduler(db.clone(), config, None).await.unwrap();
    let alert = tokio::time::timeout(Duration::from_secs(20), alerts.recv())
        .await
        .expect("the webhook was called")
        .unwrap();
    handle.stop(Duration::from_secs(10)).await.unwrap();
    server.abort();

    assert_eq!(alert["event"], "roster_sync");
    assert_eq!(alert["status"], "REJECTED");
    assert_eq!(alert["fileName"], "roster.xlsx");
    assert_eq!(alert["errors"], 1);
    assert!(
        alert["text"].as_str().unwrap().contains("Fichier rejeté"),
        "{alert}"
    );
    assert!(inbox.path().join("rejected").read_dir().unwrap().count() >= 3);
}
