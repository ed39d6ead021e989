//! Commune lookups accept what people type.

use serde_json::json;
use territoires_tests::{error_code, spawn_app};

#[tokio::test]
async fn commune_by_name_forgives_case_accents_hyphens_and_short_names() {
    let app = spawn_app().await;
    for (typed, official, territory) in [
        ("sevres", "Sèvres", 5),
        ("Asnières", "Asnières-sur-Seine", 1),
        ("asnieres sur seine", "Asnières-sur-Seine", 1),
        ("ville d avray", "Ville-d'Avray", 5),
        ("Ville d’Avray", "Ville-d'Avray", 5),
        ("CHATILLON", "Châtillon", 6),
        ("le plessis robinson", "Le Plessis-Robinson", 6),
        ("Boulogne", "Boulogne-Billancourt", 5),
        ("Issy", "Issy-les-Moulineaux", 5),
        ("Neuilly", "Neuilly-sur-Seine", 3),
        ("St-Cloud", "Saint-Cloud", 5),
        ("  rueil  ", "Rueil-Malmaison", 4),
    ] {
        let response = app
            .graphql_with(
                "query($n: String) { commune(name: $n) { name territory { number } } }",
                json!({ "n": typed }),
            )
            .await;
        assert_eq!(response["data"]["commune"]["name"], official, "{typed}");
        assert_eq!(
            response["data"]["commune"]["territory"]["number"], territory,
            "{typed}"
        );
    }
}

#[tokio::test]
async fn unknown_or_ambiguous_names_give_null() {
    let app = spawn_app().await;
    let data = app
        .data(r#"{ a: commune(name: "Paris") { name } b: commune(name: "") { name } c: commune(name: "Garenne") { name } d: commune(inseeCode: "75056") { name } }"#)
        .await;
    assert_eq!(data, json!({ "a": null, "b": null, "c": null, "d": null }));
}

#[tokio::test]
async fn commune_by_insee_code_and_both_agreeing() {
    let app = spawn_app().await;
    let data = app
        .data(r#"{ a: commune(inseeCode: "92004") { name } b: commune(name: "Asnières", inseeCode: "92004") { name } }"#)
        .await;
    assert_eq!(data["a"]["name"], "Asnières-sur-Seine");
    assert_eq!(data["b"]["name"], "Asnières-sur-Seine");
}

#[tokio::test]
async fn neither_argument_or_disagreeing_ones_are_bad_user_input() {
    let app = spawn_app().await;
    let neither = app.graphql("{ commune { name } }").await;
    assert_eq!(error_code(&neither), Some("BAD_USER_INPUT"));
    // A failed nullable field is null with its key present (spec null propagation).
    assert_eq!(neither["data"], json!({ "commune": null }));
    let disagree = app
        .graphql(r#"{ commune(name: "Sèvres", inseeCode: "92004") { name } }"#)
        .await;
    assert_eq!(error_code(&disagree), Some("BAD_USER_INPUT"));
    assert_eq!(
        disagree["errors"][0]["extensions"]["path"],
        json!(["inseeCode"])
    );
}

#[tokio::test]
async fn communes_search_ranks_exact_then_prefix_then_contains() {
    let app = spawn_app().await;
    let data = app
        .data(r#"{ communes(search: "colombes") { name } }"#)
        .await;
    let names: Vec<&str> = data["communes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Colombes", "Bois-Colombes", "La Garenne-Colombes"]);

    let data = app.data(r#"{ communes(search: "chat") { name } }"#).await;
    let names: Vec<&str> = data["communes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Châtenay-Malabry", "Châtillon"]);
}

#[tokio::test]
async fn communes_filter_by_territory_and_postal_code() {
    let app = spawn_app().await;
    let data = app
        .data(r#"{ t1: communes(territory: 1) { name } meudon: communes(postalCode: "92360") { name } byCode: communes(search: "92190") { name } }"#)
        .await;
    assert_eq!(data["t1"].as_array().unwrap().len(), 3);
    assert_eq!(data["meudon"], json!([{ "name": "Meudon" }]));
    assert_eq!(data["byCode"], json!([{ "name": "Meudon" }]));
    let unknown = app.graphql("{ communes(territory: 42) { name } }").await;
    assert_eq!(error_code(&unknown), Some("BAD_USER_INPUT"));
}
