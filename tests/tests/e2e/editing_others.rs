//! Editing local bodies (and their representatives), partners (and their expectations),
//! collèges and themes.

use entity::Role;
use serde_json::json;
use territoires_tests::{error_code, spawn_app};

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
    let stale = app
        .graphql_as(&editor, "mutation($id: ID!) { updateLocalBody(id: $id, expectedVersion: 2, input: {name: \"x\"}) { localBody { name } } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"));
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
    let stale = app
        .graphql_as(&editor, "mutation($id: ID!) { restorePartnerExpectation(id: $id, expectedVersion: 1) { partner { id } } }", json!({ "id": expectation }))
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"));
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
