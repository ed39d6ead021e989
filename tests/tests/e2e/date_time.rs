//! The `DateTime` scalar over HTTP: answers in UTC at the millisecond with `Z`, inputs
//! with any offset, a malformed input refused as `BAD_USER_INPUT` with its path, and the
//! scalars' specifications in introspection.

use chrono::{DateTime, Utc};
use entity::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use territoires_tests::{TestApp, error_code, spawn_app};

/// Whether `text` has the one shape answers have: `YYYY-MM-DDTHH:MM:SS.sssZ`.
fn is_utc_millis(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    bytes.len() == 24
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && bytes[19] == b'.'
        && digits(20..23)
        && bytes[23] == b'Z'
        && DateTime::parse_from_rfc3339(text).is_ok()
}

/// Every string under a key ending in `At` (or named `at`) in `value`, with its key.
fn times(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match child {
                    Value::String(text) if key == "at" || key.ends_with("At") => {
                        found.push((key.clone(), text.clone()));
                    }
                    _ => times(child, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| times(item, found)),
        _ => {}
    }
}

/// Gives the project titled `title` the last-change time `at` (as the database keeps
/// it, to the microsecond), and tells the servers the data changed.
async fn set_updated_at(app: &TestApp, title: &str, at: &str) {
    let at: DateTime<Utc> = at.parse().unwrap();
    let changed = entity::project::Entity::update_many()
        .col_expr(entity::project::Column::UpdatedAt, Expr::value(at))
        .filter(entity::project::Column::Title.eq(title))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
    entity::data_version::bump(&app.db, entity::DataChangeKind::Projects)
        .await
        .unwrap();
}

async fn create_project(app: &TestApp, editor: &str, title: &str) -> Value {
    let created = app
        .graphql_as(
            editor,
            "mutation($t: String!) { createProject(input: {title: $t, territories: [4], axes: [WELLBEING]}) { project { id createdAt updatedAt } } }",
            json!({ "t": title }),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    created["data"]["createProject"]["project"].clone()
}

#[tokio::test]
async fn every_time_is_answered_in_utc_to_the_millisecond() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let project = create_project(&app, &editor, "Horloge").await;
    let archived = app
        .graphql_as(
            &editor,
            "mutation($id: ID!) { archiveProject(id: $id) { project { archivedAt updatedAt } } }",
            json!({ "id": project["id"] }),
        )
        .await;
    assert!(archived.get("errors").is_none(), "{archived}");
    let partner = app
        .graphql_as(&editor, r#"mutation { createPartner(input: {kind: ASSOCIATION, name: "Horloge et fils", territory: 4}) { partner { createdAt updatedAt } } }"#, json!({}))
        .await;
    let body = app
        .graphql_as(&editor, r#"mutation { createLocalBody(input: {kind: CLSPD, name: "CLSPD horloger", commune: "Gennevilliers"}) { localBody { createdAt updatedAt } } }"#, json!({}))
        .await;
    for created in [&partner, &body] {
        assert!(created.get("errors").is_none(), "{created}");
    }
    let read = app
        .graphql_as(
            &admin,
            "{ apiTokens { createdAt } coordinators { assignments { startedAt endedAt } } auditLog(first: 5) { edges { node { at } } } }",
            json!({}),
        )
        .await;
    assert!(read.get("errors").is_none(), "{read}");

    let mut found = Vec::new();
    for answer in [&project, &archived, &partner, &body, &read] {
        times(answer, &mut found);
    }
    let keys: std::collections::BTreeSet<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    for key in ["createdAt", "updatedAt", "archivedAt", "startedAt", "at"] {
        assert!(keys.contains(key), "no {key} among {found:?}");
    }
    for (key, text) in &found {
        assert!(is_utc_millis(text), "{key}: {text:?}");
    }

    // The database keeps microseconds; the answer drops them (never rounding up).
    set_updated_at(&app, "Horloge", "2031-05-06T07:08:09.123999Z").await;
    let shown = app
        .graphql_as(
            &editor,
            "query($id: ID!) { node(id: $id) { ... on Project { updatedAt } } }",
            json!({ "id": project["id"] }),
        )
        .await;
    assert_eq!(
        shown["data"]["node"]["updatedAt"], "2031-05-06T07:08:09.123Z",
        "{shown}"
    );
}

#[tokio::test]
async fn date_time_inputs_take_any_offset_and_refuse_malformed_values_with_their_path() {
    let app = spawn_app().await;
    let editor = app.token(Role::Editor).await;
    create_project(&app, &editor, "Horloge ancienne").await;
    create_project(&app, &editor, "Horloge récente").await;
    set_updated_at(&app, "Horloge ancienne", "2031-05-06T07:08:09.123456Z").await;
    set_updated_at(&app, "Horloge récente", "2031-05-06T07:08:10Z").await;

    let since = "query($since: DateTime, $after: String) {
      projects(filter: {text: \"horloge\", updatedSince: $since}, first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { title updatedAt } } }";
    let titles = |response: &Value| -> Vec<String> {
        assert!(response.get("errors").is_none(), "{response}");
        response["data"]["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect()
    };

    // The same instant at +02:00: inclusive at the millisecond, so the project whose
    // time was answered as ".123Z" is found again by that very value.
    let both = app
        .graphql_with(since, json!({ "since": "2031-05-06T09:08:09.123+02:00" }))
        .await;
    assert_eq!(both["data"]["projects"]["totalCount"], 2, "{both}");
    assert_eq!(titles(&both), ["Horloge récente"], "newest first");
    assert_eq!(
        both["data"]["projects"]["nodes"][0]["updatedAt"],
        "2031-05-06T07:08:10.000Z"
    );
    // The cursor of an answer at the millisecond still resumes at the right place.
    let next = app
        .graphql_with(
            since,
            json!({
                "since": "2031-05-06T09:08:09.123+02:00",
                "after": both["data"]["projects"]["pageInfo"]["endCursor"],
            }),
        )
        .await;
    assert_eq!(titles(&next), ["Horloge ancienne"]);
    assert_eq!(
        next["data"]["projects"]["nodes"][0]["updatedAt"],
        "2031-05-06T07:08:09.123Z"
    );
    assert_eq!(next["data"]["projects"]["pageInfo"]["hasNextPage"], false);

    // One millisecond later, at -03:30, and as a literal: only the newer one.
    let literal = app
        .graphql(
            "{ projects(filter: {text: \"horloge\", updatedSince: \"2031-05-06T03:38:09.124-03:30\"}) { totalCount nodes { title } } }",
        )
        .await;
    assert!(literal.get("errors").is_none(), "{literal}");
    assert_eq!(literal["data"]["projects"]["totalCount"], 1, "{literal}");

    // Malformed: in a literal and in a variable, BAD_USER_INPUT naming the argument.
    for bad in [
        "yesterday",
        "2031-05-06T07:08:09",
        "2031-05-06",
        "2031-02-30T00:00:00Z",
    ] {
        let literal = app
            .graphql(&format!(
                "{{ projects(filter: {{updatedSince: \"{bad}\"}}) {{ totalCount }} }}"
            ))
            .await;
        assert_eq!(error_code(&literal), Some("BAD_USER_INPUT"), "{literal}");
        assert_eq!(
            literal["errors"][0]["extensions"]["path"],
            json!(["filter", "updatedSince"]),
            "{literal}"
        );
        assert!(literal["data"].is_null(), "{literal}");
        let variable = app
            .graphql_with(
                "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
                json!({ "f": { "updatedSince": bad } }),
            )
            .await;
        assert_eq!(error_code(&variable), Some("BAD_USER_INPUT"), "{variable}");
        assert_eq!(
            variable["errors"][0]["extensions"]["path"],
            json!(["filter", "updatedSince"]),
            "{variable}"
        );
    }
    let not_a_string = app
        .graphql("{ projects(filter: {updatedSince: 1959800889}) { totalCount } }")
        .await;
    assert_eq!(error_code(&not_a_string), Some("BAD_USER_INPUT"));
    assert_eq!(
        not_a_string["errors"][0]["extensions"]["path"],
        json!(["filter", "updatedSince"])
    );
}

#[tokio::test]
async fn introspection_gives_each_scalar_its_specification() {
    let app = spawn_app().await;
    let data = app
        .data(
            "{ dateTime: __type(name: \"DateTime\") { kind specifiedByURL description }
               date: __type(name: \"Date\") { specifiedByURL }
               geoJson: __type(name: \"GeoJSON\") { specifiedByURL }
               json: __type(name: \"JSON\") { specifiedByURL } }",
        )
        .await;
    assert_eq!(data["dateTime"]["kind"], "SCALAR");
    assert_eq!(
        data["dateTime"]["specifiedByURL"],
        "https://scalars.graphql.org/andimarek/date-time"
    );
    let description = data["dateTime"]["description"].as_str().unwrap();
    assert!(
        description.contains("YYYY-MM-DDTHH:MM:SS.sssZ"),
        "{description}"
    );
    assert_eq!(
        data["date"]["specifiedByURL"],
        "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
    );
    assert_eq!(
        data["geoJson"]["specifiedByURL"],
        "https://www.rfc-editor.org/rfc/rfc7946"
    );
    assert_eq!(
        data["json"]["specifiedByURL"],
        "https://www.rfc-editor.org/rfc/rfc8259"
    );
    // The committed SDL carries them too, for code generators.
    let sdl = territoires::graphql::sdl();
    assert!(
        sdl.contains(
            "scalar DateTime @specifiedBy(url: \"https://scalars.graphql.org/andimarek/date-time\")"
        ),
        "{sdl}"
    );
}
