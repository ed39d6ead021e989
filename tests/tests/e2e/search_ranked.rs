//! `searchResults`: every kind of item found as people type it — exact, prefix, glued
//! words, postal codes, e-mails, theme labels and typos — each with its score and what
//! matched; `search` finds the same typos in the same order. A collège's or a
//! coordinator's name with one letter off still finds it first (property test).

use entity::normalize::fold;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use territoires::directory::matcher;
use territoires::directory::{HitItem, HitKind, HitKinds, Snapshot, Visibility, search};
use territoires_tests::{error_code, spawn_app};

const RESULTS: &str = "query($t: String!, $k: [SearchKind!]) {
  searchResults(text: $t, first: 5, kinds: $k) {
    score
    matched { on how text edits }
    item {
      __typename
      ... on Commune { name }
      ... on Coordinator { fullName }
      ... on College { name }
      ... on Theme { label }
      ... on Territory { number }
    }
  }
}";

fn name(item: &Value) -> String {
    ["name", "fullName", "label", "number"]
        .iter()
        .find_map(|k| item.get(*k))
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn every_kind_is_found_as_typed_with_its_score_and_what_matched() {
    let app = spawn_app().await;
    let all = json!(["COMMUNE", "COORDINATOR", "COLLEGE", "THEME", "TERRITORY"]);
    // text, first result's type, its name, on, how, edits.
    let table: &[(&str, &str, &str, &str, &str, i64)] = &[
        ("Nanterre", "Commune", "Nanterre", "NAME", "EXACT", 0),
        ("nanterr", "Commune", "Nanterre", "NAME", "PREFIX", 0),
        ("nantere", "Commune", "Nanterre", "NAME", "TYPO", 1),
        ("courbevois", "Commune", "Courbevoie", "NAME", "TYPO", 1),
        (
            "boiscolombes",
            "Commune",
            "Bois-Colombes",
            "NAME",
            "EXACT",
            0,
        ),
        (
            "92 130",
            "Commune",
            "Issy-les-Moulineaux",
            "POSTAL_CODE",
            "EXACT",
            0,
        ),
        (
            "vanderheyden",
            "Coordinator",
            "Nathalie VAN DER HEYDEN",
            "ALIAS",
            "EXACT",
            0,
        ),
        (
            "nvan-der-heyden@hauts-de-seine.fr",
            "Coordinator",
            "Nathalie VAN DER HEYDEN",
            "EMAIL",
            "EXACT",
            0,
        ),
        (
            "Bertrand Mailard",
            "Coordinator",
            "Bertrand MAILLARD",
            "NAME",
            "TYPO",
            1,
        ),
        (
            "collège jean perin",
            "College",
            "Collège Jean Perrin",
            "NAME",
            "TYPO",
            1,
        ),
        (
            "0920077J",
            "College",
            "Collège Jean Perrin",
            "CODE",
            "EXACT",
            0,
        ),
        (
            "santé mentale",
            "Theme",
            "Santé mentale",
            "NAME",
            "EXACT",
            0,
        ),
        (
            "sante mentalle",
            "Theme",
            "Santé mentale",
            "NAME",
            "TYPO",
            1,
        ),
        ("T3", "Territory", "3", "CODE", "EXACT", 0),
    ];
    for &(text, typename, expected, on, how, edits) in table {
        let response = app
            .graphql_with(RESULTS, json!({ "t": text, "k": all }))
            .await;
        assert!(response.get("errors").is_none(), "{text}: {response}");
        let results = response["data"]["searchResults"].as_array().unwrap();
        let Some(first) = results.first() else {
            panic!("{text}: nothing: {response}");
        };
        assert_eq!(first["item"]["__typename"], typename, "{text}: {response}");
        assert_eq!(name(&first["item"]), expected, "{text}: {response}");
        assert_eq!(first["matched"]["on"], on, "{text}: {response}");
        assert_eq!(first["matched"]["how"], how, "{text}: {response}");
        assert_eq!(first["matched"]["edits"], edits, "{text}: {response}");
        let scores: Vec<f64> = results
            .iter()
            .map(|r| r["score"].as_f64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]) && scores.iter().all(|&s| s > 0.0 && s <= 1.0),
            "{text}: best first: {scores:?}"
        );
    }
    // What matched is named as written in the directory.
    let response = app
        .graphql_with(RESULTS, json!({ "t": "nvan-der-heyden@hauts-de-seine.fr" }))
        .await;
    assert_eq!(
        response["data"]["searchResults"][0]["matched"]["text"],
        "nvan-der-heyden@hauts-de-seine.fr"
    );
}

#[tokio::test]
async fn exact_beats_prefix_beats_typo_and_search_finds_typos_too() {
    let app = spawn_app().await;
    // The old field, unchanged in shape, now forgives typos in the same order.
    for (text, expected) in [("nantere", "Nanterre"), ("courbevois", "Courbevoie")] {
        let data = app
            .data(&format!(
                "{{ search(text: \"{text}\") {{ __typename ... on Commune {{ name }} }} }}"
            ))
            .await;
        assert_eq!(data["search"][0]["name"], expected, "{text}: {data}");
    }
    // "colombes": Colombes exactly, before La Garenne-Colombes and Bois-Colombes (which
    // contain it); "colombs": Colombes (one edit) first.
    let hows = |response: &Value| -> Vec<(String, String)> {
        response["data"]["searchResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    name(&r["item"]),
                    r["matched"]["how"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let response = app.graphql_with(RESULTS, json!({ "t": "colombes" })).await;
    let found = hows(&response);
    assert_eq!(
        found[0],
        ("Colombes".to_owned(), "EXACT".to_owned()),
        "{response}"
    );
    assert!(
        found[1..].iter().all(|(_, how)| how != "EXACT"),
        "{response}"
    );
    let response = app.graphql_with(RESULTS, json!({ "t": "colombs" })).await;
    assert_eq!(hows(&response)[0].0, "Colombes", "{response}");
    // Hostile input: bounded, and refused clearly when too long or too many.
    let response = app
        .graphql_with(RESULTS, json!({ "t": "é".repeat(201) }))
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    let response = app
        .graphql_with(
            "{ searchResults(text: \"nanterre\", first: 101) { score } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    for text in ["", "   ", "'; --", "%%%", &"x".repeat(200)] {
        let response = app.graphql_with(RESULTS, json!({ "t": text })).await;
        assert!(response.get("errors").is_none(), "{text}: {response}");
    }
}

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
async fn one_letter_off_still_finds_the_college_or_coordinator_first() {
    let app = spawn_app().await;
    let dir = Snapshot::load(&app.db).await.unwrap();
    let mut targets: Vec<(HitItem, String)> = dir
        .colleges
        .iter_enumerated()
        .map(|(i, c)| (HitItem::College(i), c.model.name.clone()))
        .collect();
    targets.extend(dir.coordinators.iter_enumerated().map(|(i, c)| {
        (
            HitItem::Coordinator(i),
            format!("{} {}", c.model.first_name, c.model.last_name),
        )
    }));
    let folded: Vec<String> = targets.iter().map(|(_, n)| fold(n)).collect();
    let glued: Vec<String> = targets.iter().map(|(_, n)| matcher::glue(n)).collect();
    let edit = prop_oneof![
        (any::<usize>(), proptest::char::range('a', 'z')).prop_map(|(i, c)| Edit::Change(i, c)),
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Swap),
    ];
    let kinds: HitKinds = [HitKind::College, HitKind::Coordinator]
        .into_iter()
        .collect();
    let mut runner = TestRunner::new(Config::with_cases(512));
    runner
        .run(&(0..targets.len(), edit), |(target, edit)| {
            let (item, name) = &targets[target];
            let typed = apply(name, &edit);
            let key = matcher::glue(&typed);
            prop_assume!(key.len() >= 4);
            // Two collèges share some names; an edit can land on, or inside, another.
            prop_assume!(glued.iter().filter(|g| **g == glued[target]).count() == 1);
            prop_assume!(
                folded
                    .iter()
                    .enumerate()
                    .all(|(i, f)| i == target || !f.contains(&fold(&typed)))
            );
            prop_assume!(
                glued
                    .iter()
                    .enumerate()
                    .all(|(i, g)| i == target || *g != key)
            );
            // A typo can leave every word the start of another name's words ("Collège
            // George mand" for Collège Georges Mandel): a word match, which by design
            // ranks above a typo.
            let words = |text: &str| -> Vec<String> {
                text.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let typed_words = words(&fold(&typed));
            prop_assume!(folded.iter().enumerate().all(|(i, f)| {
                i == target
                    || !typed_words
                        .iter()
                        .all(|w| words(f).iter().any(|o| o.starts_with(w.as_str())))
            }));
            let hits = search(&dir, &typed, kinds, Visibility { everything: true }, 3);
            let first = hits.first().map(|h| h.item);
            if first != Some(*item) {
                return Err(TestCaseError::fail(format!(
                    "{typed:?} ({edit:?} of {name}) found {hits:?}"
                )));
            }
            Ok(())
        })
        .unwrap();
}
