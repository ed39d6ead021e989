//! Who may see what: the access table of DESIGN.md, field by field.

use chrono::{Duration, Utc};
use entity::{Role, api_token};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use territoires_tests::seed::{bump, seed_work};
use territoires_tests::{error_code, spawn_app};

/// The error code expected (`None`: success).
type Expected = Option<&'static str>;

/// (query, code without token, code with an EDITOR token, code with an ADMIN token).
const MATRIX: &[(&str, Expected, Expected, Expected)] = &[
    (
        "{ territories { number coordinator { email phone } } }",
        None,
        None,
        None,
    ),
    (
        "{ projects { totalCount } localBodies { totalCount } themes { code } }",
        None,
        None,
        None,
    ),
    (
        "{ partners { edges { node { name kind } } } }",
        None,
        None,
        None,
    ),
    (
        "{ partners { edges { node { contactEmail } } } }",
        Some("UNAUTHENTICATED"),
        None,
        None,
    ),
    (
        "{ partners { edges { node { expectations { text } } } } }",
        Some("UNAUTHENTICATED"),
        None,
        None,
    ),
    (
        "{ coordinators(includeInactive: true) { email } }",
        Some("UNAUTHENTICATED"),
        None,
        None,
    ),
    (
        "{ projects(filter: { includeArchived: true }) { totalCount } }",
        Some("UNAUTHENTICATED"),
        None,
        None,
    ),
    (
        "{ themes(includeArchived: true) { code } }",
        Some("UNAUTHENTICATED"),
        None,
        None,
    ),
    (
        "{ coordinators { employeeId } }",
        Some("UNAUTHENTICATED"),
        Some("FORBIDDEN"),
        None,
    ),
    (
        "{ syncRuns { totalCount } }",
        Some("UNAUTHENTICATED"),
        Some("FORBIDDEN"),
        None,
    ),
    (
        "{ apiTokens { name role } }",
        Some("UNAUTHENTICATED"),
        Some("FORBIDDEN"),
        None,
    ),
];

#[tokio::test]
async fn the_access_matrix_holds_for_every_role() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    for &(query, public, as_editor, as_admin) in MATRIX {
        for (token, expected) in [
            (None, public),
            (Some(editor.as_str()), as_editor),
            (Some(admin.as_str()), as_admin),
        ] {
            let (status, response) = app.post(token, query, json!({})).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(
                error_code(&response),
                expected,
                "{query} with {token:?}: {response}"
            );
            if expected.is_none() {
                assert!(response["data"].is_object(), "{query}: {response}");
            }
        }
    }
}

#[tokio::test]
async fn unknown_revoked_expired_or_malformed_tokens_refuse_even_public_reads() {
    let app = spawn_app().await;
    let query = "{ territory(number: 1) { name } }";
    let (status, response) = app
        .post(Some("terr_not-a-real-token"), query, json!({}))
        .await;
    assert_eq!(
        (status, error_code(&response)),
        (401, Some("UNAUTHENTICATED"))
    );

    let token = app.token(Role::Editor).await;
    assert_eq!(app.post(Some(&token), query, json!({})).await.0, 200);
    let name = territoires::access::list_tokens(&app.db).await.unwrap()[0]
        .name
        .clone();
    territoires::access::revoke_token(&app.db, &name)
        .await
        .unwrap();
    let (status, response) = app.post(Some(&token), query, json!({})).await;
    assert_eq!(
        (status, error_code(&response)),
        (401, Some("UNAUTHENTICATED"))
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );

    let expired = "terr_expired-token-for-the-test";
    api_token::ActiveModel {
        name: Set("expired".to_owned()),
        role: Set(Role::Admin),
        token_hash: Set(territoires::access::hash_token(expired)),
        created_at: Set(Utc::now() - Duration::days(10)),
        expires_at: Set(Some(Utc::now() - Duration::days(1))),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    bump(&app.db).await;
    let (status, response) = app.post(Some(expired), query, json!({})).await;
    assert_eq!(
        (status, error_code(&response)),
        (401, Some("UNAUTHENTICATED"))
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let malformed = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 401);
    assert_eq!(malformed.headers()["www-authenticate"], "Bearer");
    // The server keeps serving.
    assert_eq!(app.data(query).await["territory"]["name"], "Territoire 1");
}

#[tokio::test]
async fn inactive_coordinators_contacts_leave_public_view() {
    use entity::coordinator;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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
    gone.deactivated_at = Set(Some(Utc::now()));
    gone.update(&app.db).await.unwrap();
    bump(&app.db).await;

    let data = app.data("{ coordinators { lastName } territory(number: 7) { coordinator { email } coordinators { email } } }").await;
    assert_eq!(data["coordinators"].as_array().unwrap().len(), 6);
    assert_eq!(
        data["territory"]["coordinator"],
        json!(null),
        "the post is vacant"
    );
    let node = app
        .graphql_with(
            "query($id: ID!) { coordinator(id: $id) { email } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["data"]["coordinator"], json!(null));

    let editor = app.token(Role::Editor).await;
    let seen = app
        .graphql_as(
            &editor,
            "{ coordinators(includeInactive: true) { lastName active email } }",
            json!({}),
        )
        .await;
    let roustit = seen["data"]["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["lastName"] == "ROUSTIT")
        .unwrap()
        .clone();
    assert_eq!(
        roustit,
        json!({ "lastName": "ROUSTIT", "active": false, "email": "proustit@hauts-de-seine.fr" })
    );
}
