//! Roster run modes through the API: dry runs change nothing, a file refused by the
//! deactivation guard is applied when forced (dropped again and `runRosterSync(force:
//! true)`, or uploaded with `importRoster(force: true)`).

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::{TestApp, spawn_app};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

const RUN: &str = "mutation($dryRun: Boolean, $force: Boolean) {
  runRosterSync(dryRun: $dryRun, force: $force) {
    run { id status dryRun forced added updated deactivated fileName }
    superseded waiting
  }
}";

const IMPORT: &str = "mutation($file: Upload!, $dryRun: Boolean, $force: Boolean) {
  importRoster(file: $file, dryRun: $dryRun, force: $force) {
    id status dryRun forced added updated deactivated
  }
}";

/// The HR export with only its first `keep` people: the others would be deactivated.
fn truncated_export(keep: usize) -> String {
    let csv = std::fs::read_to_string(format!("{FIXTURES}/roster-92-hr-export-utf8.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("Matricule"))
        .unwrap();
    lines[..=header + keep].join("\n") + "\n"
}

/// `(email, active)` of every coordinator, as an editor sees them.
async fn roster(app: &TestApp, editor: &str) -> Vec<(String, bool)> {
    let response = app
        .graphql_as(
            editor,
            "{ coordinators(includeInactive: true) { email active employeeId } }",
            json!({}),
        )
        .await;
    let mut people: Vec<(String, bool)> = response["data"]["coordinators"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap_or("-").to_owned(),
                c["active"].as_bool().unwrap(),
            )
        })
        .collect();
    people.sort();
    people
}

async fn run(app: &TestApp, admin: &str, variables: Value) -> Value {
    let response = app.graphql_as(admin, RUN, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["runRosterSync"].clone()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_dry_run_of_the_drop_folder_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let before = roster(&app, &editor).await;
    let version = app
        .data("{ territory(number: 1) { coordinator { fullName } } }")
        .await;
    std::fs::write(app.inbox.path().join("effectifs.csv"), truncated_export(6)).unwrap();

    // Territory 7 is left vacant: forced past the vacancy guard, dry or not.
    let dry = run(&app, &admin, json!({ "dryRun": true, "force": true })).await;
    assert_eq!(dry["run"]["status"], "PLANNED", "{dry}");
    assert_eq!(dry["run"]["dryRun"], true);
    assert_eq!(
        dry["run"]["deactivated"], 1,
        "the plan says what would happen"
    );
    assert_eq!(roster(&app, &editor).await, before, "nobody changed");
    assert_eq!(
        files_in(app.inbox.path()),
        ["effectifs.csv"],
        "the file stays in place"
    );
    assert!(files_in(&app.inbox.path().join("archive")).is_empty());
    assert_eq!(
        app.data("{ territory(number: 1) { coordinator { fullName } } }")
            .await,
        version
    );
    let ids = app
        .graphql_as(&admin, "{ coordinators { employeeId } }", json!({}))
        .await;
    assert!(
        ids["data"]["coordinators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["employeeId"].is_null()),
        "no matricule written: {ids}"
    );

    // The real run afterwards applies the same plan.
    let applied = run(&app, &admin, json!({ "force": true })).await;
    assert_eq!(applied["run"]["status"], "APPLIED", "{applied}");
    assert_eq!(applied["run"]["dryRun"], false);
    assert_eq!(applied["run"]["deactivated"], 1);
    let after = roster(&app, &editor).await;
    assert_eq!(after.iter().filter(|p| !p.1).count(), 1, "{after:?}");
}

#[tokio::test]
async fn a_file_refused_by_the_guard_is_applied_when_dropped_again_and_forced() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let before = roster(&app, &editor).await;
    // 4 of 7: 3 deactivations (43 %) is more than the default 30 %.
    let file = truncated_export(4);
    std::fs::write(app.inbox.path().join("tronque.csv"), &file).unwrap();

    let refused = run(&app, &admin, json!({})).await;
    assert_eq!(refused["run"]["status"], "REFUSED", "{refused}");
    assert_eq!(refused["run"]["forced"], false);
    assert_eq!(roster(&app, &editor).await, before, "nothing changed");
    assert!(
        files_in(app.inbox.path()).is_empty(),
        "the refused file left the drop folder"
    );
    let rejected = files_in(&app.inbox.path().join("rejected"));
    assert!(
        rejected.iter().any(|f| f.ends_with("tronque.csv")),
        "{rejected:?}"
    );
    // Not forced: the same file is refused again.
    std::fs::write(app.inbox.path().join("tronque.csv"), &file).unwrap();
    let again = run(&app, &admin, json!({})).await;
    assert_eq!(again["run"]["status"], "REFUSED", "{again}");

    // The administrator checked it: dropped again and forced.
    std::fs::write(app.inbox.path().join("tronque.csv"), &file).unwrap();
    let forced = run(&app, &admin, json!({ "force": true })).await;
    assert_eq!(forced["run"]["status"], "APPLIED", "{forced}");
    assert_eq!(forced["run"]["forced"], true);
    assert_eq!(forced["run"]["deactivated"], 3);
    let after = roster(&app, &editor).await;
    assert_eq!(after.iter().filter(|p| p.1).count(), 4, "{after:?}");
    assert_eq!(
        app.data("{ coordinators { email } }").await["coordinators"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let archived = files_in(&app.inbox.path().join("archive"));
    assert!(
        archived.iter().any(|f| f.ends_with("tronque.csv")),
        "{archived:?}"
    );
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns { edges { node { status forced } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        runs["data"]["syncRuns"]["edges"],
        json!([
            { "node": { "status": "APPLIED", "forced": true } },
            { "node": { "status": "REFUSED", "forced": false } },
            { "node": { "status": "REFUSED", "forced": false } },
        ])
    );
}

/// Uploads `bytes` as `name` through `importRoster`.
async fn upload(app: &TestApp, admin: &str, name: &str, bytes: Vec<u8>, variables: Value) -> Value {
    let (_, response) = app
        .upload(Some(admin), IMPORT, variables, name, bytes)
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["importRoster"].clone()
}

#[tokio::test]
async fn an_upload_refused_by_the_guard_is_applied_with_force() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let before = roster(&app, &editor).await;
    let file = truncated_export(3).into_bytes();

    let refused = upload(&app, &admin, "tronque.csv", file.clone(), json!({})).await;
    assert_eq!(refused["status"], "REFUSED", "{refused}");
    assert_eq!(roster(&app, &editor).await, before);

    let dry = upload(
        &app,
        &admin,
        "tronque.csv",
        file.clone(),
        json!({ "force": true, "dryRun": true }),
    )
    .await;
    assert_eq!(
        (dry["status"].as_str(), dry["dryRun"].as_bool()),
        (Some("PLANNED"), Some(true)),
        "{dry}"
    );
    assert_eq!(
        roster(&app, &editor).await,
        before,
        "a forced dry run changes nothing"
    );

    let forced = upload(
        &app,
        &admin,
        "tronque.csv",
        file.clone(),
        json!({ "force": true }),
    )
    .await;
    assert_eq!(forced["status"], "APPLIED", "{forced}");
    assert_eq!(forced["forced"], true);
    assert_eq!(forced["deactivated"], 4);
    let after = roster(&app, &editor).await;
    assert_eq!(after.iter().filter(|p| p.1).count(), 3, "{after:?}");

    // The same file again: skipped; forced, read again (and nothing left to change).
    let same = upload(&app, &admin, "tronque.csv", file.clone(), json!({})).await;
    assert_eq!(same["status"], "SKIPPED", "{same}");
    let reread = upload(&app, &admin, "tronque.csv", file, json!({ "force": true })).await;
    assert_eq!(reread["status"], "UNCHANGED", "{reread}");
}
