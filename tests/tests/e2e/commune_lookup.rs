//! `communeLookup(text:)` and `commune(name:)` answer what residents type: every input
//! of issue 13's "Found" list, with its expected answer and reason, on the real API;
//! and a property: a commune's name with one letter changed, dropped or swapped still
//! finds it first.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use territoires::directory::matcher::{self, Target};
use territoires::directory::{CommuneIx, Snapshot};
use territoires_tests::{error_code, spawn_app};

const LOOKUP: &str = r#"query($t: String!) {
  communeLookup(text: $t) {
    match { name inseeCode }
    reason
    message
    candidates {
      score matchedOn matched
      commune {
        __typename
        ... on Commune { name }
        ... on OtherCommune { name inseeCode departementNumber departementName }
      }
    }
  }
  commune(name: $t) { name }
}"#;

/// `(typed, expected match or None, expected reason, expected first candidate)`.
const CASES: &[(&str, Option<&str>, &str, &str)] = &[
    ("nantere", Some("Nanterre"), "TYPO", "Nanterre"),
    ("courbevois", Some("Courbevoie"), "TYPO", "Courbevoie"),
    ("colombs", Some("Colombes"), "TYPO", "Colombes"),
    ("Antonny", Some("Antony"), "TYPO", "Antony"),
    (
        "boulogne-bilancourt",
        Some("Boulogne-Billancourt"),
        "TYPO",
        "Boulogne-Billancourt",
    ),
    (
        "issy-les-moulinaux",
        Some("Issy-les-Moulineaux"),
        "TYPO",
        "Issy-les-Moulineaux",
    ),
    (
        "92 130",
        Some("Issy-les-Moulineaux"),
        "POSTAL_CODE",
        "Issy-les-Moulineaux",
    ),
    (
        "92-130",
        Some("Issy-les-Moulineaux"),
        "POSTAL_CODE",
        "Issy-les-Moulineaux",
    ),
    (
        "92.130",
        Some("Issy-les-Moulineaux"),
        "POSTAL_CODE",
        "Issy-les-Moulineaux",
    ),
    ("Sevres 92310", Some("Sèvres"), "POSTAL_CODE", "Sèvres"),
    (
        "st cloud 92210",
        Some("Saint-Cloud"),
        "POSTAL_CODE",
        "Saint-Cloud",
    ),
    (
        "Boulogne 92100",
        Some("Boulogne-Billancourt"),
        "POSTAL_CODE",
        "Boulogne-Billancourt",
    ),
    ("Clichy-la-Garenne", Some("Clichy"), "EXACT", "Clichy"),
    ("Meudon-la-Forêt", Some("Meudon"), "EXACT", "Meudon"),
    (
        "villedavray",
        Some("Ville-d'Avray"),
        "EXACT",
        "Ville-d'Avray",
    ),
    (
        "boiscolombes",
        Some("Bois-Colombes"),
        "EXACT",
        "Bois-Colombes",
    ),
    ("Sèvres", Some("Sèvres"), "EXACT", "Sèvres"),
    ("CHATILLON", Some("Châtillon"), "EXACT", "Châtillon"),
    ("Saint", None, "AMBIGUOUS", "Saint-Cloud"),
    ("Paris", None, "OUTSIDE_DEPARTEMENT", "Paris"),
    (
        "L'Haÿ-les-Roses",
        None,
        "OUTSIDE_DEPARTEMENT",
        "L'Haÿ-les-Roses",
    ),
    ("Vincennes", None, "OUTSIDE_DEPARTEMENT", "Vincennes"),
    ("94300", None, "OUTSIDE_DEPARTEMENT", "Vincennes"),
    ("Vannes", None, "OUTSIDE_DEPARTEMENT", "Vannes"),
    ("xqzwv", None, "UNKNOWN", ""),
    ("", None, "UNKNOWN", ""),
    ("'; DROP TABLE communes; --", None, "UNKNOWN", ""),
    ("<script>alert(1)</script>", None, "UNKNOWN", ""),
    ("\u{0}\u{202e}🏠", None, "UNKNOWN", ""),
    ("99999", None, "UNKNOWN", ""),
];

fn first_name(lookup: &Value) -> &str {
    lookup["candidates"][0]["commune"]["name"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn every_input_of_the_issue_answers_as_expected() {
    let app = spawn_app().await;
    for &(typed, found, reason, first) in CASES {
        let data = app.graphql_with(LOOKUP, json!({ "t": typed })).await;
        assert!(data.get("errors").is_none(), "{typed}: {data}");
        let lookup = &data["data"]["communeLookup"];
        assert_eq!(lookup["reason"], reason, "{typed}: {lookup}");
        assert_eq!(lookup["match"]["name"].as_str(), found, "{typed}: {lookup}");
        // `commune(name:)` keeps its contract: the match, else null.
        assert_eq!(data["data"]["commune"]["name"].as_str(), found, "{typed}");
        assert_eq!(first_name(lookup), first, "{typed}: {lookup}");
        assert!(!lookup["message"].as_str().unwrap().is_empty(), "{typed}");
        let scores: Vec<i64> = lookup["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["score"].as_i64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{typed}: {scores:?}"
        );
    }
}

#[tokio::test]
async fn messages_name_the_departement_without_prepositions() {
    let app = spawn_app().await;
    for (typed, message) in [
        ("Paris", "Paris n'est pas dans les Hauts-de-Seine."),
        (
            "Vincennes",
            "Vincennes (Val-de-Marne, 94) n'est pas dans les Hauts-de-Seine.",
        ),
        (
            "L'Haÿ-les-Roses",
            "L'Haÿ-les-Roses (Val-de-Marne, 94) n'est pas dans les Hauts-de-Seine.",
        ),
        (
            "nantere",
            "Commune des Hauts-de-Seine la plus proche : Nanterre.",
        ),
    ] {
        let data = app.graphql_with(LOOKUP, json!({ "t": typed })).await;
        assert_eq!(data["data"]["communeLookup"]["message"], message, "{typed}");
    }
}

#[tokio::test]
async fn candidates_say_what_matched_and_name_other_departements() {
    let app = spawn_app().await;
    let vannes = app.graphql_with(LOOKUP, json!({ "t": "Vannes" })).await;
    let candidates = &vannes["data"]["communeLookup"]["candidates"];
    assert_eq!(
        candidates[0],
        json!({ "score": 100, "matchedOn": "NAME", "matched": "Vannes", "commune": {
            "__typename": "OtherCommune", "name": "Vannes", "inseeCode": "56260",
            "departementNumber": "56", "departementName": "Morbihan" } })
    );
    // The exact name elsewhere beats the typo in the département, which comes next,
    // before the completions elsewhere ("Vannes-le-Châtel") of the same score.
    assert_eq!(candidates[1]["commune"]["name"], "Vanves");
    assert_eq!(candidates[1]["matchedOn"], "NAME");
    assert_eq!(candidates[1]["score"], 70);
    assert_eq!(candidates[2]["commune"]["name"], "Vannes-le-Châtel");
    assert_eq!(candidates[2]["score"], 70);

    let colombs = app.graphql_with(LOOKUP, json!({ "t": "colombs" })).await;
    let candidates = &colombs["data"]["communeLookup"]["candidates"];
    assert_eq!(candidates[0]["commune"]["__typename"], "Commune");
    assert_eq!(candidates[1]["commune"]["name"], "Colombe");
    assert_eq!(candidates[1]["commune"]["departementNumber"], "38");
    assert_eq!(candidates[0]["score"], candidates[1]["score"]);

    let clichy = app
        .graphql_with(LOOKUP, json!({ "t": "clichy la garenne" }))
        .await;
    let top = &clichy["data"]["communeLookup"]["candidates"][0];
    assert_eq!(top["matchedOn"], "ALIAS");
    assert_eq!(top["matched"], "Clichy-la-Garenne");

    let sevres = app
        .graphql_with(LOOKUP, json!({ "t": "Sevres 92310" }))
        .await;
    let top = &sevres["data"]["communeLookup"]["candidates"][0];
    assert_eq!(top["matchedOn"], "NAME_AND_POSTAL_CODE");
    assert_eq!(top["matched"], "Sèvres 92310");
}

#[tokio::test]
async fn overlong_text_is_bad_user_input_before_any_work() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    let response = app.graphql_with(LOOKUP, json!({ "t": long })).await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"));
    let fits = "nanterre ".repeat(22);
    let response = app.graphql_with(LOOKUP, json!({ "t": fits })).await;
    assert_eq!(response["data"]["communeLookup"]["reason"], "UNKNOWN");
}

/// The edits of the property: change, drop or swap one letter.
#[derive(Debug, Clone)]
enum Edit {
    Change(usize, char),
    Drop(usize),
    Swap(usize),
}

fn apply(name: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let len = chars.len();
    match *edit {
        Edit::Change(i, c) => chars[i % len] = c,
        Edit::Drop(i) => {
            chars.remove(i % len);
        }
        Edit::Swap(i) => chars.swap(i % (len - 1), i % (len - 1) + 1),
    }
    chars.into_iter().collect()
}

#[tokio::test]
async fn one_letter_off_still_finds_the_commune_first() {
    let app = spawn_app().await;
    let dir = Snapshot::load(&app.db).await.unwrap();
    let communes: Vec<(CommuneIx, String)> = dir
        .communes
        .iter_enumerated()
        .map(|(ix, c)| (ix, c.name.clone()))
        .collect();
    let glued: Vec<String> = dir
        .communes
        .iter()
        .flat_map(|c| std::iter::once(&c.name).chain(&c.aliases))
        .map(|n| matcher::glue(n))
        .collect();
    let edit = prop_oneof![
        (any::<usize>(), proptest::char::range('a', 'z')).prop_map(|(i, c)| Edit::Change(i, c)),
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Swap),
    ];
    let mut runner = TestRunner::new(Config::with_cases(512));
    runner
        .run(&(0..communes.len(), edit), |(commune, edit)| {
            let (commune, name) = &communes[commune];
            let typed = apply(name, &edit);
            let key = matcher::glue(&typed);
            // Names under 4 letters tolerate no typo; an edit can land on another name.
            prop_assume!(key.len() >= 4);
            prop_assume!(!glued.contains(&key) || key == matcher::glue(name));
            prop_assume!(matcher::france().names.exact(&key).is_empty());
            let outcome = matcher::lookup(&dir, &typed);
            let first = outcome.candidates.first().map(|c| c.target);
            if first != Some(Target::Commune(*commune)) {
                return Err(TestCaseError::fail(format!(
                    "{typed:?} ({edit:?} of {name}) found {first:?}: {}",
                    outcome.message
                )));
            }
            Ok(())
        })
        .unwrap();
}
