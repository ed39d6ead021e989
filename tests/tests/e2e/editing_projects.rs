//! Editing projects: creation, validation with input paths, conflicts, archiving, and
//! the effect seen through the read API.

use entity::Role;
use serde_json::{Value, json};
use territoires_tests::seed::seed_work;
use territoires_tests::{TestApp, error_code, spawn_app};

const CREATE: &str = "mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id title version status axes territories { number } communes { name } colleges { uai } themes { code } lead { lastName } partners { name } startDate endDate } }
}";

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql_as(token, CREATE, json!({ "input": input }))
        .await
}

#[tokio::test]
async fn create_project_example_of_the_issue_shows_in_lists_and_overview() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let response = app
        .graphql_as(
            &editor,
            r#"mutation { createProject(input: {title: "Forum citoyen des collégiens", territories: [3], axes: [CITIZENSHIP]}) { project { id title version status axes territories { number } } } }"#,
            json!({}),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    let project = &response["data"]["createProject"]["project"];
    assert_eq!(project["version"], 1);
    assert_eq!(project["status"], "IDEA");
    assert_eq!(project["axes"], json!(["CITIZENSHIP"]));
    assert_eq!(project["territories"], json!([{ "number": 3 }]));

    let listed = app.data("{ projects(filter: {territory: 3}) { edges { node { title } } } territory(number: 3) { overview { projectCount projectsByAxis { key count } } } }").await;
    assert_eq!(
        listed["projects"]["edges"],
        json!([{ "node": { "title": "Forum citoyen des collégiens" } }])
    );
    assert_eq!(listed["territory"]["overview"]["projectCount"], 1);
    assert_eq!(
        listed["territory"]["overview"]["projectsByAxis"][2],
        json!({ "key": "CITIZENSHIP", "count": 1 })
    );
}

#[tokio::test]
async fn links_are_resolved_from_the_names_people_use() {
    let app = spawn_app().await;
    let seeded = seed_work(&app.db).await;
    let editor = app.token(Role::Editor).await;
    let lead = app
        .data("{ territory(number: 1) { coordinator { id } } }")
        .await["territory"]["coordinator"]["id"]
        .clone();
    let partner = territoires::graphql::ids::encode("Partner", seeded.partners[0]);
    let response = create(
        &app,
        &editor,
        json!({
            "title": "  Parcours inter-collèges  ",
            "status": "PLANNED",
            "communes": ["Asnières", "92036"],
            "colleges": ["0920068Z"],
            "themes": ["wellbeing", "MENTAL_HEALTH"],
            "lead": lead,
            "partners": [partner],
            "startDate": "2027-01-04",
            "endDate": "2027-06-30",
        }),
    )
    .await;
    assert!(response.get("errors").is_none(), "{response}");
    let project = &response["data"]["createProject"]["project"];
    assert_eq!(project["title"], "Parcours inter-collèges");
    assert_eq!(
        project["communes"],
        json!([{ "name": "Asnières-sur-Seine" }, { "name": "Gennevilliers" }])
    );
    assert_eq!(project["lead"]["lastName"], "LARA");
    assert_eq!(project["startDate"], "2027-01-04");
    let territories: Vec<i64> = project["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    assert!(
        territories.contains(&1),
        "through its communes: {territories:?}"
    );
    assert_eq!(
        project["themes"],
        json!([{ "code": "WELLBEING" }, { "code": "MENTAL_HEALTH" }])
    );
    assert_eq!(
        project["partners"],
        json!([{ "name": "Service jeunesse de Nanterre" }])
    );
}

#[tokio::test]
async fn invalid_inputs_are_refused_with_their_path_and_nothing_is_written() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let cases = [
        (
            json!({ "title": "   ", "territories": [1] }),
            json!(["input", "title"]),
        ),
        (
            json!({ "title": "T", "territories": [1, 9] }),
            json!(["input", "territories", "1"]),
        ),
        (
            json!({ "title": "T", "communes": ["Paris"] }),
            json!(["input", "communes", "0"]),
        ),
        (
            json!({ "title": "T", "colleges": ["0920068A"] }),
            json!(["input", "colleges", "0"]),
        ),
        (
            json!({ "title": "T", "territories": [1], "themes": ["NOPE"] }),
            json!(["input", "themes", "0"]),
        ),
        (
            json!({ "title": "T", "territories": [1], "partners": ["UGFydG5lcjo5OTk5"] }),
            json!(["input", "partners", "0"]),
        ),
        (
            json!({ "title": "T", "territories": [1], "lead": "Q29vcmRpbmF0b3I6OTk5OTk" }),
            json!(["input", "lead"]),
        ),
        (
            json!({ "title": "T", "territories": [1], "startDate": "2027-02-01", "endDate": "2027-01-01" }),
            json!(["input", "endDate"]),
        ),
        (json!({ "title": "T" }), json!(["input", "territories"])),
    ];
    for (input, path) in cases {
        let response = create(&app, &editor, input.clone()).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{input}: {response}"
        );
        assert_eq!(response["errors"][0]["extensions"]["path"], path, "{input}");
    }
    let unknown_status = create(
        &app,
        &editor,
        json!({ "title": "T", "territories": [1], "status": "SOMEDAY" }),
    )
    .await;
    assert_eq!(error_code(&unknown_status), Some("BAD_USER_INPUT"));
    let admin = app.token(Role::Admin).await;
    let log = app
        .graphql_as(
            &admin,
            "{ projects { totalCount } auditLog { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(log["data"]["projects"]["totalCount"], 0);
    assert_eq!(
        log["data"]["auditLog"]["totalCount"], 0,
        "nothing written: {log}"
    );
}

#[tokio::test]
async fn updates_check_the_version_and_a_stale_one_is_a_conflict() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let created = create(
        &app,
        &editor,
        json!({ "title": "Projet", "territories": [2], "summary": "Un résumé" }),
    )
    .await;
    let id = created["data"]["createProject"]["project"]["id"].clone();
    let update = "mutation($id: ID!, $v: Int!, $input: UpdateProjectInput!) { updateProject(id: $id, expectedVersion: $v, input: $input) { project { title summary status version territories { number } } } }";

    let first = app
        .graphql_as(&editor, update, json!({ "id": id, "v": 1, "input": { "title": "Projet renommé", "status": "IN_PROGRESS", "summary": null, "territories": [2, 5] } }))
        .await;
    assert!(first.get("errors").is_none(), "{first}");
    let project = &first["data"]["updateProject"]["project"];
    assert_eq!(project["version"], 2);
    assert_eq!(project["summary"], json!(null), "null clears");
    assert_eq!(
        project["territories"],
        json!([{ "number": 2 }, { "number": 5 }])
    );

    // A colleague still holding version 1.
    let stale = app
        .graphql_as(
            &editor,
            update,
            json!({ "id": id, "v": 1, "input": { "title": "Écrasé ?" } }),
        )
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    let now = app
        .graphql_with(
            "query($id: ID!) { node(id: $id) { ... on Project { title version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        now["data"]["node"],
        json!({ "title": "Projet renommé", "version": 2 })
    );

    // Sending what is already there changes nothing, not even the version.
    let same = app
        .graphql_as(
            &editor,
            update,
            json!({ "id": id, "v": 2, "input": { "title": "Projet renommé" } }),
        )
        .await;
    assert_eq!(same["data"]["updateProject"]["project"]["version"], 2);

    let unknown = app
        .graphql_as(
            &editor,
            update,
            json!({ "id": "UHJvamVjdDo5OTk5OQ", "v": 1, "input": { "title": "x" } }),
        )
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    let bad_path = app
        .graphql_as(
            &editor,
            update,
            json!({ "id": id, "v": 2, "input": { "title": "" } }),
        )
        .await;
    assert_eq!(
        bad_path["errors"][0]["extensions"]["path"],
        json!(["input", "title"])
    );
}

#[tokio::test]
async fn archived_projects_leave_public_lists_and_can_be_restored() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let created = create(
        &app,
        &editor,
        json!({ "title": "Éphémère", "territories": [7] }),
    )
    .await;
    let id = created["data"]["createProject"]["project"]["id"].clone();
    let archive = app
        .graphql_as(&editor, "mutation($id: ID!) { archiveProject(id: $id, expectedVersion: 1) { project { archived version } } }", json!({ "id": id }))
        .await;
    assert_eq!(
        archive["data"]["archiveProject"]["project"],
        json!({ "archived": true, "version": 2 })
    );
    assert_eq!(
        app.data("{ projects { totalCount } }").await["projects"]["totalCount"],
        0
    );
    assert_eq!(
        app.graphql_with(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await["data"]["node"],
        json!(null)
    );
    let seen = app
        .graphql_as(
            &editor,
            "query($id: ID!) { node(id: $id) { ... on Project { title archived } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        seen["data"]["node"],
        json!({ "title": "Éphémère", "archived": true })
    );
    let stale = app
        .graphql_as(&editor, "mutation($id: ID!) { restoreProject(id: $id, expectedVersion: 1) { project { archived } } }", json!({ "id": id }))
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"));
    let restored = app
        .graphql_as(
            &editor,
            "mutation($id: ID!) { restoreProject(id: $id) { project { archived version } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        restored["data"]["restoreProject"]["project"],
        json!({ "archived": false, "version": 3 })
    );
    assert_eq!(
        app.data("{ projects { totalCount } }").await["projects"]["totalCount"],
        1
    );
}

#[tokio::test]
async fn mutations_need_a_valid_token_of_the_right_role() {
    let app = spawn_app().await;
    let mutation =
        r#"mutation { createProject(input: {title: "x", territories: [1]}) { project { id } } }"#;
    let (status, anonymous) = app.post(None, mutation, json!({})).await;
    assert_eq!(
        (status, error_code(&anonymous)),
        (200, Some("UNAUTHENTICATED"))
    );
    let (status, unknown) = app.post(Some("terr_unknown"), mutation, json!({})).await;
    assert_eq!(
        (status, error_code(&unknown)),
        (401, Some("UNAUTHENTICATED"))
    );
    let editor = app.token(Role::Editor).await;
    let name = territoires::access::list_tokens(&app.db).await.unwrap()[0]
        .name
        .clone();
    territoires::access::revoke_token(&app.db, &name)
        .await
        .unwrap();
    let (status, revoked) = app.post(Some(&editor), mutation, json!({})).await;
    assert_eq!(
        (status, error_code(&revoked)),
        (401, Some("UNAUTHENTICATED"))
    );
    let editor = app.token(Role::Editor).await;
    let college = app
        .graphql_as(&editor, r#"mutation { createCollege(input: {uai: "0921234A", name: "x", commune: "Antony"}) { college { id } } }"#, json!({}))
        .await;
    assert_eq!(error_code(&college), Some("FORBIDDEN"));
    let theme = app
        .graphql_as(
            &editor,
            r#"mutation { addTheme(input: {code: "X", label: "x"}) { theme { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&theme), Some("FORBIDDEN"));
    assert_eq!(
        app.data("{ projects { totalCount } }").await["projects"]["totalCount"],
        0
    );
}
