//! Roster imports through the API: uploads (GraphQL multipart request, with limits) and
//! the drop folder on demand, for ADMIN tokens.

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::{TestApp, error_code, spawn_app};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

const IMPORT: &str = "mutation($file: Upload!, $dryRun: Boolean, $force: Boolean) {
  importRoster(file: $file, dryRun: $dryRun, force: $force) {
    id status dryRun added updated moved deactivated unchanged fileName actor
    problems { severity row column code message }
  }
}";

/// Sends `IMPORT` as a GraphQL multipart request carrying `bytes` as the `file` variable.
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
    variables: Value,
) -> (u16, Value) {
    app.upload(token, IMPORT, variables, name, bytes).await
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

#[tokio::test]
async fn an_admin_uploads_the_hr_export_and_the_directory_follows() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let (status, dry) = upload(
        &app,
        Some(&admin),
        "export.xlsx",
        fixture("roster-92-hr-export.xlsx"),
        json!({ "dryRun": true }),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    let run = &dry["data"]["importRoster"];
    assert_eq!(
        (run["status"].as_str(), run["dryRun"].as_bool()),
        (Some("PLANNED"), Some(true)),
        "{dry}"
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
        "a dry run changes nothing"
    );

    let (_, applied) = upload(
        &app,
        Some(&admin),
        "export.xlsx",
        fixture("roster-92-hr-export.xlsx"),
        json!({}),
    )
    .await;
    let run = &applied["data"]["importRoster"];
    assert_eq!(run["status"], "APPLIED", "{applied}");
    assert_eq!(run["updated"], 7, "the seeded people gain their matricules");
    assert_eq!(run["added"], 0);
    assert_eq!(run["fileName"], "export.xlsx");
    assert!(
        run["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["severity"] == "WARNING")
    );
    let ids = app.graphql_as(&admin, "{ coordinators(territory: 1) { employeeId } territory(number: 1) { overview { lastRosterImport { status } } } }", json!({})).await;
    assert_eq!(ids["data"]["coordinators"][0]["employeeId"], "104200");
    assert_eq!(
        ids["data"]["territory"]["overview"]["lastRosterImport"]["status"],
        "APPLIED"
    );

    let (_, again) = upload(
        &app,
        Some(&admin),
        "export.xlsx",
        fixture("roster-92-hr-export.xlsx"),
        json!({}),
    )
    .await;
    assert_eq!(
        again["data"]["importRoster"]["status"], "SKIPPED",
        "the same file twice"
    );
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns { totalCount edges { node { status trigger } } } }",
            json!({}),
        )
        .await;
    assert_eq!(runs["data"]["syncRuns"]["totalCount"], 3);
    assert_eq!(
        runs["data"]["syncRuns"]["edges"][0]["node"],
        json!({ "status": "SKIPPED", "trigger": "UPLOAD" })
    );
}

#[tokio::test]
async fn a_bad_upload_is_rejected_with_its_problems_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let (_, rejected) = upload(
        &app,
        Some(&admin),
        "roster.xlsx",
        b"Nom;Prenom\nnot a spreadsheet".to_vec(),
        json!({}),
    )
    .await;
    let run = &rejected["data"]["importRoster"];
    assert_eq!(run["status"], "REJECTED", "{rejected}");
    let problem = &run["problems"][0];
    assert_eq!(problem["severity"], "ERROR");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| "éèàç".contains(c))
            || problem["message"].as_str().unwrap().contains(' '),
        "a French message: {problem}"
    );
    assert_eq!(
        app.data("{ coordinators { email } }").await["coordinators"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}

#[tokio::test]
async fn uploads_need_an_admin_token_and_respect_the_size_limit() {
    let app = spawn_app().await;
    let (_, anonymous) = upload(&app, None, "r.xlsx", fixture("roster-92.xlsx"), json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let editor = app.token(Role::Editor).await;
    let (_, forbidden) = upload(
        &app,
        Some(&editor),
        "r.xlsx",
        fixture("roster-92.xlsx"),
        json!({}),
    )
    .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let admin = app.token(Role::Admin).await;
    let (status, _) = upload(
        &app,
        Some(&admin),
        "huge.xlsx",
        vec![b'x'; 11 * 1024 * 1024],
        json!({}),
    )
    .await;
    assert_eq!(status, 413);
    let runs = app
        .graphql_as(&admin, "{ syncRuns { totalCount } }", json!({}))
        .await;
    assert_eq!(runs["data"]["syncRuns"]["totalCount"], 0, "nothing ran");
    // Two files in one request: refused before anything is read.
    let operations = json!({ "query": IMPORT, "variables": { "file": null } });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text(
            "map",
            json!({ "0": ["variables.file"], "1": ["variables.file"] }).to_string(),
        )
        .part(
            "0",
            reqwest::multipart::Part::bytes(fixture("roster-92.xlsx")).file_name("a.xlsx"),
        )
        .part(
            "1",
            reqwest::multipart::Part::bytes(fixture("roster-92.xlsx")).file_name("b.xlsx"),
        );
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&admin)
        .header("apollo-require-preflight", "true")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn run_roster_sync_processes_the_drop_folder_now() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let query = "mutation($force: Boolean) { runRosterSync(force: $force) { run { status trigger actor } superseded waiting } }";
    let empty = app.graphql_as(&admin, query, json!({})).await;
    assert_eq!(
        empty["data"]["runRosterSync"],
        json!({ "run": null, "superseded": [], "waiting": [] })
    );

    std::fs::write(
        app.inbox.path().join("ancien.xlsx"),
        fixture("roster-92.xlsx"),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        app.inbox.path().join("export RH.xlsx"),
        fixture("roster-92-hr-export.xlsx"),
    )
    .unwrap();
    let done = app.graphql_as(&admin, query, json!({})).await;
    let result = &done["data"]["runRosterSync"];
    assert_eq!(result["run"]["status"], "APPLIED", "{done}");
    assert_eq!(result["run"]["trigger"], "MANUAL");
    let superseded = result["superseded"].as_array().unwrap();
    assert_eq!(superseded.len(), 1);
    assert!(
        superseded[0].as_str().unwrap().ends_with("ancien.xlsx"),
        "{superseded:?}"
    );
    assert!(app.inbox.path().join("archive").is_dir());
    assert!(
        !app.inbox.path().join("export RH.xlsx").exists(),
        "moved to the archive"
    );
}

#[tokio::test]
async fn an_unreadable_newest_file_never_makes_run_roster_sync_fail() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let query = "mutation { runRosterSync { run { status fileName problems { code } } waiting } }";
    let inbox = app.inbox.path();
    std::fs::write(
        inbox.join("export.xlsx"),
        fixture("roster-92-hr-export.xlsx"),
    )
    .unwrap();
    let old = std::fs::File::options()
        .append(true)
        .open(inbox.join("export.xlsx"))
        .unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .unwrap();
    // Newer, and cannot be opened: a link to a file that is gone.
    std::os::unix::fs::symlink(inbox.join("parti.xlsx"), inbox.join("nouveau.xlsx")).unwrap();

    let done = app.graphql_as(&admin, query, json!({})).await;
    assert!(done.get("errors").is_none(), "not INTERNAL: {done}");
    let run = &done["data"]["runRosterSync"]["run"];
    assert_eq!(run["status"], "APPLIED", "{done}");
    assert_eq!(run["fileName"], "export.xlsx");
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns { edges { node { status fileName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        runs["data"]["syncRuns"]["edges"],
        json!([
            { "node": { "status": "APPLIED", "fileName": "export.xlsx" } },
            { "node": { "status": "REJECTED", "fileName": "nouveau.xlsx" } },
        ]),
        "{runs}"
    );
    assert!(
        std::fs::symlink_metadata(inbox.join("nouveau.xlsx")).is_err(),
        "moved to rejected/"
    );
}

/// The seeded roster's first two people with a Téléphone fixe column, as an .xlsx.
fn roster_with_landline() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: [[&str; 5]; 3] = [
        ["Nom", "Prénom", "Territoire", "Courriel", "Tél. fixe"],
        [
            "LARA",
            "Sandrine",
            "Territoire 1",
            "slara@hauts-de-seine.fr",
            "01 41 37 11 11",
        ],
        [
            "MAILLARD",
            "Bertrand",
            "Territoire 2",
            "bmaillard@hauts-de-seine.fr",
            "",
        ],
    ];
    for (r, row) in (0u32..).zip(rows) {
        for (c, value) in (0u16..).zip(row) {
            if !value.is_empty() {
                sheet.write_string(r, c, value).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[tokio::test]
async fn the_landline_is_public_like_the_mobile() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let (status, imported) = upload(
        &app,
        Some(&admin),
        "fixe.xlsx",
        roster_with_landline(),
        json!({ "force": true }),
    )
    .await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(
        imported["data"]["importRoster"]["status"], "APPLIED",
        "{imported}"
    );
    let data = app
        .data(
            "{ one: territory(number: 1) { coordinator { lastName phone landline landlineE164 } } \
             coordinators { lastName landline landlineE164 } }",
        )
        .await;
    assert_eq!(
        data["one"]["coordinator"],
        json!({
            "lastName": "LARA",
            "phone": "07 60 77 99 05",
            "landline": "01 41 37 11 11",
            "landlineE164": "+33141371111",
        })
    );
    // Only the people in the roster are public; an empty cell is no landline.
    assert_eq!(
        data["coordinators"],
        json!([
            { "lastName": "LARA", "landline": "01 41 37 11 11", "landlineE164": "+33141371111" },
            { "lastName": "MAILLARD", "landline": null, "landlineE164": null },
        ])
    );
}
