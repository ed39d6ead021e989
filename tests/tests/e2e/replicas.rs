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
