//! The read side of the contract not covered elsewhere: sync runs by id and through
//! `node`, coordinators' territories and assignment history, what hangs off communes,
//! collèges and territories, labels, pagination edges and default page sizes, and
//! people deactivated by an import leaving public view.

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::seed::{bump, seed_bulk, seed_work};
use territoires_tests::{TestApp, error_code, spawn_app};

/// The seeded coordinators as roster rows: (last name, first name, e-mail, territory,
/// phone).
const ROSTER: [(&str, &str, &str, u8, &str); 7] = [
    (
        "LARA",
        "Sandrine",
        "slara@hauts-de-seine.fr",
        1,
        "0760779905",
    ),
    (
        "MAILLARD",
        "Bertrand",
        "bmaillard@hauts-de-seine.fr",
        2,
        "0760902038",
    ),
    (
        "MERLIN",
        "Hannan",
        "hmerlin@hauts-de-seine.fr",
        3,
        "0668176250",
    ),
    (
        "VAN DER HEYDEN",
        "Nathalie",
        "nvan-der-heyden@hauts-de-seine.fr",
        4,
        "0764066007",
    ),
    ("CUQ", "Aude", "acuq@hauts-de-seine.fr", 5, "0661790955"),
    (
        "AMIEL",
        "Isabelle",
        "iamiel@hauts-de-seine.fr",
        6,
        "0760780483",
    ),
    (
        "ROUSTIT",
        "Pierre",
        "proustit@hauts-de-seine.fr",
        7,
        "0698652534",
    ),
];

/// A CSV roster of `rows` (last name, first name, e-mail, territory, phone).
fn roster_csv(rows: &[(&str, &str, &str, u8, &str)]) -> String {
    let mut csv = String::from("NOM,Prénom,Adresse mail,Affectation,Tél. portable\n");
    for (last, first, email, territory, phone) in rows {
        csv.push_str(&format!(
            "{last},{first},{email},Territoire {territory},{phone}\n"
        ));
    }
    csv
}

const RUN: &str = "mutation($dryRun: Boolean, $force: Boolean) {
  runRosterSync(dryRun: $dryRun, force: $force) {
    run { id status added updated moved deactivated reactivated unchanged
          problems { severity row column code message } }
  }
}";

/// Drops `csv` into the drop folder and imports it now; returns the run.
async fn import(app: &TestApp, admin: &str, name: &str, csv: &str) -> Value {
    import_with(app, admin, name, csv, json!({})).await
}

/// The same, forced: a file leaving a territory vacant is refused otherwise.
async fn import_forced(app: &TestApp, admin: &str, name: &str, csv: &str) -> Value {
    import_with(app, admin, name, csv, json!({ "force": true })).await
}

async fn import_with(app: &TestApp, admin: &str, name: &str, csv: &str, variables: Value) -> Value {
    std::fs::write(app.inbox.path().join(name), csv).unwrap();
    let response = app.graphql_as(admin, RUN, variables).await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["runRosterSync"]["run"].clone()
}

const SYNC_RUN: &str = "query($id: ID!) { syncRun(id: $id) {
  id trigger status statusLabel dryRun forced added updated moved deactivated reactivated
  unchanged fileName fileSha256 actor startedAt finishedAt
  problems { severity row column code message }
} }";

#[tokio::test]
async fn sync_runs_are_read_by_id_and_through_node_with_an_admin_token() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let mut rows: Vec<_> = ROSTER[..6].to_vec();
    rows.push((
        "DUPONT",
        "Camille",
        "cdupont@hauts-de-seine.fr",
        7,
        "0612345678",
    ));
    let applied = import(&app, &admin, "effectifs.csv", &roster_csv(&rows)).await;
    assert_eq!(applied["status"], "APPLIED", "{applied}");
    assert_eq!(applied["added"], 1);
    assert_eq!(applied["deactivated"], 1);

    let read = app
        .graphql_as(&admin, SYNC_RUN, json!({ "id": applied["id"] }))
        .await;
    let run = &read["data"]["syncRun"];
    for key in [
        "id",
        "status",
        "added",
        "updated",
        "moved",
        "deactivated",
        "reactivated",
        "unchanged",
    ] {
        assert_eq!(run[key], applied[key], "{key}: {read}");
    }
    assert_eq!(run["trigger"], "MANUAL");
    assert_eq!(run["statusLabel"], "Appliqué");
    assert_eq!(run["dryRun"], false);
    assert_eq!(run["forced"], false);
    assert_eq!(run["fileName"], "effectifs.csv");
    assert_eq!(run["fileSha256"].as_str().unwrap().len(), 64);
    assert!(run["finishedAt"].is_string(), "{run}");
    assert_eq!(run["problems"], applied["problems"]);

    // A file with a bad row: rejected, its problems read back by id, row by row.
    let mut bad = rows.clone();
    bad[2] = ("MERLIN", "Hannan", "pas-une-adresse", 3, "0668176250");
    let rejected = import(&app, &admin, "erreur.csv", &roster_csv(&bad)).await;
    assert_eq!(rejected["status"], "REJECTED", "{rejected}");
    let read = app
        .graphql_as(&admin, SYNC_RUN, json!({ "id": rejected["id"] }))
        .await;
    let run = &read["data"]["syncRun"];
    assert_eq!(run["status"], "REJECTED");
    assert_eq!(run["added"], 0);
    assert_eq!(run["problems"], rejected["problems"]);
    let errors: Vec<&Value> = run["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "ERROR")
        .collect();
    assert_eq!(errors.len(), 1, "{run}");

    // The enum and JSON fields beside the strings say the same.
    let typed = app
        .graphql_as(
            &admin,
            "query($applied: ID!, $rejected: ID!) {
                a: syncRun(id: $applied) { plan planJson }
                r: syncRun(id: $rejected) { plan planJson problems { code codeKind } }
            }",
            json!({ "applied": applied["id"], "rejected": rejected["id"] }),
        )
        .await;
    let mut plans = 0;
    for key in ["a", "r"] {
        let typed_run = &typed["data"][key];
        match typed_run["plan"].as_str() {
            Some(text) => {
                let plan: Value = serde_json::from_str(text).unwrap();
                assert!(plan.is_object(), "{typed}");
                assert_eq!(typed_run["planJson"], plan, "{typed}");
                plans += 1;
            }
            None => assert_eq!(typed_run["planJson"], Value::Null, "{typed}"),
        }
    }
    assert!(plans > 0, "an applied run keeps a compact plan: {typed}");
    let typed_run = &typed["data"]["r"];
    let problems = typed_run["problems"].as_array().unwrap();
    assert!(!problems.is_empty(), "{typed}");
    for problem in problems {
        assert_eq!(problem["codeKind"], problem["code"], "{typed}");
    }
    let log = app
        .graphql_as(
            &admin,
            "{ auditLog(first: 50) { edges { node { entity entityKind } } } }",
            json!({}),
        )
        .await;
    let entries = log["data"]["auditLog"]["edges"].as_array().unwrap();
    assert!(!entries.is_empty(), "{log}");
    for entry in entries {
        let entity = entry["node"]["entity"].as_str().unwrap();
        let mut screaming = String::new();
        for (i, c) in entity.chars().enumerate() {
            if i > 0 && c.is_uppercase() {
                screaming.push('_');
            }
            screaming.push(c.to_ascii_uppercase());
        }
        assert_eq!(entry["node"]["entityKind"], screaming.as_str(), "{log}");
    }
    assert_eq!(
        errors[0]["row"], 4,
        "header on row 1, MERLIN on row 4: {run}"
    );
    assert!(errors[0]["column"].is_string(), "{run}");
    assert!(!errors[0]["code"].as_str().unwrap().is_empty());
    assert!(!errors[0]["message"].as_str().unwrap().is_empty());

    // Through `node`, the same run.
    let node = app
        .graphql_as(
            &admin,
            "query($id: ID!) { node(id: $id) { __typename id ... on SyncRun { status fileName } } }",
            json!({ "id": applied["id"] }),
        )
        .await;
    assert_eq!(
        node["data"]["node"],
        json!({ "__typename": "SyncRun", "id": applied["id"], "status": "APPLIED", "fileName": "effectifs.csv" }),
        "{node}"
    );

    // Unknown: null. Without ADMIN: refused.
    let unknown = territoires::graphql::ids::encode("SyncRun", 999_999);
    let none = app
        .graphql_as(&admin, SYNC_RUN, json!({ "id": unknown }))
        .await;
    assert_eq!(none["data"]["syncRun"], Value::Null, "{none}");
    let editor = app.token(Role::Editor).await;
    let forbidden = app
        .graphql_as(&editor, SYNC_RUN, json!({ "id": applied["id"] }))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let anonymous = app
        .graphql_with(SYNC_RUN, json!({ "id": applied["id"] }))
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let malformed = app
        .graphql_as(&admin, SYNC_RUN, json!({ "id": "%%%" }))
        .await;
    assert_eq!(error_code(&malformed), Some("BAD_USER_INPUT"));
}

const COORDINATOR: &str = "query($id: ID!) { coordinator(id: $id) {
  lastName active territory { number } territories { number }
  assignments { territory { number } startedAt endedAt }
} }";

async fn coordinator_by_email(app: &TestApp, token: &str, email: &str) -> Value {
    let all = app
        .graphql_as(
            token,
            "{ coordinators(includeInactive: true) { id email } }",
            json!({}),
        )
        .await;
    let id = all["data"]["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {all}"))["id"]
        .clone();
    let found = app
        .graphql_as(token, COORDINATOR, json!({ "id": id }))
        .await;
    found["data"]["coordinator"].clone()
}

fn numbers(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn coordinators_list_their_territories_and_keep_their_assignment_history() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let before = coordinator_by_email(&app, &admin, "slara@hauts-de-seine.fr").await;
    assert_eq!(numbers(&before["territories"]), [1]);
    assert_eq!(before["assignments"].as_array().unwrap().len(), 1);
    assert_eq!(before["assignments"][0]["territory"]["number"], 1);
    assert_eq!(before["assignments"][0]["endedAt"], Value::Null);

    // An interim: LARA also covers territory 2.
    let mut rows = ROSTER.to_vec();
    rows.push(ROSTER[0]);
    rows[7].3 = 2;
    let interim = import(&app, &admin, "interim.csv", &roster_csv(&rows)).await;
    assert_eq!(interim["status"], "APPLIED", "{interim}");
    let lara = coordinator_by_email(&app, &admin, "slara@hauts-de-seine.fr").await;
    assert_eq!(numbers(&lara["territories"]), [1, 2], "{lara}");
    assert_eq!(lara["territory"]["number"], 1, "the earliest assignment");
    let t2 = app
        .data("{ territory(number: 2) { coordinators { lastName } coordinator { lastName } } }")
        .await;
    assert_eq!(
        t2["territory"]["coordinators"],
        json!([{ "lastName": "MAILLARD" }, { "lastName": "LARA" }]),
        "the one assigned first first"
    );
    assert_eq!(t2["territory"]["coordinator"]["lastName"], "MAILLARD");

    // The interim hands over: LARA now covers territory 2 only; territory 1's assignment
    // ends but stays in the history (territory 1 left vacant: forced).
    let mut rows = ROSTER.to_vec();
    rows[0].3 = 2;
    let moved = import_forced(&app, &admin, "relais.csv", &roster_csv(&rows)).await;
    assert_eq!(moved["status"], "APPLIED", "{moved}");
    let lara = coordinator_by_email(&app, &admin, "slara@hauts-de-seine.fr").await;
    assert_eq!(numbers(&lara["territories"]), [2], "{lara}");
    assert_eq!(lara["territory"]["number"], 2);
    let history = lara["assignments"].as_array().unwrap();
    let ended: Vec<_> = history
        .iter()
        .filter(|a| !a["endedAt"].is_null())
        .map(|a| a["territory"]["number"].as_i64().unwrap())
        .collect();
    let current: Vec<_> = history
        .iter()
        .filter(|a| a["endedAt"].is_null())
        .map(|a| a["territory"]["number"].as_i64().unwrap())
        .collect();
    assert_eq!(ended, [1], "{lara}");
    assert_eq!(current, [2], "{lara}");
    for assignment in history {
        if let Some(end) = assignment["endedAt"].as_str() {
            assert!(
                end >= assignment["startedAt"].as_str().unwrap(),
                "{assignment}"
            );
        }
    }
    let t1 = app
        .data("{ territory(number: 1) { coordinators { lastName } coordinator { lastName } } }")
        .await;
    assert_eq!(
        t1["territory"],
        json!({ "coordinators": [], "coordinator": null }),
        "vacant"
    );
}

#[tokio::test]
async fn coordinators_deactivated_by_an_import_leave_public_search_and_lists() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    let search =
        "query($t: String!) { search(text: $t) { __typename ... on Coordinator { lastName } } }";
    let found = app.graphql_with(search, json!({ "t": "Roustit" })).await;
    assert_eq!(
        found["data"]["search"],
        json!([{ "__typename": "Coordinator", "lastName": "ROUSTIT" }])
    );
    let roustit = coordinator_by_email(&app, &admin, "proustit@hauts-de-seine.fr").await;
    assert_eq!(roustit["active"], true);

    // Territory 7 is left vacant: only a forced import does that.
    let applied = import_forced(&app, &admin, "sans-roustit.csv", &roster_csv(&ROSTER[..6])).await;
    assert_eq!(applied["status"], "APPLIED", "{applied}");
    assert_eq!(applied["deactivated"], 1);

    let public = app.graphql_with(search, json!({ "t": "Roustit" })).await;
    assert_eq!(public["data"]["search"], json!([]), "{public}");
    let editors = app
        .graphql_as(&editor, search, json!({ "t": "Roustit" }))
        .await;
    assert_eq!(
        editors["data"]["search"],
        json!([{ "__typename": "Coordinator", "lastName": "ROUSTIT" }]),
        "editors still find people who left"
    );
    let lists = app
        .data(
            "{ coordinators { lastName } t7: coordinators(territory: 7) { lastName }
               territory(number: 7) { coordinators { lastName } coordinator { lastName } } }",
        )
        .await;
    let everyone: Vec<&str> = lists["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["lastName"].as_str().unwrap())
        .collect();
    assert_eq!(everyone.len(), 6, "{lists}");
    assert!(!everyone.contains(&"ROUSTIT"));
    assert_eq!(lists["t7"], json!([]));
    assert_eq!(
        lists["territory"],
        json!({ "coordinators": [], "coordinator": null })
    );
    let inactive = app
        .graphql_as(
            &editor,
            "{ coordinators(includeInactive: true) { id lastName active territory { number } } }",
            json!({}),
        )
        .await;
    let left: Vec<&Value> = inactive["data"]["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["active"] == false)
        .collect();
    assert_eq!(left.len(), 1, "{inactive}");
    assert_eq!(left[0]["lastName"], "ROUSTIT");
    assert_eq!(left[0]["territory"], Value::Null, "no current assignment");
    let by_id = "query($id: ID!) { coordinator(id: $id) { lastName email phone } }";
    let hidden = app
        .graphql_with(by_id, json!({ "id": left[0]["id"] }))
        .await;
    assert_eq!(hidden["data"]["coordinator"], Value::Null, "{hidden}");
    // Editors still read the contacts until the retention period erases them.
    let shown = app
        .graphql_as(&editor, by_id, json!({ "id": left[0]["id"] }))
        .await;
    assert_eq!(
        shown["data"]["coordinator"],
        json!({ "lastName": "ROUSTIT", "email": "proustit@hauts-de-seine.fr", "phone": "06 98 65 25 34" })
    );
}

#[tokio::test]
async fn communes_colleges_and_territories_carry_their_links() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            r#"{
        asnieres: commune(inseeCode: "92004") { name aliases }
        nanterre: commune(name: "Nanterre") {
          localBodies { name } partners { name } projects { title }
        }
        clamart: colleges(commune: "Clamart") { uai localBodies { name } projects { title } }
        t6: territory(number: 6) { partners { name } }
        t4: territory(number: 4) { partners { name } }
      }"#,
        )
        .await;
    assert_eq!(data["asnieres"]["name"], "Asnières-sur-Seine");
    let aliases: Vec<&str> = data["asnieres"]["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(aliases.contains(&"Asnières"), "{aliases:?}");
    for alias in &aliases {
        let found = app
            .graphql_with(
                "query($n: String) { commune(name: $n) { inseeCode } }",
                json!({ "n": alias }),
            )
            .await;
        assert_eq!(
            found["data"]["commune"]["inseeCode"], "92004",
            "every alias is accepted: {alias}"
        );
    }

    assert_eq!(
        data["nanterre"],
        json!({
            "localBodies": [{ "name": "CLSPD de Nanterre" }],
            "partners": [{ "name": "Service jeunesse de Nanterre" }],
            "projects": [{ "title": "Parentalité et réseaux sociaux" }],
        }),
        "archived items are left out"
    );

    let colleges = data["clamart"].as_array().unwrap();
    let with_body: Vec<&Value> = colleges
        .iter()
        .filter(|c| !c["localBodies"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(with_body.len(), 1, "{colleges:?}");
    assert_eq!(
        with_body[0]["localBodies"],
        json!([{ "name": "CESC du collège de Clamart" }])
    );
    let with_project = colleges
        .iter()
        .filter(|c| c["projects"] == json!([{ "title": "Prévention des rixes inter-collèges" }]))
        .count();
    assert_eq!(with_project, 2, "{colleges:?}");

    let partner_names = |v: &Value| -> Vec<String> {
        v["partners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        partner_names(&data["t6"]),
        ["Maison des adolescents de Clamart", "Rues et Cités"],
        "directly or through a commune, by name"
    );
    assert_eq!(
        partner_names(&data["t4"]),
        ["Service jeunesse de Nanterre"],
        "not the archived one"
    );
}

#[tokio::test]
async fn labels_of_projects_and_sync_statuses_come_from_the_vocabulary() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let data = app
        .data(
            "{ projects { edges { node { title status statusLabel unit unitLabel } } }
               vocabulary { projectStatuses { value label } saecUnits { value label }
                            syncStatuses { value label } } }",
        )
        .await;
    let label_of = |list: &str, value: &Value| -> Value {
        data["vocabulary"][list]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| &l["value"] == value)
            .unwrap_or_else(|| panic!("{value} in {list}"))["label"]
            .clone()
    };
    let projects = data["projects"]["edges"].as_array().unwrap();
    assert_eq!(projects.len(), 4);
    for edge in projects {
        let project = &edge["node"];
        assert_eq!(
            project["statusLabel"],
            label_of("projectStatuses", &project["status"])
        );
        if project["unit"].is_null() {
            assert!(project["unitLabel"].is_null(), "{project}");
        } else {
            assert_eq!(
                project["unitLabel"],
                label_of("saecUnits", &project["unit"])
            );
        }
    }
    let rixes = projects
        .iter()
        .find(|e| e["node"]["title"] == "Prévention des rixes inter-collèges")
        .unwrap();
    assert_eq!(rixes["node"]["unit"], "PREVENTION_CITIZENSHIP");
    assert!(
        !rixes["node"]["unitLabel"].as_str().unwrap().is_empty()
            && rixes["node"]["unitLabel"] != "PREVENTION_CITIZENSHIP",
        "a French label: {rixes}"
    );
    assert_ne!(rixes["node"]["statusLabel"], "IN_PROGRESS");

    let statuses: Vec<(&str, &str)> = data["vocabulary"]["syncStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].as_str().unwrap(), s["label"].as_str().unwrap()))
        .collect();
    let values: Vec<&str> = statuses.iter().map(|s| s.0).collect();
    assert_eq!(
        values,
        [
            "APPLIED",
            "PLANNED",
            "UNCHANGED",
            "SKIPPED",
            "REJECTED",
            "REFUSED",
            "BUSY",
            "FAILED",
            "RUNNING"
        ]
    );
    assert!(statuses.contains(&("APPLIED", "Appliqué")));
    assert!(statuses.contains(&("RUNNING", "En cours")));
    assert!(statuses.contains(&("PLANNED", "Simulé (essai à blanc)")));
    assert!(statuses.contains(&("REFUSED", "Refusé (trop de désactivations)")));
}

#[tokio::test]
async fn search_finds_colleges() {
    let app = spawn_app().await;
    let colleges = app
        .data(r#"{ colleges(commune: "Clamart") { name uai } }"#)
        .await;
    let name = colleges["colleges"][0]["name"].as_str().unwrap().to_owned();
    let found = app
        .graphql_with(
            "query($t: String!) { search(text: $t) { __typename ... on College { name uai } } }",
            json!({ "t": name }),
        )
        .await;
    assert_eq!(
        found["data"]["search"][0],
        json!({ "__typename": "College", "name": name, "uai": colleges["colleges"][0]["uai"] }),
        "{found}"
    );
}

/// `{ name(first:, after:) { totalCount pageInfo { … } edges { cursor } } }`.
fn page_query(field: &str, filter: &str) -> String {
    format!(
        "query($first: Int, $after: String) {{ page: {field}({filter} first: $first, after: $after) {{
           totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
           edges {{ cursor }} }} }}"
    )
}

async fn page(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    first: Option<i64>,
    after: Option<&str>,
) -> Value {
    let (_, response) = app
        .post(token, query, json!({ "first": first, "after": after }))
        .await;
    assert!(response.get("errors").is_none(), "{query}: {response}");
    response["data"]["page"].clone()
}

/// Empty, exact, last page and a bad cursor for one connection holding `total` items
/// (at least 3) with the filter `full`, and none with the filter `empty`.
async fn check_pagination(
    app: &TestApp,
    token: Option<&str>,
    field: &str,
    full: &str,
    empty: Option<&str>,
    total: i64,
) {
    if let Some(empty) = empty {
        let none = page(app, token, &page_query(field, empty), Some(5), None).await;
        assert_eq!(none["totalCount"], 0, "{field}: {none}");
        assert_eq!(none["edges"], json!([]));
        assert_eq!(
            none["pageInfo"],
            json!({ "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null }),
            "{field}"
        );
    }

    let query = page_query(field, full);
    let exact = page(app, token, &query, Some(total), None).await;
    assert_eq!(exact["totalCount"], total, "{field}");
    assert_eq!(exact["edges"].as_array().unwrap().len() as i64, total);
    assert_eq!(
        exact["pageInfo"]["hasNextPage"], false,
        "{field}: an exact page"
    );

    let first = page(app, token, &query, Some(total - 1), None).await;
    assert_eq!(first["pageInfo"]["hasNextPage"], true, "{field}");
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    assert_eq!(
        first["edges"][(total - 2) as usize]["cursor"],
        cursor.as_str()
    );
    let last = page(app, token, &query, Some(total - 1), Some(&cursor)).await;
    assert_eq!(
        last["edges"].as_array().unwrap().len(),
        1,
        "{field}: {last}"
    );
    assert_eq!(
        last["pageInfo"]["hasNextPage"], false,
        "{field}: the last page"
    );
    assert_eq!(
        last["edges"][0]["cursor"],
        exact["edges"][(total - 1) as usize]["cursor"],
        "{field}: the page after continues where the first stopped"
    );
    assert_eq!(last["totalCount"], total);
    let past = page(
        app,
        token,
        &query,
        Some(3),
        last["pageInfo"]["endCursor"].as_str(),
    )
    .await;
    assert_eq!(past["edges"], json!([]), "{field}: after the end");
    assert_eq!(past["pageInfo"]["hasNextPage"], false);

    for bad in ["not-a-cursor", "%%%"] {
        let (_, response) = app
            .post(token, &query, json!({ "first": 2, "after": bad }))
            .await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{field} after {bad:?}: {response}"
        );
    }
    let (_, too_many) = app.post(token, &query, json!({ "first": 101 })).await;
    assert_eq!(error_code(&too_many), Some("BAD_USER_INPUT"), "{field}");
    let (_, negative) = app.post(token, &query, json!({ "first": -1 })).await;
    assert_eq!(error_code(&negative), Some("BAD_USER_INPUT"), "{field}");
}

/// Records `count` finished sync runs straight into the database.
async fn seed_sync_runs(app: &TestApp, count: usize) {
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    for i in 0..count {
        entity::sync_run::ActiveModel {
            trigger: Set(entity::SyncTrigger::Cli),
            actor: Set("cli".to_owned()),
            file_name: Set(Some(format!("roster-{i}.xlsx"))),
            dry_run: Set(false),
            forced: Set(false),
            status: Set(entity::SyncStatus::Unchanged),
            added: Set(0),
            updated: Set(0),
            moved: Set(0),
            deactivated: Set(0),
            reactivated: Set(0),
            unchanged: Set(7),
            started_at: Set(now),
            finished_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    bump(&app.db).await;
}

#[tokio::test]
async fn connections_page_through_to_the_end_and_refuse_bad_cursors() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let admin = app.token(Role::Admin).await;
    check_pagination(
        &app,
        None,
        "localBodies",
        "",
        Some("filter: { territory: 1 },"),
        3,
    )
    .await;
    check_pagination(
        &app,
        None,
        "partners",
        "",
        Some("filter: { territory: 1 },"),
        3,
    )
    .await;
    let none = page(
        &app,
        Some(&admin),
        &page_query("syncRuns", ""),
        Some(5),
        None,
    )
    .await;
    assert_eq!(none["totalCount"], 0);
    assert_eq!(none["edges"], json!([]));
    assert_eq!(none["pageInfo"]["hasNextPage"], false);
    assert_eq!(none["pageInfo"]["endCursor"], Value::Null);
    seed_sync_runs(&app, 4).await;
    check_pagination(&app, Some(&admin), "syncRuns", "", None, 4).await;
}

#[tokio::test]
async fn connections_give_twenty_items_when_first_is_not_given() {
    let app = spawn_app().await;
    seed_bulk(&app.db, 25).await;
    seed_sync_runs(&app, 23).await;
    let admin = app.token(Role::Admin).await;
    for field in ["partners", "projects", "syncRuns"] {
        let defaults = page(&app, Some(&admin), &page_query(field, ""), None, None).await;
        assert_eq!(defaults["edges"].as_array().unwrap().len(), 20, "{field}");
        assert_eq!(defaults["pageInfo"]["hasNextPage"], true, "{field}");
        assert!(defaults["totalCount"].as_i64().unwrap() > 20, "{field}");
        let rest = page(
            &app,
            Some(&admin),
            &page_query(field, ""),
            None,
            defaults["pageInfo"]["endCursor"].as_str(),
        )
        .await;
        assert_eq!(
            rest["edges"].as_array().unwrap().len() as i64,
            defaults["totalCount"].as_i64().unwrap() - 20,
            "{field}"
        );
    }
}
