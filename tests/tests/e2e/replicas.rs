//! Two replicas on one database behave as one service: a write through one is seen at
//! once through the other (their in-memory directories and response caches stay
//! coherent), and tokens created or revoked anywhere hold everywhere.

use entity::Role;
use serde_json::json;
use territoires_tests::{TestDb, error_code, spawn_app, spawn_app_on};

#[tokio::test]
async fn a_write_through_one_replica_is_read_at_once_through_the_other() {
    let a = spawn_app().await;
    let b = spawn_app_on(TestDb::external(a.database.url(), 5)).await;
    let list = "{ projects(filter: {territory: 3}) { totalCount edges { node { title } } } }";
    // Both replicas have answered (and cached) the empty list.
    for replica in [&a, &b] {
        for _ in 0..2 {
            assert_eq!(replica.data(list).await["projects"]["totalCount"], 0);
        }
    }
    let editor = a.token(Role::Editor).await;
    let created = a
        .graphql_as(&editor, r#"mutation { createProject(input: {title: "Vu partout", territories: [3]}) { project { id } } }"#, json!({}))
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let seen = b.data(list).await;
    assert_eq!(
        seen["projects"]["edges"],
        json!([{ "node": { "title": "Vu partout" } }])
    );

    // The token made on A works on B; revoked on B, it is refused on A.
    let id = created["data"]["createProject"]["project"]["id"].clone();
    let rename = "mutation($id: ID!) { updateProject(id: $id, expectedVersion: 1, input: {title: \"Renommé sur B\"}) { project { version } } }";
    let renamed = b.graphql_as(&editor, rename, json!({ "id": id })).await;
    assert_eq!(renamed["data"]["updateProject"]["project"]["version"], 2);
    let name = territoires::access::list_tokens(&b.db).await.unwrap()[0]
        .name
        .clone();
    territoires::access::revoke_token(&b.db, &name)
        .await
        .unwrap();
    let (status, refused) = a.post(Some(&editor), list, json!({})).await;
    assert_eq!(
        (status, error_code(&refused)),
        (401, Some("UNAUTHENTICATED"))
    );
    assert_eq!(
        a.data(list).await["projects"]["edges"][0]["node"]["title"],
        "Renommé sur B"
    );
}

/// Both replicas run the nightly schedule over the same drop folder: the file is imported
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_import_runs_once_across_replicas() {
    use entity::{SyncStatus, sync_run};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use std::time::{Duration, Instant};

    let a = spawn_app().await;
    let b = spawn_app_on(TestDb::external(a.database.url(), 5)).await;
    let config = territoires_sync::SyncConfig {
        drop_dir: a.inbox.path().to_path_buf(),
        cron: "* * * * * *".to_owned(),
        settle_time: Duration::ZERO,
        ..territoires_sync::SyncConfig::default()
    };
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/roster-92-hr-export.xlsx"
    );
    std::fs::copy(fixture, a.inbox.path().join("export.xlsx")).unwrap();
    let first = territoires_sync::start_scheduler(a.db.clone(), config.clone(), None)
        .await
        .unwrap();
    let second = territoires_sync::start_scheduler(b.db.clone(), config, None)
        .await
        .unwrap();
    let started = Instant::now();
    while a.inbox.path().join("export.xlsx").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no replica took the file"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let both schedules tick again over the now empty folder.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    first.stop(Duration::from_secs(10)).await.unwrap();
    second.stop(Duration::from_secs(10)).await.unwrap();
    let applied = sync_run::Entity::find()
        .filter(sync_run::Column::Status.eq(SyncStatus::Applied))
        .count(&a.db)
        .await
        .unwrap();
    assert_eq!(applied, 1, "imported exactly once");
    let ids = a.data("{ coordinators { email } }").await;
    assert_eq!(
        ids["coordinators"].as_array().unwrap().len(),
        7,
        "nobody duplicated"
    );
}
