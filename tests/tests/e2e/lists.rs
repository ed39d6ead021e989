//! Local bodies, partners, collèges, themes, vocabulary and the territory overview.

use serde_json::json;
use territoires_tests::seed::seed_work;
use territoires_tests::{error_code, spawn_app};

fn names(value: &serde_json::Value) -> Vec<String> {
    value["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn local_bodies_filter_by_kind_territory_commune_and_college() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            r#"{
        all: localBodies { totalCount edges { node { name kind kindLabel representatives { lastName } } } }
        clspd: localBodies(filter: { kind: CLSPD }) { edges { node { name } } }
        t2: localBodies(filter: { territory: 2 }) { edges { node { name } } }
        nanterre: localBodies(filter: { commune: "nanterre" }) { edges { node { name } } }
        text: localBodies(filter: { text: "pedt" }) { edges { node { name } } }
      }"#,
        )
        .await;
    assert_eq!(
        names(&data["all"]),
        [
            "CESC du collège de Clamart",
            "CLSPD de Nanterre",
            "Comité de pilotage PEDT Colombes"
        ]
    );
    assert_eq!(
        data["all"]["edges"][1]["node"]["kindLabel"],
        "CLSPD (conseil local de sécurité et de prévention de la délinquance)"
    );
    assert_eq!(
        data["all"]["edges"][1]["node"]["representatives"],
        json!([{ "lastName": "VAN DER HEYDEN" }])
    );
    assert_eq!(names(&data["clspd"]), ["CLSPD de Nanterre"]);
    assert_eq!(names(&data["t2"]), ["Comité de pilotage PEDT Colombes"]);
    assert_eq!(names(&data["nanterre"]), ["CLSPD de Nanterre"]);
    assert_eq!(names(&data["text"]), ["Comité de pilotage PEDT Colombes"]);
    let cesc = app.data(r#"{ localBodies(filter: { kind: CESC }) { edges { node { college { uai name } } } } }"#).await;
    let college = &cesc["localBodies"]["edges"][0]["node"]["college"];
    for key in [college["uai"].clone(), college["name"].clone()] {
        let found = app
            .graphql_with("query($c: String) { localBodies(filter: { college: $c }) { edges { node { name } } } }", json!({ "c": key }))
            .await;
        assert_eq!(
            names(&found["data"]["localBodies"]),
            ["CESC du collège de Clamart"],
            "{key}"
        );
    }
    let college = app
        .graphql(r#"{ localBodies(filter: { college: "Clamart" }) { totalCount } }"#)
        .await;
    // "Clamart" is a commune, not a collège name: clear error rather than an empty list.
    assert_eq!(error_code(&college), Some("BAD_USER_INPUT"));
    let t4 = app.data("{ territory(number: 4) { localBodies { name } clspd: localBodies(kind: CLSPD) { name } } }").await;
    assert_eq!(
        t4["territory"]["localBodies"],
        json!([{ "name": "CLSPD de Nanterre" }])
    );
    let representation = app
        .data("{ coordinators(territory: 4) { representations { name } projects { title } } }")
        .await;
    assert_eq!(
        representation["coordinators"][0]["representations"],
        json!([{ "name": "CLSPD de Nanterre" }])
    );
    assert_eq!(
        representation["coordinators"][0]["projects"],
        json!([{ "title": "Parentalité et réseaux sociaux" }])
    );
}

#[tokio::test]
async fn partners_filter_and_keep_contacts_for_editors() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            r#"{
        all: partners { totalCount edges { node { name kind kindLabel territory { number } commune { name } projects { title } } } }
        prevention: partners(filter: { kind: SPECIALISED_PREVENTION }) { edges { node { name } } }
        t6: partners(filter: { territory: 6 }) { edges { node { name } } }
        clamart: partners(filter: { commune: "Clamart" }) { edges { node { name } } }
        text: partners(filter: { text: "jeunesse" }) { edges { node { name } } }
      }"#,
        )
        .await;
    assert_eq!(
        names(&data["all"]),
        [
            "Maison des adolescents de Clamart",
            "Rues et Cités",
            "Service jeunesse de Nanterre"
        ]
    );
    assert_eq!(
        data["all"]["edges"][2]["node"]["territory"]["number"], 4,
        "territory through the commune"
    );
    assert_eq!(names(&data["prevention"]), ["Rues et Cités"]);
    assert_eq!(
        names(&data["t6"]),
        ["Maison des adolescents de Clamart", "Rues et Cités"]
    );
    assert_eq!(
        names(&data["clamart"]),
        ["Maison des adolescents de Clamart"]
    );
    assert_eq!(names(&data["text"]), ["Service jeunesse de Nanterre"]);

    let contacts = r#"{ partners(filter: { commune: "Nanterre" }) { edges { node { contactName contactEmail contactPhone expectations { text recordedOn } } } } }"#;
    let public = app.graphql(contacts).await;
    assert_eq!(error_code(&public), Some("UNAUTHENTICATED"));
    let editor = app.token(entity::Role::Editor).await;
    let response = app.graphql_as(&editor, contacts, json!({})).await;
    let node = &response["data"]["partners"]["edges"][0]["node"];
    assert_eq!(node["contactEmail"], "contact0@example.org");
    assert_eq!(node["contactPhone"], "01 41 37 11 11");
    assert_eq!(
        node["expectations"],
        json!([{ "text": "Être associé aux CLSPD", "recordedOn": "2026-09-15" }])
    );
}

#[tokio::test]
async fn colleges_themes_and_vocabulary() {
    let app = spawn_app().await;
    let data = app
        .data(
            r#"{
        t5: colleges(territory: 5) { uai }
        meudon: colleges(commune: "Meudon") { name commune { name } territory { number } }
        themes { code label }
        vocabulary { projectStatuses { value label } strategicAxes { value label } localBodyKinds { value } themes { code } }
      }"#,
        )
        .await;
    assert!(data["t5"].as_array().unwrap().len() > 10);
    assert!(
        data["meudon"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["commune"]["name"] == "Meudon" && c["territory"]["number"] == 6)
    );
    assert_eq!(data["themes"].as_array().unwrap().len(), 9);
    assert_eq!(
        data["themes"][0],
        json!({ "code": "SOCIAL_NETWORKS", "label": "Réseaux sociaux" })
    );
    assert_eq!(
        data["vocabulary"]["projectStatuses"][2],
        json!({ "value": "IN_PROGRESS", "label": "En cours" })
    );
    assert_eq!(
        data["vocabulary"]["strategicAxes"][1],
        json!({ "value": "SCHOOL_PERSEVERANCE", "label": "Persévérance scolaire" })
    );
    assert_eq!(
        data["vocabulary"]["localBodyKinds"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(data["vocabulary"]["themes"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn the_overview_counts_everything_with_zeros_included() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            r#"{ territory(number: 4) { overview {
        communeCount collegeCount partnerCount localBodyCount projectCount projectsWithoutActiveLead
        localBodiesByKind { key label count }
        projectsByStatus { key label count }
        projectsByAxis { key count }
        projectsByTheme { key label count }
        lastRosterImport { status }
      } } }"#,
        )
        .await;
    let o = &data["territory"]["overview"];
    assert_eq!(o["communeCount"], 3);
    assert_eq!(o["partnerCount"], 1, "the archived partner is not counted");
    assert_eq!(o["localBodyCount"], 1);
    assert_eq!(o["projectCount"], 1);
    assert_eq!(o["projectsWithoutActiveLead"], 0);
    assert_eq!(o["localBodiesByKind"].as_array().unwrap().len(), 6);
    assert_eq!(
        o["localBodiesByKind"][0],
        json!({ "key": "CLSPD", "label": "CLSPD (conseil local de sécurité et de prévention de la délinquance)", "count": 1 })
    );
    assert_eq!(
        o["projectsByStatus"][1],
        json!({ "key": "PLANNED", "label": "Programmé", "count": 1 })
    );
    assert_eq!(o["projectsByStatus"][4]["count"], 0);
    assert_eq!(
        o["projectsByAxis"],
        json!([{ "key": "WELLBEING", "count": 1 }, { "key": "SCHOOL_PERSEVERANCE", "count": 0 }, { "key": "CITIZENSHIP", "count": 0 }])
    );
    assert_eq!(o["projectsByTheme"].as_array().unwrap().len(), 9);
    assert_eq!(
        o["projectsByTheme"][0],
        json!({ "key": "SOCIAL_NETWORKS", "label": "Réseaux sociaux", "count": 1 })
    );
    assert_eq!(o["lastRosterImport"], json!(null));
    let t2 = app
        .data("{ territory(number: 2) { overview { projectsWithoutActiveLead collegeCount } } }")
        .await;
    assert_eq!(t2["territory"]["overview"]["projectsWithoutActiveLead"], 1);
}
