//! What the public must not see and what nobody may store: departed coordinators stay
//! out of every public path (a project's lead, a body's representatives), and every text
//! input has a length limit.

use entity::{Role, coordinator};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use territoires_tests::seed::{bump, coordinator_id, seed_work};
use territoires_tests::{TestApp, error_code, spawn_app};

const LINKS: &str = "{
  projects(first: 100) { edges { node { title lead { lastName active } } } }
  localBodies(first: 100) { edges { node { name representatives { lastName active } } } }
}";

/// The last names of the projects' leads and of the bodies' representatives.
fn linked_people(data: &Value) -> (Vec<String>, Vec<String>) {
    let names = |list: &str, field: &str| -> Vec<String> {
        let mut names: Vec<String> = data[list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|edge| match &edge["node"][field] {
                Value::Array(people) => people.clone(),
                Value::Null => vec![],
                one => vec![one.clone()],
            })
            .map(|person| person["lastName"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    (
        names("projects", "lead"),
        names("localBodies", "representatives"),
    )
}

#[tokio::test]
async fn departed_coordinators_leave_public_project_leads_and_representatives() {
    let app = spawn_app().await;
    seed_work(&app.db).await;
    let editor = app.token(Role::Editor).await;
    let before = linked_people(&app.data(LINKS).await);
    assert!(
        before.0.contains(&"VAN DER HEYDEN".to_owned()),
        "{before:?}"
    );
    assert!(
        before.1.contains(&"VAN DER HEYDEN".to_owned()),
        "{before:?}"
    );

    let id = coordinator_id(&app.db, "nvan-der-heyden@hauts-de-seine.fr").await;
    let model = coordinator::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut departed: coordinator::ActiveModel = model.into();
    departed.active = Set(false);
    departed.update(&app.db).await.unwrap();
    bump(&app.db).await;

    let public = app.data(LINKS).await;
    let (leads, representatives) = linked_people(&public);
    assert!(!leads.contains(&"VAN DER HEYDEN".to_owned()), "{public}");
    assert!(
        !representatives.contains(&"VAN DER HEYDEN".to_owned()),
        "{public}"
    );
    assert!(leads.contains(&"AMIEL".to_owned()), "others stay: {public}");
    assert!(representatives.contains(&"AMIEL".to_owned()), "{public}");
    let nanterre = public["localBodies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["name"] == "CLSPD de Nanterre")
        .unwrap();
    assert_eq!(nanterre["node"]["representatives"], json!([]), "omitted");

    // Editors still see who led the work, marked as gone.
    let edited = app.graphql_as(&editor, LINKS, json!({})).await;
    let (leads, representatives) = linked_people(&edited["data"]);
    assert!(leads.contains(&"VAN DER HEYDEN".to_owned()), "{edited}");
    assert!(representatives.contains(&"VAN DER HEYDEN".to_owned()));
    assert!(edited.to_string().contains(r#""active":false"#), "{edited}");
}

/// `query` as `token` is refused with `BAD_USER_INPUT`.
async fn refused(app: &TestApp, token: Option<&str>, query: &str, variables: Value) {
    let response = match token {
        Some(token) => app.graphql_as(token, query, variables).await,
        None => app.graphql_with(query, variables).await,
    };
    assert_eq!(
        error_code(&response),
        Some("BAD_USER_INPUT"),
        "{}",
        &response.to_string()[..300.min(response.to_string().len())]
    );
}

#[tokio::test]
async fn text_inputs_have_length_limits_and_nothing_over_them_is_stored() {
    let app = spawn_app().await;
    let seeded = seed_work(&app.db).await;
    let editor = app.token(Role::Editor).await;
    let create = "mutation($title: String!, $summary: String) {
        createProject(input: {title: $title, summary: $summary, territories: [4], axes: [WELLBEING]})
        { project { id title } } }";
    let projects = "{ projects(first: 100) { totalCount } }";
    let count = |data: Value| data["projects"]["totalCount"].as_i64().unwrap();
    let before = count(app.data(projects).await);

    // Names and titles: 200 characters (accented letters count as one).
    let title = "é".repeat(200);
    let created = app
        .graphql_as(
            &editor,
            create,
            json!({ "title": title, "summary": "x".repeat(10_000) }),
        )
        .await;
    assert_eq!(
        created["data"]["createProject"]["project"]["title"], title,
        "{created}"
    );
    let long_title = format!("{title}e");
    refused(&app, Some(&editor), create, json!({ "title": long_title })).await;
    // Free texts: 10,000 characters.
    let long_summary = "x".repeat(10_001);
    refused(
        &app,
        Some(&editor),
        create,
        json!({ "title": "Titre", "summary": long_summary }),
    )
    .await;
    assert_eq!(
        count(app.data(projects).await),
        before + 1,
        "only the valid one"
    );

    let partner = territoires::graphql::ids::encode("Partner", seeded.partners[0]);
    let expectations =
        "query($id: ID!) { node(id: $id) { ... on Partner { expectations { id } } } }";
    let recorded = app
        .graphql_as(&editor, expectations, json!({ "id": partner }))
        .await;
    assert!(
        recorded["data"]["node"]["expectations"].is_array(),
        "{recorded}"
    );
    refused(
        &app,
        Some(&editor),
        "mutation($id: ID!, $text: String!) {
            recordPartnerExpectation(partnerId: $id, text: $text) { partner { id } } }",
        json!({ "id": partner, "text": "a".repeat(10_001) }),
    )
    .await;
    assert_eq!(
        app.graphql_as(&editor, expectations, json!({ "id": partner }))
            .await,
        recorded,
        "nothing recorded"
    );
    refused(
        &app,
        Some(&editor),
        "mutation($name: String!) { createLocalBody(input: {kind: CLSPD, name: $name, territory: 1}) { localBody { id } } }",
        json!({ "name": "n".repeat(201) }),
    )
    .await;

    // Lookups and searches: 200 characters.
    let long = "a".repeat(201);
    for query in [
        "query($t: String!) { search(text: $t) { __typename } }",
        "query($t: String!) { commune(name: $t) { name } }",
        "query($t: String!) { communes(search: $t) { name } }",
        "query($t: String!) { projects(filter: {text: $t}) { totalCount } }",
    ] {
        refused(&app, None, query, json!({ "t": long })).await;
    }
    let fine = app
        .graphql_with(
            "query($t: String!) { search(text: $t) { __typename } }",
            json!({ "t": "a".repeat(200) }),
        )
        .await;
    assert!(fine.get("errors").is_none(), "{fine}");
}
