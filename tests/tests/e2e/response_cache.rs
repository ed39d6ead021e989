//! The response cache answers repeated reads, and never serves a stale, foreign-role or
//! database-backed response.

use chrono::Utc;
use entity::{Role, SyncStatus, SyncTrigger, coordinator, sync_run};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use territoires_tests::seed::bump;
use territoires_tests::spawn_app;

/// The response cache's hit count, read from `/metrics`.
pub(crate) fn hits(metrics: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with("territoires_response_cache_requests_total{result=\"hit\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn repeated_reads_are_answered_from_the_cache_until_the_data_changes() {
    let app = spawn_app().await;
    let query = "{ territory(number: 1) { coordinator { title } } }";
    let first = app.data(query).await;
    let before = hits(&app.get("/metrics").await.1);
    assert_eq!(app.data(query).await, first);
    assert!(
        hits(&app.get("/metrics").await.1) > before,
        "the second read is a hit"
    );

    // Another process changes the roster: the cached response must not survive it.
    let lara = coordinator::Entity::find()
        .filter(coordinator::Column::Email.eq("slara@hauts-de-seine.fr"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut changed: coordinator::ActiveModel = lara.into();
    changed.title = Set(Some("Coordonnatrice (intérim)".to_owned()));
    changed.update(&app.db).await.unwrap();
    bump(&app.db).await;
    assert_eq!(
        app.data(query).await["territory"]["coordinator"]["title"],
        "Coordonnatrice (intérim)"
    );
}

#[tokio::test]
async fn a_response_cached_for_one_role_is_not_served_to_another() {
    let app = spawn_app().await;
    let roustit = coordinator::Entity::find()
        .filter(coordinator::Column::Email.eq("proustit@hauts-de-seine.fr"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let id = territoires::graphql::ids::encode("Coordinator", roustit.id);
    let mut gone: coordinator::ActiveModel = roustit.into();
    gone.active = Set(false);
    gone.update(&app.db).await.unwrap();
    bump(&app.db).await;
    let query = "query($id: ID!) { node(id: $id) { ... on Coordinator { email } } }";
    let editor = app.token(Role::Editor).await;
    for _ in 0..2 {
        let seen = app.graphql_as(&editor, query, json!({ "id": id })).await;
        assert_eq!(seen["data"]["node"]["email"], "proustit@hauts-de-seine.fr");
    }
    let public = app.graphql_with(query, json!({ "id": id })).await;
    assert_eq!(public["data"]["node"], json!(null));
}

#[tokio::test]
async fn database_backed_answers_are_never_cached() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let query = "{ syncRuns { totalCount } }";
    assert_eq!(
        app.graphql_as(&admin, query, json!({})).await["data"]["syncRuns"]["totalCount"],
        0
    );
    // A dry run is recorded without changing the data version.
    sync_run::ActiveModel {
        trigger: Set(SyncTrigger::Cli),
        actor: Set("cli".to_owned()),
        dry_run: Set(true),
        forced: Set(false),
        status: Set(SyncStatus::Applied),
        started_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert_eq!(
        app.graphql_as(&admin, query, json!({})).await["data"]["syncRuns"]["totalCount"],
        1
    );
}
