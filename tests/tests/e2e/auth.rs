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

/// The names of every mutation of the schema, in schema order, read from the SDL the
/// server publishes with the GraphQL parser.
pub(crate) fn mutation_names() -> Vec<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let sdl = territoires::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) if ty.node.name.node == "Mutation" => {
                match &ty.node.kind {
                    TypeKind::Object(object) => Some(object.fields.iter()),
                    _ => None,
                }
            }
            _ => None,
        })
        .flatten()
        .map(|field| field.node.name.node.to_string())
        .collect()
}

/// The role a mutation needs, and an operation calling it (well-typed, with arguments
/// that need not name anything real: the role is checked first).
const MUTATIONS: &[(&str, Role, &str)] = &[
    (
        "createProject",
        Role::Editor,
        r#"mutation { createProject(input: {title: "x", territories: [1]}) { __typename } }"#,
    ),
    (
        "updateProject",
        Role::Editor,
        r#"mutation { updateProject(id: "x", expectedVersion: 1, input: {}) { __typename } }"#,
    ),
    (
        "archiveProject",
        Role::Editor,
        r#"mutation { archiveProject(id: "x") { __typename } }"#,
    ),
    (
        "restoreProject",
        Role::Editor,
        r#"mutation { restoreProject(id: "x") { __typename } }"#,
    ),
    (
        "createLocalBody",
        Role::Editor,
        r#"mutation { createLocalBody(input: {kind: OTHER, name: "x", territory: 1}) { __typename } }"#,
    ),
    (
        "updateLocalBody",
        Role::Editor,
        r#"mutation { updateLocalBody(id: "x", expectedVersion: 1, input: {}) { __typename } }"#,
    ),
    (
        "setLocalBodyRepresentatives",
        Role::Editor,
        r#"mutation { setLocalBodyRepresentatives(id: "x", expectedVersion: 1, representatives: []) { __typename } }"#,
    ),
    (
        "archiveLocalBody",
        Role::Editor,
        r#"mutation { archiveLocalBody(id: "x") { __typename } }"#,
    ),
    (
        "restoreLocalBody",
        Role::Editor,
        r#"mutation { restoreLocalBody(id: "x") { __typename } }"#,
    ),
    (
        "createPartner",
        Role::Editor,
        r#"mutation { createPartner(input: {name: "x", kind: OTHER, territory: 1}) { __typename } }"#,
    ),
    (
        "updatePartner",
        Role::Editor,
        r#"mutation { updatePartner(id: "x", expectedVersion: 1, input: {}) { __typename } }"#,
    ),
    (
        "archivePartner",
        Role::Editor,
        r#"mutation { archivePartner(id: "x") { __typename } }"#,
    ),
    (
        "restorePartner",
        Role::Editor,
        r#"mutation { restorePartner(id: "x") { __typename } }"#,
    ),
    (
        "recordPartnerExpectation",
        Role::Editor,
        r#"mutation { recordPartnerExpectation(partnerId: "x", text: "x") { __typename } }"#,
    ),
    (
        "archivePartnerExpectation",
        Role::Editor,
        r#"mutation { archivePartnerExpectation(id: "x") { __typename } }"#,
    ),
    (
        "restorePartnerExpectation",
        Role::Editor,
        r#"mutation { restorePartnerExpectation(id: "x") { __typename } }"#,
    ),
    (
        "createCollege",
        Role::Admin,
        r#"mutation { createCollege(input: {uai: "0929990J", name: "x", commune: "Antony"}) { __typename } }"#,
    ),
    (
        "updateCollege",
        Role::Admin,
        r#"mutation { updateCollege(id: "x", expectedVersion: 1, input: {}) { __typename } }"#,
    ),
    (
        "archiveCollege",
        Role::Admin,
        r#"mutation { archiveCollege(id: "x") { __typename } }"#,
    ),
    (
        "restoreCollege",
        Role::Admin,
        r#"mutation { restoreCollege(id: "x") { __typename } }"#,
    ),
    (
        "addTheme",
        Role::Admin,
        r#"mutation { addTheme(input: {code: "X", label: "x"}) { __typename } }"#,
    ),
    (
        "relabelTheme",
        Role::Admin,
        r#"mutation { relabelTheme(id: "x", expectedVersion: 1, label: "x") { __typename } }"#,
    ),
    (
        "archiveTheme",
        Role::Admin,
        r#"mutation { archiveTheme(id: "x") { __typename } }"#,
    ),
    (
        "restoreTheme",
        Role::Admin,
        r#"mutation { restoreTheme(id: "x") { __typename } }"#,
    ),
    (
        "runRosterSync",
        Role::Admin,
        r#"mutation { runRosterSync(dryRun: true) { __typename } }"#,
    ),
    (
        "importRoster",
        Role::Admin,
        r#"mutation($file: Upload!) { importRoster(file: $file, dryRun: true) { __typename } }"#,
    ),
];

/// Sends `operation`, as a GraphQL multipart request carrying a small file when it takes
/// an upload; returns the HTTP status and the JSON answer.
async fn send(
    app: &territoires_tests::TestApp,
    token: Option<&str>,
    operation: &str,
) -> (u16, serde_json::Value) {
    if !operation.contains("Upload!") {
        return app.post(token, operation, json!({})).await;
    }
    app.upload(
        token,
        operation,
        json!({}),
        "roster.csv",
        b"Nom;Prenom\n".to_vec(),
    )
    .await
}

#[tokio::test]
async fn every_mutation_needs_a_valid_token_of_its_role() {
    let names: Vec<&str> = MUTATIONS.iter().map(|&(name, _, _)| name).collect();
    assert_eq!(
        mutation_names(),
        names,
        "every mutation of the schema has a row here, in schema order"
    );
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    for &(name, role, operation) in MUTATIONS {
        assert!(operation.contains(name), "{name}: {operation}");
        // An upload is refused by its headers, before its body is read: by HTTP status.
        let upload = operation.contains("Upload!");
        let (status, anonymous) = send(&app, None, operation).await;
        assert_eq!(
            (status, error_code(&anonymous)),
            (if upload { 401 } else { 200 }, Some("UNAUTHENTICATED")),
            "{name} without a token: {anonymous}"
        );
        assert_eq!(anonymous["data"], json!(null), "{name}: {anonymous}");
        let (status, unknown) = send(&app, Some("terr_unknown-token"), operation).await;
        assert_eq!(
            (status, error_code(&unknown)),
            (401, Some("UNAUTHENTICATED")),
            "{name} with an unknown token: {unknown}"
        );
        if role == Role::Admin {
            let (status, forbidden) = send(&app, Some(&editor), operation).await;
            assert_eq!(
                (status, error_code(&forbidden)),
                (if upload { 403 } else { 200 }, Some("FORBIDDEN")),
                "{name} with an EDITOR token: {forbidden}"
            );
        }
    }
    // Refused, they wrote nothing.
    let log = app
        .graphql_as(&admin, "{ auditLog { totalCount } syncRuns { totalCount } projects(filter: {includeArchived: true}) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        log["data"],
        json!({ "auditLog": { "totalCount": 0 }, "syncRuns": { "totalCount": 0 }, "projects": { "totalCount": 0 } }),
        "{log}"
    );
    // The roles that may, pass the role check (what they name need not exist).
    for &(name, role, operation) in MUTATIONS {
        let tokens: &[&str] = match role {
            Role::Editor => &[&editor, &admin],
            Role::Admin => &[&admin],
        };
        for token in tokens {
            let (_, allowed) = send(&app, Some(token), operation).await;
            let code = error_code(&allowed);
            assert!(
                !matches!(code, Some("UNAUTHENTICATED" | "FORBIDDEN")),
                "{name} with a {role:?} token: {allowed}"
            );
        }
    }
}
