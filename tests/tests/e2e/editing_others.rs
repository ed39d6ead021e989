//! Editing local bodies (and their representatives), partners (and their expectations),
//! collèges and themes.

use entity::Role;
use serde_json::json;
use territoires_tests::{error_code, join_all, spawn_app};

#[tokio::test]
async fn local_bodies_are_created_placed_represented_and_archived() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let lara = app
        .data("{ territory(number: 1) { coordinator { id } } }")
        .await["territory"]["coordinator"]["id"]
        .clone();
    let created = app
        .graphql_as(
            &editor,
            "mutation($r: [ID!]!) { createLocalBody(input: {kind: CLSPD, name: \"CLSPD de Gennevilliers\", commune: \"Gennevilliers\", representatives: $r}) { localBody { id kind version territory { number } commune { name } representatives { lastName } } } }",
            json!({ "r": [lara] }),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let body = &created["data"]["createLocalBody"]["localBody"];
    assert_eq!(
        body["territory"]["number"], 1,
        "the territory of its commune"
    );
    assert_eq!(body["representatives"], json!([{ "lastName": "LARA" }]));
    let id = body["id"].clone();

    let misplaced = app
        .graphql_as(&editor, r#"mutation { createLocalBody(input: {kind: CESC, name: "x", territory: 2, commune: "Gennevilliers"}) { localBody { id } } }"#, json!({}))
        .await;
    assert_eq!(
        misplaced["errors"][0]["extensions"]["path"],
        json!(["input", "commune"])
    );
    let nowhere = app
        .graphql_as(
            &editor,
            r#"mutation { createLocalBody(input: {kind: OTHER, name: "x"}) { localBody { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        nowhere["errors"][0]["extensions"]["path"],
        json!(["input", "territory"])
    );

    let reps = app
        .graphql_as(&editor, "mutation($id: ID!) { setLocalBodyRepresentatives(id: $id, expectedVersion: 1, representatives: []) { localBody { representatives { lastName } version } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        reps["data"]["setLocalBodyRepresentatives"]["localBody"],
        json!({ "representatives": [], "version": 2 })
    );
    let renamed = app
        .graphql_as(&editor, "mutation($id: ID!) { updateLocalBody(id: $id, expectedVersion: 2, input: {name: \"CLSPD Gennevilliers\", description: \"Réunion trimestrielle\"}) { localBody { name description version } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        renamed["data"]["updateLocalBody"]["localBody"],
        json!({ "name": "CLSPD Gennevilliers", "description": "Réunion trimestrielle", "version": 3 })
    );
    conflict(&app, &editor, "mutation($id: ID!) { updateLocalBody(id: $id, expectedVersion: 2, input: {name: \"x\"}) { localBody { name } } }", json!({ "id": id })).await;
    app.graphql_as(
        &editor,
        "mutation($id: ID!) { archiveLocalBody(id: $id) { localBody { archived } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        app.data("{ localBodies { totalCount } }").await["localBodies"]["totalCount"],
        0
    );
}

#[tokio::test]
async fn partners_keep_normalised_contacts_and_recorded_expectations() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let created = app
        .graphql_as(
            &editor,
            r#"mutation { createPartner(input: {name: "Club de prévention", kind: SPECIALISED_PREVENTION, commune: "Bagneux", contactName: "Mme Martin", contactEmail: " Martin@Club.FR ", contactPhone: "01.46.12.34.56"}) { partner { id version territory { number } contactEmail contactPhone } } }"#,
            json!({}),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let partner = &created["data"]["createPartner"]["partner"];
    assert_eq!(partner["territory"]["number"], 7);
    assert_eq!(partner["contactEmail"], "martin@club.fr");
    assert_eq!(partner["contactPhone"], "01 46 12 34 56");
    let id = partner["id"].clone();

    let bad = app
        .graphql_as(&editor, r#"mutation { createPartner(input: {name: "x", kind: OTHER, territory: 1, contactEmail: "not-an-email"}) { partner { id } } }"#, json!({}))
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["path"],
        json!(["input", "contactEmail"])
    );
    let nowhere = app
        .graphql_as(
            &editor,
            r#"mutation { createPartner(input: {name: "x", kind: OTHER}) { partner { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        nowhere["errors"][0]["extensions"]["path"],
        json!(["input", "territory"])
    );

    let recorded = app
        .graphql_as(&editor, "mutation($id: ID!) { recordPartnerExpectation(partnerId: $id, text: \"Des interventions sur le harcèlement\", recordedOn: \"2026-11-20\") { partner { version expectations { id text recordedOn } } } }", json!({ "id": id }))
        .await;
    let partner = &recorded["data"]["recordPartnerExpectation"]["partner"];
    assert_eq!(
        partner["version"], 1,
        "recording does not bump the partner's version"
    );
    assert_eq!(
        partner["expectations"][0]["text"],
        "Des interventions sur le harcèlement"
    );
    let expectation = partner["expectations"][0]["id"].clone();
    let empty = app.graphql_as(&editor, "mutation($id: ID!) { recordPartnerExpectation(partnerId: $id, text: \"  \") { partner { id } } }", json!({ "id": id })).await;
    assert_eq!(error_code(&empty), Some("BAD_USER_INPUT"));
    let archived = app
        .graphql_as(&editor, "mutation($id: ID!) { archivePartnerExpectation(id: $id, expectedVersion: 1) { partner { version expectations { id } all: expectations(includeArchived: true) { id text archived archivedAt version } } } }", json!({ "id": expectation }))
        .await;
    assert!(archived.get("errors").is_none(), "{archived}");
    let partner = &archived["data"]["archivePartnerExpectation"]["partner"];
    assert_eq!(partner["expectations"], json!([]), "archived: not listed");
    assert_eq!(partner["version"], 1, "the partner's version is unchanged");
    let kept = &partner["all"][0];
    assert_eq!(kept["id"], expectation, "nothing is hard-deleted");
    assert_eq!(kept["text"], "Des interventions sur le harcèlement");
    assert_eq!(kept["archived"], true);
    assert!(kept["archivedAt"].is_string());
    assert_eq!(kept["version"], 2);
    conflict(&app, &editor, "mutation($id: ID!) { restorePartnerExpectation(id: $id, expectedVersion: 1) { partner { id } } }", json!({ "id": expectation })).await;
    let restored = app
        .graphql_as(&editor, "mutation($id: ID!) { restorePartnerExpectation(id: $id, expectedVersion: 2) { partner { expectations { id archived version } } } }", json!({ "id": expectation }))
        .await;
    assert_eq!(
        restored["data"]["restorePartnerExpectation"]["partner"]["expectations"],
        json!([{ "id": expectation, "archived": false, "version": 3 }])
    );
    let public = app
        .graphql_with("query($id: ID!) { node(id: $id) { ... on Partner { expectations(includeArchived: true) { id } } } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&public), Some("UNAUTHENTICATED"));

    let cleared = app
        .graphql_as(&editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {contactPhone: null, kind: ASSOCIATION}) { partner { contactPhone kind version } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        cleared["data"]["updatePartner"]["partner"],
        json!({ "contactPhone": null, "kind": "ASSOCIATION", "version": 2 })
    );
}

#[tokio::test]
async fn admins_edit_colleges_with_valid_uais_and_themes() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let created = app
        .graphql_as(&admin, r#"mutation { createCollege(input: {uai: "0929990j", name: "Collège Nouveau", commune: "Antony"}) { college { id uai version territory { number } } } }"#, json!({}))
        .await;
    let college = &created["data"]["createCollege"]["college"];
    assert!(created.get("errors").is_none(), "{created}");
    assert_eq!(college["uai"], "0929990J");
    assert_eq!(college["territory"]["number"], 7);
    for (uai, why) in [
        ("0921234A", "wrong key"),
        ("921234K", "too short"),
        ("0920068Z", "taken"),
    ] {
        let response = app
            .graphql_as(&admin, "mutation($u: String!) { createCollege(input: {uai: $u, name: \"x\", commune: \"Antony\"}) { college { id } } }", json!({ "u": uai }))
            .await;
        assert_eq!(
            response["errors"][0]["extensions"]["path"],
            json!(["input", "uai"]),
            "{why}"
        );
    }
    let id = college["id"].clone();
    let archived = app
        .graphql_as(&admin, "mutation($id: ID!) { archiveCollege(id: $id, expectedVersion: 1) { college { archived } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        archived["data"]["archiveCollege"]["college"]["archived"],
        true
    );
    assert_eq!(
        app.data("{ colleges(commune: \"Antony\") { uai } }").await["colleges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["uai"] == "0929990J")
            .count(),
        0
    );

    let theme = app
        .graphql_as(&admin, r#"mutation { addTheme(input: {code: "school_dropout", label: "Décrochage scolaire"}) { theme { id code label version } } }"#, json!({}))
        .await;
    let added = &theme["data"]["addTheme"]["theme"];
    assert_eq!(added["code"], "SCHOOL_DROPOUT");
    let duplicate = app.graphql_as(&admin, r#"mutation { addTheme(input: {code: "SCHOOL_DROPOUT", label: "x"}) { theme { id } } }"#, json!({})).await;
    assert_eq!(error_code(&duplicate), Some("BAD_USER_INPUT"));
    let relabelled = app
        .graphql_as(&admin, "mutation($id: ID!) { relabelTheme(id: $id, expectedVersion: 1, label: \"Décrochage\") { theme { label version } } }", json!({ "id": added["id"] }))
        .await;
    assert_eq!(
        relabelled["data"]["relabelTheme"]["theme"],
        json!({ "label": "Décrochage", "version": 2 })
    );
    app.graphql_as(
        &admin,
        "mutation($id: ID!) { archiveTheme(id: $id) { theme { archived } } }",
        json!({ "id": added["id"] }),
    )
    .await;
    let themes = app.data("{ themes { code } }").await;
    assert_eq!(themes["themes"].as_array().unwrap().len(), 9);
}

/// `query` with `variables` as `token`, asserting it succeeded; its `data`.
async fn ok(
    app: &territoires_tests::TestApp,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let response = app.graphql_as(token, query, variables).await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"].clone()
}

/// `query` with `variables` as `token`, asserting it was refused with `CONFLICT` (a
/// stale `expectedVersion`).
async fn conflict(
    app: &territoires_tests::TestApp,
    token: &str,
    query: &str,
    variables: serde_json::Value,
) {
    let response = app.graphql_as(token, query, variables).await;
    assert_eq!(
        error_code(&response),
        Some("CONFLICT"),
        "{query}: {response}"
    );
}

#[tokio::test]
async fn colleges_are_updated_with_a_valid_uai_at_the_version_read() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let before = app
        .data("{ colleges(commune: \"Antony\") { id uai name version } }")
        .await["colleges"][0]
        .clone();
    let id = before["id"].clone();
    let version = before["version"].as_i64().unwrap_or_default();

    let updated = ok(&app, &admin, "mutation($id: ID!, $v: Int!) { updateCollege(id: $id, expectedVersion: $v, input: {name: \"  Collège Renommé \"}) { college { id uai name version } } }", json!({ "id": id, "v": version })).await;
    assert_eq!(
        updated["updateCollege"]["college"],
        json!({ "id": id, "uai": before["uai"], "name": "Collège Renommé", "version": version + 1 })
    );

    for (uai, why) in [
        ("0921234A", "wrong check letter"),
        ("921234K", "too short"),
        ("", "empty"),
    ] {
        let refused = app
            .graphql_as(&admin, "mutation($id: ID!, $v: Int!, $u: String!) { updateCollege(id: $id, expectedVersion: $v, input: {uai: $u, name: \"Jamais écrit\"}) { college { id } } }", json!({ "id": id, "v": version + 1, "u": uai }))
            .await;
        assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{why}");
        assert_eq!(
            refused["errors"][0]["extensions"]["path"],
            json!(["input", "uai"]),
            "{why}"
        );
    }
    conflict(&app, &admin, "mutation($id: ID!, $v: Int!) { updateCollege(id: $id, expectedVersion: $v, input: {name: \"Écrasé\"}) { college { id } } }", json!({ "id": id, "v": version })).await;

    let after = ok(
        &app,
        &admin,
        "query($id: ID!) { node(id: $id) { ... on College { uai name version } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        after["node"],
        json!({ "uai": before["uai"], "name": "Collège Renommé", "version": version + 1 }),
        "refused and stale updates wrote nothing"
    );
}

#[tokio::test]
async fn partners_are_archived_restored_and_never_overwritten() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let created = ok(&app, &editor, r#"mutation { createPartner(input: {name: "Club de prévention", kind: SPECIALISED_PREVENTION, commune: "Bagneux"}) { partner { id version } } }"#, json!({})).await;
    let id = created["createPartner"]["partner"]["id"].clone();
    let audit = "query($id: ID!) { auditLog(entityId: $id) { totalCount } }";
    let entries = |data: serde_json::Value| data["auditLog"]["totalCount"].as_i64();
    let logged = entries(ok(&app, &admin, audit, json!({ "id": id })).await);

    // A refused input writes nothing: no field, no version, no audit entry.
    let refused = app
        .graphql_as(&editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {name: \"Jamais écrit\", contactEmail: \"pas-une-adresse\"}) { partner { id } } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"));
    assert_eq!(
        refused["errors"][0]["extensions"]["path"],
        json!(["input", "contactEmail"])
    );
    let unplaced = app
        .graphql_as(&editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {name: \"Jamais écrit\", commune: \"Atlantis\"}) { partner { id } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        unplaced["errors"][0]["extensions"]["path"],
        json!(["input", "commune"])
    );
    let read = "query($id: ID!) { node(id: $id) { ... on Partner { name version archived } } }";
    assert_eq!(
        ok(&app, &editor, read, json!({ "id": id })).await["node"],
        json!({ "name": "Club de prévention", "version": 1, "archived": false })
    );
    assert_eq!(
        entries(ok(&app, &admin, audit, json!({ "id": id })).await),
        logged
    );

    // A stale version is a conflict, never a silent overwrite.
    ok(&app, &editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {name: \"Club de prévention spécialisée\"}) { partner { id } } }", json!({ "id": id })).await;
    conflict(&app, &editor, "mutation($id: ID!) { updatePartner(id: $id, expectedVersion: 1, input: {name: \"Écrasé\"}) { partner { id } } }", json!({ "id": id })).await;
    conflict(
        &app,
        &editor,
        "mutation($id: ID!) { archivePartner(id: $id, expectedVersion: 1) { partner { id } } }",
        json!({ "id": id }),
    )
    .await;

    let archived = ok(&app, &editor, "mutation($id: ID!) { archivePartner(id: $id, expectedVersion: 2) { partner { archived archivedAt version } } }", json!({ "id": id })).await;
    let partner = &archived["archivePartner"]["partner"];
    assert_eq!(partner["archived"], true);
    assert!(partner["archivedAt"].is_string());
    assert_eq!(partner["version"], 3);
    let listed = "{ partners(filter: {commune: \"Bagneux\"}) { totalCount } }";
    assert_eq!(app.data(listed).await["partners"]["totalCount"], 0);
    let public = app
        .graphql_with(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(public["data"]["node"], json!(null), "archived: not public");
    // Archived, it stays readable to tokens, with its history.
    assert_eq!(
        ok(&app, &editor, read, json!({ "id": id })).await["node"],
        json!({ "name": "Club de prévention spécialisée", "version": 3, "archived": true })
    );
    let with_archived = ok(&app, &editor, "{ partners(filter: {commune: \"Bagneux\", includeArchived: true}) { edges { node { id archived } } } }", json!({})).await;
    assert_eq!(
        with_archived["partners"]["edges"],
        json!([{ "node": { "id": id, "archived": true } }])
    );

    conflict(
        &app,
        &editor,
        "mutation($id: ID!) { restorePartner(id: $id, expectedVersion: 2) { partner { id } } }",
        json!({ "id": id }),
    )
    .await;
    let restored = ok(&app, &editor, "mutation($id: ID!) { restorePartner(id: $id, expectedVersion: 3) { partner { archived archivedAt version } } }", json!({ "id": id })).await;
    assert_eq!(
        restored["restorePartner"]["partner"],
        json!({ "archived": false, "archivedAt": null, "version": 4 })
    );
    assert_eq!(app.data(listed).await["partners"]["totalCount"], 1);
}

#[tokio::test]
async fn local_bodies_refuse_stale_versions_and_unknown_representatives() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let lara = app
        .data("{ territory(number: 1) { coordinator { id } } }")
        .await["territory"]["coordinator"]["id"]
        .clone();
    let created = ok(&app, &editor, r#"mutation { createLocalBody(input: {kind: CESC, name: "CESC de Colombes", commune: "Colombes"}) { localBody { id version } } }"#, json!({})).await;
    let id = created["createLocalBody"]["localBody"]["id"].clone();
    let unknown = territoires::graphql::ids::encode("Coordinator", 999_999);
    let not_a_coordinator = territoires::graphql::ids::encode("Partner", 1);
    for (representatives, index) in [
        (json!([lara, unknown]), "1"),
        (json!([not_a_coordinator]), "0"),
    ] {
        let refused = app
            .graphql_as(&editor, "mutation($id: ID!, $r: [ID!]!) { setLocalBodyRepresentatives(id: $id, expectedVersion: 1, representatives: $r) { localBody { id } } }", json!({ "id": id, "r": representatives }))
            .await;
        assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
        assert_eq!(
            refused["errors"][0]["extensions"]["path"],
            json!(["representatives", index])
        );
    }
    let unknown_on_create = app
        .graphql_as(&editor, "mutation($r: [ID!]!) { createLocalBody(input: {kind: OTHER, name: \"x\", territory: 1, representatives: $r}) { localBody { id } } }", json!({ "r": [unknown] }))
        .await;
    assert_eq!(
        unknown_on_create["errors"][0]["extensions"]["path"],
        json!(["input", "representatives", "0"])
    );
    // Refused inputs wrote nothing.
    let empty_name = app
        .graphql_as(&editor, "mutation($id: ID!) { updateLocalBody(id: $id, expectedVersion: 1, input: {name: \"  \", description: \"Jamais écrit\"}) { localBody { id } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        empty_name["errors"][0]["extensions"]["path"],
        json!(["input", "name"])
    );
    let read = "query($id: ID!) { node(id: $id) { ... on LocalBody { name description version archived representatives { lastName } } } }";
    assert_eq!(
        ok(&app, &editor, read, json!({ "id": id })).await["node"],
        json!({ "name": "CESC de Colombes", "description": null, "version": 1, "archived": false, "representatives": [] })
    );
    assert_eq!(
        app.data("{ localBodies { totalCount } }").await["localBodies"]["totalCount"],
        1,
        "the refused creation wrote nothing"
    );

    let set = ok(&app, &editor, "mutation($id: ID!, $r: [ID!]!) { setLocalBodyRepresentatives(id: $id, expectedVersion: 1, representatives: $r) { localBody { version representatives { lastName } } } }", json!({ "id": id, "r": [lara] })).await;
    assert_eq!(
        set["setLocalBodyRepresentatives"]["localBody"],
        json!({ "version": 2, "representatives": [{ "lastName": "LARA" }] })
    );
    conflict(&app, &editor, "mutation($id: ID!) { setLocalBodyRepresentatives(id: $id, expectedVersion: 1, representatives: []) { localBody { id } } }", json!({ "id": id })).await;

    ok(
        &app,
        &editor,
        "mutation($id: ID!) { archiveLocalBody(id: $id, expectedVersion: 2) { localBody { id } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        app.data("{ localBodies { totalCount } }").await["localBodies"]["totalCount"],
        0
    );
    // Archived, it stays readable to tokens, representatives included.
    assert_eq!(
        ok(&app, &editor, read, json!({ "id": id })).await["node"],
        json!({ "name": "CESC de Colombes", "description": null, "version": 3, "archived": true, "representatives": [{ "lastName": "LARA" }] })
    );
    let listed = ok(
        &app,
        &editor,
        "{ localBodies(filter: {includeArchived: true}) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(listed["localBodies"]["totalCount"], 1);
    conflict(
        &app,
        &editor,
        "mutation($id: ID!) { restoreLocalBody(id: $id, expectedVersion: 2) { localBody { id } } }",
        json!({ "id": id }),
    )
    .await;
    let restored = ok(&app, &editor, "mutation($id: ID!) { restoreLocalBody(id: $id, expectedVersion: 3) { localBody { archived version } } }", json!({ "id": id })).await;
    assert_eq!(
        restored["restoreLocalBody"]["localBody"],
        json!({ "archived": false, "version": 4 })
    );
    assert_eq!(
        app.data("{ localBodies { totalCount } }").await["localBodies"]["totalCount"],
        1
    );
}

#[tokio::test]
async fn themes_are_relabelled_at_the_version_read_archived_and_restored() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let added = ok(&app, &admin, r#"mutation { addTheme(input: {code: "harcelement", label: "Harcèlement"}) { theme { id code version } } }"#, json!({})).await;
    let theme = &added["addTheme"]["theme"];
    let id = theme["id"].clone();
    let code = theme["code"].clone();
    let relabelled = ok(&app, &admin, "mutation($id: ID!) { relabelTheme(id: $id, expectedVersion: 1, label: \"Harcèlement scolaire\") { theme { label version } } }", json!({ "id": id })).await;
    assert_eq!(
        relabelled["relabelTheme"]["theme"],
        json!({ "label": "Harcèlement scolaire", "version": 2 })
    );
    conflict(&app, &admin, "mutation($id: ID!) { relabelTheme(id: $id, expectedVersion: 1, label: \"Écrasé\") { theme { label } } }", json!({ "id": id })).await;
    let has = |themes: &serde_json::Value| {
        themes
            .as_array()
            .is_some_and(|all| all.iter().any(|t| t["code"] == code))
    };
    ok(
        &app,
        &admin,
        "mutation($id: ID!) { archiveTheme(id: $id, expectedVersion: 2) { theme { id } } }",
        json!({ "id": id }),
    )
    .await;
    assert!(!has(&app.data("{ themes { code } }").await["themes"]));
    let all = ok(
        &app,
        &admin,
        "{ themes(includeArchived: true) { code label } }",
        json!({}),
    )
    .await;
    assert!(
        has(&all["themes"]),
        "archived themes stay readable to tokens"
    );
    conflict(
        &app,
        &admin,
        "mutation($id: ID!) { restoreTheme(id: $id, expectedVersion: 2) { theme { id } } }",
        json!({ "id": id }),
    )
    .await;
    let restored = ok(&app, &admin, "mutation($id: ID!) { restoreTheme(id: $id, expectedVersion: 3) { theme { label version } } }", json!({ "id": id })).await;
    assert_eq!(
        restored["restoreTheme"]["theme"],
        json!({ "label": "Harcèlement scolaire", "version": 4 })
    );
    assert!(has(&app.data("{ themes { code } }").await["themes"]));
}

#[tokio::test]
async fn colleges_and_projects_are_restored_and_every_restore_mutation_is_tested() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let college = app
        .data("{ colleges(commune: \"Sèvres\") { id uai version } }")
        .await["colleges"][0]
        .clone();
    let (id, uai) = (college["id"].clone(), college["uai"].clone());
    let version = college["version"].as_i64().unwrap_or_default();
    let listed = |data: serde_json::Value| {
        data["colleges"]
            .as_array()
            .is_some_and(|all| all.iter().any(|c| c["uai"] == uai))
    };
    let sevres = "{ colleges(commune: \"Sèvres\") { uai } }";
    ok(&app, &admin, "mutation($id: ID!, $v: Int) { archiveCollege(id: $id, expectedVersion: $v) { college { id } } }", json!({ "id": id, "v": version })).await;
    assert!(!listed(app.data(sevres).await));
    let kept = ok(
        &app,
        &editor,
        "query($id: ID!) { node(id: $id) { ... on College { uai archived } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(kept["node"], json!({ "uai": uai, "archived": true }));
    conflict(&app, &admin, "mutation($id: ID!, $v: Int) { restoreCollege(id: $id, expectedVersion: $v) { college { id } } }", json!({ "id": id, "v": version })).await;
    let restored = ok(&app, &admin, "mutation($id: ID!, $v: Int) { restoreCollege(id: $id, expectedVersion: $v) { college { archived version } } }", json!({ "id": id, "v": version + 1 })).await;
    assert_eq!(
        restored["restoreCollege"]["college"],
        json!({ "archived": false, "version": version + 2 })
    );
    assert!(listed(app.data(sevres).await));

    let project = ok(&app, &editor, r#"mutation { createProject(input: {title: "Restauré", territories: [5]}) { project { id } } }"#, json!({})).await["createProject"]["project"]["id"].clone();
    ok(
        &app,
        &editor,
        "mutation($id: ID!) { archiveProject(id: $id, expectedVersion: 1) { project { id } } }",
        json!({ "id": project }),
    )
    .await;
    conflict(
        &app,
        &editor,
        "mutation($id: ID!) { restoreProject(id: $id, expectedVersion: 1) { project { id } } }",
        json!({ "id": project }),
    )
    .await;
    let restored = ok(&app, &editor, "mutation($id: ID!) { restoreProject(id: $id, expectedVersion: 2) { project { archived version } } }", json!({ "id": project })).await;
    assert_eq!(
        restored["restoreProject"]["project"],
        json!({ "archived": false, "version": 3 })
    );

    // Each restore mutation of the schema is exercised by a test of this file: a new one
    // must get its test here.
    let tested = [
        "restoreCollege",
        "restoreLocalBody",
        "restorePartner",
        "restorePartnerExpectation",
        "restoreProject",
        "restoreTheme",
    ];
    let mut restores: Vec<String> = crate::auth::mutation_names()
        .into_iter()
        .filter(|name| name.starts_with("restore"))
        .collect();
    restores.sort();
    assert_eq!(restores, tested);
}

/// Two administrators adding the same theme at the same moment both pass the "already
/// exists" check before either commits; the loser hits the unique constraint, which must
/// answer `CONFLICT` (retry or reread), never `INTERNAL`.
#[tokio::test]
async fn concurrent_duplicates_answer_conflict_not_internal() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let attempts = (0..16).map(|_| {
        app.graphql_as(
            &admin,
            r#"mutation { addTheme(input: {code: "RACE", label: "Course"}) { theme { code } } }"#,
            json!({}),
        )
    });
    let answers = join_all(attempts).await;
    let mut created = 0;
    for answer in &answers {
        match error_code(answer) {
            None => {
                assert_eq!(answer["data"]["addTheme"]["theme"]["code"], "RACE");
                created += 1;
            }
            // Sequential duplicates are told apart before writing; racing ones by the
            // constraint.
            Some("BAD_USER_INPUT" | "CONFLICT") => {}
            Some(other) => panic!("a duplicate answered {other}: {answer}"),
        }
    }
    assert_eq!(created, 1, "exactly one theme RACE is created: {answers:?}");
}
