//! The audit log: every write, who, when, what, before and after.

use entity::Role;
use serde_json::json;
use territoires_tests::{error_code, spawn_app};

#[tokio::test]
async fn every_write_is_logged_with_its_author_and_changed_fields() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let editor_name = territoires::access::list_tokens(&app.db).await.unwrap()[0]
        .name
        .clone();
    let created = app
        .graphql_as(&editor, r#"mutation { createProject(input: {title: "Audité", territories: [4], axes: [WELLBEING]}) { project { id } } }"#, json!({}))
        .await;
    let id = created["data"]["createProject"]["project"]["id"].clone();
    app.graphql_as(&editor, "mutation($id: ID!) { updateProject(id: $id, expectedVersion: 1, input: {title: \"Audité 2\", axes: [WELLBEING, CITIZENSHIP]}) { project { id } } }", json!({ "id": id }))
        .await;
    app.graphql_as(
        &editor,
        "mutation($id: ID!) { archiveProject(id: $id) { project { id } } }",
        json!({ "id": id }),
    )
    .await;

    let log = app
        .graphql_as(&admin, "query($id: ID!) { auditLog(entityId: $id) { totalCount edges { node { actor entity entityId action at changes { field before after } } } } }", json!({ "id": id }))
        .await;
    assert!(log.get("errors").is_none(), "{log}");
    let entries = log["data"]["auditLog"]["edges"].as_array().unwrap();
    assert_eq!(log["data"]["auditLog"]["totalCount"], 3);
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["ARCHIVE", "UPDATE", "CREATE"]);
    assert!(
        entries
            .iter()
            .all(|e| e["node"]["actor"] == editor_name.as_str() && e["node"]["entityId"] == id)
    );
    let update = &entries[1]["node"]["changes"];
    assert_eq!(
        update,
        &json!([
            { "field": "axes", "before": ["WELLBEING"], "after": ["WELLBEING", "CITIZENSHIP"] },
            { "field": "title", "before": "Audité", "after": "Audité 2" },
        ])
    );
    let creation = &entries[2]["node"]["changes"];
    assert!(
        creation
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "title" && c["before"] == json!(null) && c["after"] == "Audité")
    );

    let projects_only = app.graphql_as(&admin, "{ auditLog(entity: \"Project\", first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { action } } } }", json!({})).await;
    let page = &projects_only["data"]["auditLog"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = app
        .graphql_as(&admin, "query($after: String) { auditLog(entity: \"Project\", first: 5, after: $after) { edges { node { action } } } }", json!({ "after": page["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(
        next["data"]["auditLog"]["edges"].as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(&app.graphql("{ auditLog { totalCount } }").await),
        Some("UNAUTHENTICATED")
    );
    let editor = app.token(Role::Editor).await;
    assert_eq!(
        error_code(
            &app.graphql_as(&editor, "{ auditLog { totalCount } }", json!({}))
                .await
        ),
        Some("FORBIDDEN")
    );
    let admin = app.token(Role::Admin).await;
    let bad_cursor = app
        .graphql_as(
            &admin,
            "{ auditLog(after: \"nope\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad_cursor), Some("BAD_USER_INPUT"));
}

/// The entries about `id`, newest first, as `(action, [(field, before, after)])`, each
/// written by `actor`.
async fn entries_of(
    app: &territoires_tests::TestApp,
    admin: &str,
    actor: &str,
    id: &serde_json::Value,
) -> Vec<(String, serde_json::Value)> {
    let log = app
        .graphql_as(admin, "query($id: ID!) { auditLog(entityId: $id) { edges { node { actor entityId action changes { field before after } } } } }", json!({ "id": id }))
        .await;
    assert!(log.get("errors").is_none(), "{log}");
    log["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            assert_eq!(node["actor"], actor, "{node}");
            assert_eq!(&node["entityId"], id, "{node}");
            (
                node["action"].as_str().unwrap().to_owned(),
                node["changes"].clone(),
            )
        })
        .collect()
}

/// The change of `field` among `changes`, as `[before, after]`.
fn change(changes: &serde_json::Value, field: &str) -> serde_json::Value {
    changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
        .map(|c| json!([c["before"], c["after"]]))
        .unwrap_or_else(|| panic!("no change of {field} in {changes}"))
}

/// The name of the newest token.
async fn newest_token_name(app: &territoires_tests::TestApp) -> String {
    let mut tokens = territoires::access::list_tokens(&app.db).await.unwrap();
    tokens.sort_by_key(|t| t.created_at);
    tokens.last().unwrap().name.clone()
}

#[tokio::test]
async fn local_body_partner_expectation_college_and_theme_changes_are_logged() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let editor_name = newest_token_name(&app).await;
    let admin = app.token(Role::Admin).await;
    let admin_name = newest_token_name(&app).await;

    // Local body: created, renamed, given a representative, archived.
    let lara = app
        .data("{ territory(number: 1) { coordinator { id } } }")
        .await["territory"]["coordinator"]["id"]
        .clone();
    let body = app
        .graphql_as(&editor, r#"mutation { createLocalBody(input: {kind: CLSPD, name: "CLSPD", territory: 1}) { localBody { id } } }"#, json!({}))
        .await["data"]["createLocalBody"]["localBody"]["id"]
        .clone();
    app.graphql_as(&editor, "mutation($id: ID!) { updateLocalBody(id: $id, expectedVersion: 1, input: {name: \"CLSPD de Colombes\"}) { localBody { id } } }", json!({ "id": body }))
        .await;
    app.graphql_as(&editor, "mutation($id: ID!, $r: [ID!]!) { setLocalBodyRepresentatives(id: $id, expectedVersion: 2, representatives: $r) { localBody { id } } }", json!({ "id": body, "r": [lara] }))
        .await;
    app.graphql_as(
        &editor,
        "mutation($id: ID!) { archiveLocalBody(id: $id) { localBody { id } } }",
        json!({ "id": body }),
    )
    .await;
    let entries = entries_of(&app, &admin, &editor_name, &body).await;
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["ARCHIVE", "UPDATE", "UPDATE", "CREATE"]);
    assert_eq!(change(&entries[0].1, "archived"), json!([false, true]));
    let representatives = change(&entries[1].1, "representatives");
    assert_eq!(representatives[0], json!([]));
    assert_eq!(representatives[1].as_array().map(Vec::len), Some(1));
    assert_eq!(
        entries[2].1.as_array().map(Vec::len),
        Some(1),
        "only the name"
    );
    assert_eq!(
        change(&entries[2].1, "name"),
        json!(["CLSPD", "CLSPD de Colombes"])
    );
    assert_eq!(change(&entries[3].1, "kind"), json!([null, "CLSPD"]));

    // Partner: created, its contact changed; an expectation recorded then archived.
    let partner = app
        .graphql_as(&editor, r#"mutation { createPartner(input: {name: "Association", kind: ASSOCIATION, territory: 2}) { partner { id } } }"#, json!({}))
        .await["data"]["createPartner"]["partner"]["id"]
        .clone();
    app.graphql_as(&editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {contactEmail: \"Contact@Asso.FR\"}) { partner { id } } }", json!({ "id": partner }))
        .await;
    let recorded = app
        .graphql_as(&editor, "mutation($id: ID!) { recordPartnerExpectation(partnerId: $id, text: \"Un relais au collège\", recordedOn: \"2026-11-02\") { partner { expectations { id } } } }", json!({ "id": partner }))
        .await;
    let expectation =
        recorded["data"]["recordPartnerExpectation"]["partner"]["expectations"][0]["id"].clone();
    app.graphql_as(
        &editor,
        "mutation($id: ID!) { archivePartnerExpectation(id: $id) { partner { id } } }",
        json!({ "id": expectation }),
    )
    .await;
    let entries = entries_of(&app, &admin, &editor_name, &partner).await;
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["ARCHIVE", "UPDATE", "UPDATE", "CREATE"]);
    let archived = change(&entries[0].1, "expectations");
    assert_eq!(archived[0]["archived"], false);
    assert_eq!(archived[1]["archived"], true);
    assert_eq!(archived[1]["text"], "Un relais au collège");
    let recorded = change(&entries[1].1, "expectations");
    assert_eq!(recorded[0], json!(null));
    assert_eq!(recorded[1]["text"], "Un relais au collège");
    assert_eq!(recorded[1]["recordedOn"], "2026-11-02");
    assert_eq!(
        change(&entries[2].1, "contact_email"),
        json!([null, "contact@asso.fr"])
    );

    // Collège (ADMIN): renamed.
    let college = app
        .data("{ colleges(commune: \"Antony\") { id name version } }")
        .await["colleges"][0]
        .clone();
    let id = college["id"].clone();
    app.graphql_as(&admin, "mutation($id: ID!, $v: Int!) { updateCollege(id: $id, expectedVersion: $v, input: {name: \"Collège audité\"}) { college { id } } }", json!({ "id": id, "v": college["version"] }))
        .await;
    let entries = entries_of(&app, &admin, &admin_name, &id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].0, "UPDATE");
    assert_eq!(
        entries[0].1,
        json!([{ "field": "name", "before": college["name"], "after": "Collège audité" }])
    );

    // Theme (ADMIN): added, relabelled.
    let theme = app
        .graphql_as(
            &admin,
            r#"mutation { addTheme(input: {code: "AUDIT", label: "Audit"}) { theme { id } } }"#,
            json!({}),
        )
        .await["data"]["addTheme"]["theme"]["id"]
        .clone();
    app.graphql_as(&admin, "mutation($id: ID!) { relabelTheme(id: $id, expectedVersion: 1, label: \"Audité\") { theme { id } } }", json!({ "id": theme }))
        .await;
    let entries = entries_of(&app, &admin, &admin_name, &theme).await;
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["UPDATE", "CREATE"]);
    assert_eq!(
        entries[0].1,
        json!([{ "field": "label", "before": "Audit", "after": "Audité" }])
    );
    assert_eq!(change(&entries[1].1, "code"), json!([null, "AUDIT"]));
}

#[tokio::test]
async fn the_entity_filter_takes_stored_names_and_unknown_stored_kinds_still_read() {
    use entity::{AuditAction, audit_log};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let browser = super::console::Browser::new().await;
    let cookie = browser.sign_in().await;
    let app = &browser.app;
    let admin = app.token(Role::Admin).await;

    // A console kind filters like any other; the GraphQL enum has never listed it.
    let sessions = app
        .graphql_as(&admin, "{ auditLog(entity: \"ConsoleSession\") { totalCount edges { node { entity entityKind action } } } }", json!({}))
        .await;
    assert!(sessions.get("errors").is_none(), "{sessions}");
    assert_eq!(sessions["data"]["auditLog"]["totalCount"], 1, "{sessions}");
    assert_eq!(
        sessions["data"]["auditLog"]["edges"][0]["node"],
        json!({ "entity": "ConsoleSession", "entityKind": null, "action": "CREATE" })
    );

    // A name the log does not record is refused, not silently matched by nothing.
    for name in ["project", "Projet", "PartnerExpectation", ""] {
        let refused = app
            .graphql_as(
                &admin,
                "query($e: String) { auditLog(entity: $e) { totalCount } }",
                json!({ "e": name }),
            )
            .await;
        assert_eq!(
            error_code(&refused),
            Some("BAD_USER_INPUT"),
            "{name:?}: {refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["path"],
            json!(["entity"]),
            "{refused}"
        );
    }

    // A row of a kind this version does not know (written by a newer one) still reads:
    // as stored, with a null entityKind, and under its stored name in the journal.
    audit_log::ActiveModel {
        at: Set(chrono::Utc::now()),
        actor: Set("version-future".to_owned()),
        entity: Set("FutureKind".to_owned()),
        entity_id: Set(7),
        action: Set(AuditAction::Create),
        changes: Set("[]".to_owned()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let log = app
        .graphql_as(
            &admin,
            "{ auditLog(first: 100) { edges { node { entity entityKind } } } }",
            json!({}),
        )
        .await;
    assert!(log.get("errors").is_none(), "{log}");
    assert_eq!(
        log["data"]["auditLog"]["edges"][0]["node"],
        json!({ "entity": "FutureKind", "entityKind": null })
    );
    let journal = browser.get("/admin/journal", Some(&cookie)).await;
    assert_eq!(journal.status, 200);
    assert!(journal.body.contains("FutureKind n° 7"), "{}", journal.body);
    assert!(
        journal.body.contains("Session de la console n° "),
        "{}",
        journal.body
    );
    let filtered = browser
        .get("/admin/journal?objet=FutureKind", Some(&cookie))
        .await;
    assert_eq!(
        filtered.body.matches("<tr>").count(),
        2,
        "header and the entry"
    );
}
