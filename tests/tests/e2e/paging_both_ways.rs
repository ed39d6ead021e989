//! Every connection pages both ways (issue 11, item 7): `partners`, `localBodies`,
//! `syncRuns` and `auditLog` take `last`/`before` and `orderBy` like `projects`, and the
//! nested lists of projects, partners and local bodies have connection fields beside them.
//! Walking a list forward then backward gives the same items; orders are honoured; sizes
//! over 100 and foreign cursors are refused; the query budget bounds `last`.

use base64::Engine as _;
use chrono::{Duration, TimeZone, Utc};
use entity::{
    AuditAction, LocalBodyKind, PartnerKind, ProjectStatus, Role, SyncStatus, SyncTrigger,
    audit_log, college, commune, local_body, partner, project, project_college, project_commune,
    project_partner, sync_run, territory,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use territoires_tests::seed::{bump, coordinator_id};
use territoires_tests::{TestApp, error_code, spawn_app};

/// Partner names, in the order they were last changed (oldest first). By name, ignoring
/// case and accents: alpha, Bravo, Charlie, delta, Écoute, Foxtrot, golf.
const PARTNERS: [&str; 7] = [
    "Bravo", "alpha", "Écoute", "delta", "Charlie", "golf", "Foxtrot",
];
const PARTNERS_BY_NAME: [&str; 7] = [
    "alpha", "Bravo", "Charlie", "delta", "Écoute", "Foxtrot", "golf",
];
/// Local body names, oldest change first; the even ones are CLSPDs, the odd ones CESCs.
const BODIES: [&str; 7] = [
    "CLSPD Hotel",
    "CESC India",
    "CLSPD Juliet",
    "CESC Kilo",
    "CLSPD Lima",
    "CESC Mike",
    "CLSPD November",
];
/// Project titles, oldest change first.
const PROJECTS: [&str; 7] = [
    "Projet Oscar",
    "Projet Papa",
    "Projet Quebec",
    "Projet Romeo",
    "Projet Sierra",
    "Projet Tango",
    "Projet Uniform",
];
const RUNS: usize = 5;
const ENTRIES: usize = 7;
const VAN_DER_HEYDEN: &str = "nvan-der-heyden@hauts-de-seine.fr";

async fn commune_of(db: &DatabaseConnection, insee: &str) -> commune::Model {
    commune::Entity::find()
        .filter(commune::Column::InseeCode.eq(insee))
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

/// Seven partners, local bodies and projects around Nanterre (territory 4), each with its
/// own last change, plus an archived one of each that no list shows; five roster runs and
/// seven audit entries.
async fn seed(db: &DatabaseConnection) {
    let base = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).single().unwrap();
    let at = |i: usize| base + Duration::hours(i as i64);
    let nanterre = commune_of(db, "92050").await;
    let t4 = territory::Entity::find()
        .filter(territory::Column::Number.eq(4))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(nanterre.territory_id, t4.id);
    let nanterre_colleges = college::Entity::find()
        .filter(college::Column::CommuneId.eq(nanterre.id))
        .all(db)
        .await
        .unwrap();
    assert!(!nanterre_colleges.is_empty());
    let lead = coordinator_id(db, VAN_DER_HEYDEN).await;

    let mut partners = Vec::new();
    for (i, name) in PARTNERS.iter().chain(["Archivé"].iter()).enumerate() {
        let archived = *name == "Archivé";
        let model = partner::ActiveModel {
            name: Set((*name).to_owned()),
            kind: Set(PartnerKind::Association),
            territory_id: Set(None),
            commune_id: Set(Some(nanterre.id)),
            archived_at: Set(archived.then_some(base)),
            created_at: Set(base),
            updated_at: Set(at(i)),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        partners.push(model.id);
    }
    for (i, name) in BODIES.iter().chain(["CLSPD archivé"].iter()).enumerate() {
        local_body::ActiveModel {
            kind: Set(if i % 2 == 0 {
                LocalBodyKind::Clspd
            } else {
                LocalBodyKind::Cesc
            }),
            name: Set((*name).to_owned()),
            description: Set(None),
            territory_id: Set(t4.id),
            commune_id: Set(Some(nanterre.id)),
            college_id: Set(None),
            archived_at: Set((i == BODIES.len()).then_some(base)),
            created_at: Set(base),
            updated_at: Set(at(i)),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    for (i, title) in PROJECTS.iter().chain(["Projet archivé"].iter()).enumerate() {
        let model = project::ActiveModel {
            title: Set((*title).to_owned()),
            status: Set(ProjectStatus::InProgress),
            lead_coordinator_id: Set(Some(lead)),
            archived_at: Set((i == PROJECTS.len()).then_some(base)),
            created_at: Set(base),
            updated_at: Set(at(i)),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        project_commune::ActiveModel {
            project_id: Set(model.id),
            commune_id: Set(nanterre.id),
        }
        .insert(db)
        .await
        .unwrap();
        for college in &nanterre_colleges {
            project_college::ActiveModel {
                project_id: Set(model.id),
                college_id: Set(college.id),
            }
            .insert(db)
            .await
            .unwrap();
        }
        project_partner::ActiveModel {
            project_id: Set(model.id),
            partner_id: Set(partners[0]),
        }
        .insert(db)
        .await
        .unwrap();
    }
    for i in 0..RUNS {
        sync_run::ActiveModel {
            trigger: Set(SyncTrigger::Cli),
            actor: Set("cli".to_owned()),
            file_name: Set(Some(format!("run-{i}.xlsx"))),
            dry_run: Set(true),
            forced: Set(false),
            status: Set(SyncStatus::Planned),
            started_at: Set(at(i)),
            finished_at: Set(Some(at(i))),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    for i in 0..ENTRIES {
        audit_log::ActiveModel {
            at: Set(at(i)),
            actor: Set(format!("actor-{i}")),
            entity: Set(if i % 2 == 0 { "Partner" } else { "Project" }.to_owned()),
            entity_id: Set(i as i32 + 1),
            action: Set(AuditAction::Update),
            changes: Set("[]".to_owned()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    bump(db).await;
}

/// A paged query: the connection is aliased `c`, its nodes' key `key`; the page
/// arguments and the order are the variables `$first $after $last $before $o`.
struct Paged {
    query: String,
    /// JSON pointer to the connection in the response.
    at: &'static str,
    token: Option<String>,
    /// Further variables.
    variables: Value,
}

impl Paged {
    /// `connection` on `field` (with `arguments` before the page's), ordered by a
    /// `$o: order_type`, reached through `outer` (`{}` marks where).
    fn document(outer: &str, field: &str, arguments: &str, order_type: &str, key: &str) -> String {
        let declared = if outer.contains("$id") {
            ", $id: ID!"
        } else {
            ""
        };
        let inner = format!(
            "c: {field}({arguments}orderBy: $o, first: $first, after: $after, last: $last, before: $before) {{
              totalCount
              pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
              edges {{ cursor node {{ key: {key} }} }}
            }}"
        );
        format!(
            "query($first: Int, $after: String, $last: Int, $before: String, $o: {order_type}{declared}) {{ {} }}",
            outer.replace("{}", &inner)
        )
    }

    fn top(field: &str, order_type: &str, key: &str, token: Option<String>) -> Self {
        Self {
            query: Self::document("{}", field, "", order_type, key),
            at: "/data/c",
            token,
            variables: json!({}),
        }
    }

    async fn send(&self, app: &TestApp, variables: Value) -> Value {
        let mut all = self.variables.clone();
        for (name, value) in variables.as_object().unwrap() {
            all[name] = value.clone();
        }
        match &self.token {
            Some(token) => app.graphql_as(token, &self.query, all).await,
            None => app.graphql_with(&self.query, all).await,
        }
    }

    async fn page(&self, app: &TestApp, variables: Value) -> Value {
        let response = self.send(app, variables.clone()).await;
        assert!(response.get("errors").is_none(), "{variables}: {response}");
        response.pointer(self.at).unwrap().clone()
    }

    /// The keys of the whole list in `order`, walked forward two at a time, after
    /// checking that walking it backward two at a time (starting with `last` and no
    /// `before`) gives the same, and that `pageInfo` agrees both ways.
    async fn walk(&self, app: &TestApp, order: Value) -> Vec<String> {
        let mut forward = Vec::new();
        let mut after = Value::Null;
        let mut total = None;
        for pages in 0.. {
            assert!(pages < 20, "forward paging does not end");
            let page = self
                .page(app, json!({ "first": 2, "after": after, "o": order }))
                .await;
            assert_eq!(
                page["pageInfo"]["hasPreviousPage"],
                !after.is_null(),
                "{page}"
            );
            total.get_or_insert_with(|| page["totalCount"].clone());
            forward.extend(keys(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(total, Some(json!(forward.len())), "totalCount");

        let mut backward = Vec::new();
        let mut before = Value::Null;
        for pages in 0.. {
            assert!(pages < 20, "backward paging does not end");
            let page = self
                .page(app, json!({ "last": 2, "before": before, "o": order }))
                .await;
            assert_eq!(page["pageInfo"]["hasNextPage"], !before.is_null(), "{page}");
            if before.is_null() {
                // `last` alone: the end of the list.
                assert_eq!(keys(&page), forward[forward.len().saturating_sub(2)..]);
            }
            let mut keys = keys(&page);
            keys.extend(backward);
            backward = keys;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backward, forward, "backward and forward walks differ");
        forward
    }

    /// Refusals shared by every connection: sizes over 100 or negative, cursors that
    /// are not this list's (garbage, or of `other_order`).
    async fn refuses_bad_arguments(&self, app: &TestApp, order: Value, other_order: Value) {
        let foreign = self
            .page(app, json!({ "first": 1, "o": other_order }))
            .await["pageInfo"]["endCursor"]
            .clone();
        assert!(foreign.is_string());
        for variables in [
            json!({ "first": 101 }),
            json!({ "last": 101 }),
            json!({ "last": -1 }),
            json!({ "after": "not-a-cursor" }),
            json!({ "before": "not-a-cursor" }),
            json!({ "after": foreign }),
            json!({ "last": 1, "before": foreign }),
        ] {
            let mut variables = variables;
            variables["o"] = order.clone();
            let response = self.send(app, variables.clone()).await;
            assert_eq!(
                error_code(&response),
                Some("BAD_USER_INPUT"),
                "{variables}: {response}"
            );
        }
        let whole = self.page(app, json!({ "last": 100, "o": order })).await;
        assert_eq!(
            keys(&whole).len() as i64,
            whole["totalCount"].as_i64().unwrap()
        );
    }
}

fn keys(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match &e["node"]["key"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn strings(list: impl IntoIterator<Item = impl ToString>) -> Vec<String> {
    list.into_iter().map(|s| s.to_string()).collect()
}

fn reversed(list: &[String]) -> Vec<String> {
    list.iter().rev().cloned().collect()
}

#[tokio::test]
async fn partners_and_local_bodies_page_both_ways_by_name_or_last_change() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let by_update_desc: Vec<String> = reversed(&strings(PARTNERS));

    let partners = Paged::top("partners", "PartnerOrder", "name", None);
    let by_name = partners.walk(&app, Value::Null).await;
    assert_eq!(by_name, strings(PARTNERS_BY_NAME));
    assert_eq!(
        partners.walk(&app, json!({ "field": "NAME" })).await,
        by_name
    );
    assert_eq!(
        partners
            .walk(&app, json!({ "field": "NAME", "direction": "DESC" }))
            .await,
        reversed(&by_name)
    );
    assert_eq!(
        partners.walk(&app, json!({ "field": "UPDATED_AT" })).await,
        by_update_desc
    );
    assert_eq!(
        partners
            .walk(&app, json!({ "field": "UPDATED_AT", "direction": "ASC" }))
            .await,
        strings(PARTNERS)
    );

    let bodies = Paged::top("localBodies", "LocalBodyOrder", "name", None);
    let mut sorted = strings(BODIES);
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(bodies.walk(&app, Value::Null).await, sorted);
    assert_eq!(
        bodies.walk(&app, json!({ "field": "UPDATED_AT" })).await,
        reversed(&strings(BODIES))
    );
    assert_eq!(
        bodies
            .walk(&app, json!({ "field": "NAME", "direction": "DESC" }))
            .await,
        reversed(&sorted)
    );

    // The cursors handed out before `orderBy` existed (by name) still mean the same.
    let first_two = partners.page(&app, json!({ "first": 2 })).await;
    let next = partners
        .page(
            &app,
            json!({ "first": 2, "after": first_two["pageInfo"]["endCursor"], "o": { "field": "NAME", "direction": "ASC" } }),
        )
        .await;
    assert_eq!(keys(&next), strings(&PARTNERS_BY_NAME[2..4]));
}

#[tokio::test]
async fn sync_runs_and_audit_log_page_both_ways_newest_or_oldest_first() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let admin = app.token(Role::Admin).await;

    let runs = Paged::top("syncRuns", "HistoryOrder", "fileName", Some(admin.clone()));
    let oldest_first: Vec<String> = (0..RUNS).map(|i| format!("run-{i}.xlsx")).collect();
    assert_eq!(runs.walk(&app, Value::Null).await, reversed(&oldest_first));
    assert_eq!(
        runs.walk(&app, json!("NEWEST_FIRST")).await,
        reversed(&oldest_first)
    );
    assert_eq!(runs.walk(&app, json!("OLDEST_FIRST")).await, oldest_first);

    let log = Paged::top("auditLog", "HistoryOrder", "actor", Some(admin.clone()));
    let oldest_first: Vec<String> = (0..ENTRIES).map(|i| format!("actor-{i}")).collect();
    assert_eq!(log.walk(&app, Value::Null).await, reversed(&oldest_first));
    assert_eq!(log.walk(&app, json!("OLDEST_FIRST")).await, oldest_first);

    // The cursors handed out before (newest first only) still work: audit entry ids are
    // 1 to 7 in insertion order, run ids 1 to 5.
    let after_five = log
        .page(&app, json!({ "first": 2, "after": "audit:5" }))
        .await;
    assert_eq!(keys(&after_five), ["actor-3", "actor-2"]);
    let run_cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("SyncRunCursor:4");
    let after_four = runs
        .page(&app, json!({ "first": 2, "after": run_cursor }))
        .await;
    assert_eq!(keys(&after_four), ["run-2.xlsx", "run-1.xlsx"]);

    // With a filter, the window and the count are the filter's.
    let partners_only = Paged {
        query: Paged::document(
            "{}",
            "auditLog",
            "entity: \"Partner\", ",
            "HistoryOrder",
            "actor",
        ),
        at: "/data/c",
        token: Some(admin),
        variables: json!({}),
    };
    let even: Vec<String> = oldest_first.iter().step_by(2).cloned().collect();
    assert_eq!(partners_only.walk(&app, json!("OLDEST_FIRST")).await, even);
    assert_eq!(partners_only.walk(&app, Value::Null).await, reversed(&even));
}

#[tokio::test]
async fn every_top_level_connection_refuses_big_pages_and_foreign_cursors() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let admin = app.token(Role::Admin).await;
    Paged::top("partners", "PartnerOrder", "name", None)
        .refuses_bad_arguments(&app, Value::Null, json!({ "field": "UPDATED_AT" }))
        .await;
    Paged::top("localBodies", "LocalBodyOrder", "name", None)
        .refuses_bad_arguments(
            &app,
            json!({ "field": "UPDATED_AT" }),
            json!({ "field": "NAME", "direction": "DESC" }),
        )
        .await;
    Paged::top("syncRuns", "HistoryOrder", "fileName", Some(admin.clone()))
        .refuses_bad_arguments(&app, Value::Null, json!("OLDEST_FIRST"))
        .await;
    Paged::top("auditLog", "HistoryOrder", "actor", Some(admin.clone()))
        .refuses_bad_arguments(&app, json!("OLDEST_FIRST"), json!("NEWEST_FIRST"))
        .await;
    // A cursor of one history is not one of the other.
    let run_cursor = app
        .graphql_as(
            &admin,
            "{ syncRuns(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await["data"]["syncRuns"]["pageInfo"]["endCursor"]
        .clone();
    let response = app
        .graphql_as(
            &admin,
            "query($a: String) { auditLog(after: $a) { totalCount } }",
            json!({ "a": run_cursor }),
        )
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
}

#[tokio::test]
async fn the_query_budget_counts_last_like_first() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let nested = |size: i32| {
        format!(
            "{{ partners(last: {size}) {{ edges {{ node {{ name projectsConnection(last: {size}) {{ edges {{ node {{ title status startDate }} }} }} }} }} }} }}"
        )
    };
    let small = app.graphql(&nested(2)).await;
    assert!(small.get("errors").is_none(), "{small}");
    let large = app.graphql(&nested(100)).await;
    assert_eq!(error_code(&large), Some("BAD_USER_INPUT"), "{large}");
    assert!(large["data"].is_null(), "refused before running: {large}");
}

#[tokio::test]
async fn nested_lists_have_connections_beside_them() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let updated_desc = reversed(&strings(PROJECTS));
    let coordinator = app.data("{ coordinators { id email } }").await["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == VAN_DER_HEYDEN)
        .unwrap()["id"]
        .clone();

    let nested = |outer: &str, field: &str, arguments: &str, order: &str, key: &str, at| Paged {
        query: Paged::document(outer, field, arguments, order, key),
        at,
        token: None,
        variables: json!({ "id": coordinator }),
    };
    let commune_projects = nested(
        "commune(inseeCode: \"92050\") { {} }",
        "projectsConnection",
        "",
        "ProjectOrder",
        "title",
        "/data/commune/c",
    );
    let coordinator_projects = nested(
        "coordinator(id: $id) { {} }",
        "projectsConnection",
        "",
        "ProjectOrder",
        "title",
        "/data/coordinator/c",
    );
    let partner_projects = nested(
        "partners(filter: { text: \"bravo\" }) { edges { node { {} } } }",
        "projectsConnection",
        "",
        "ProjectOrder",
        "title",
        "/data/partners/edges/0/node/c",
    );
    let college_projects = nested(
        "commune(inseeCode: \"92050\") { colleges { {} } }",
        "projectsConnection",
        "",
        "ProjectOrder",
        "title",
        "/data/commune/colleges/0/c",
    );
    for paged in [
        &commune_projects,
        &coordinator_projects,
        &partner_projects,
        &college_projects,
    ] {
        assert_eq!(
            paged.walk(&app, Value::Null).await,
            updated_desc,
            "{}",
            paged.query
        );
        assert_eq!(
            paged
                .walk(&app, json!({ "field": "TITLE", "direction": "ASC" }))
                .await,
            strings(PROJECTS),
            "{}",
            paged.query
        );
    }

    let commune_partners = nested(
        "commune(inseeCode: \"92050\") { {} }",
        "partnersConnection",
        "",
        "PartnerOrder",
        "name",
        "/data/commune/c",
    );
    let territory_partners = nested(
        "territory(number: 4) { {} }",
        "partnersConnection",
        "",
        "PartnerOrder",
        "name",
        "/data/territory/c",
    );
    for paged in [&commune_partners, &territory_partners] {
        assert_eq!(
            paged.walk(&app, Value::Null).await,
            strings(PARTNERS_BY_NAME)
        );
        assert_eq!(
            paged.walk(&app, json!({ "field": "UPDATED_AT" })).await,
            reversed(&strings(PARTNERS))
        );
    }
    let clspds = nested(
        "territory(number: 4) { {} }",
        "localBodiesConnection",
        "kind: CLSPD, ",
        "LocalBodyOrder",
        "name",
        "/data/territory/c",
    );
    let even: Vec<String> = BODIES.iter().step_by(2).map(|s| s.to_string()).collect();
    assert_eq!(clspds.walk(&app, Value::Null).await, even);

    // The lists they replace (deprecated) hold the same items in the default order.
    let lists = app
        .data(
            "{ commune(inseeCode: \"92050\") { projects { title } partners { name } colleges { projects { title } } }
               territory(number: 4) { partners { name } localBodies(kind: CLSPD) { name } }
               partners(filter: { text: \"bravo\" }) { edges { node { projects { title } } } } }",
        )
        .await;
    let names = |list: &Value, key: &str| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item[key].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&lists["commune"]["projects"], "title"), updated_desc);
    assert_eq!(
        names(&lists["commune"]["colleges"][0]["projects"], "title"),
        updated_desc
    );
    assert_eq!(
        names(&lists["partners"]["edges"][0]["node"]["projects"], "title"),
        updated_desc
    );
    assert_eq!(
        names(&lists["commune"]["partners"], "name"),
        strings(PARTNERS_BY_NAME)
    );
    assert_eq!(
        names(&lists["territory"]["partners"], "name"),
        strings(PARTNERS_BY_NAME)
    );
    assert_eq!(names(&lists["territory"]["localBodies"], "name"), even);

    // Same cursors as the top-level list of the same projects.
    let top = app
        .data("{ projects(filter: { commune: \"92050\" }, first: 3) { pageInfo { endCursor } } }")
        .await;
    let rest = commune_projects
        .page(
            &app,
            json!({ "after": top["projects"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(keys(&rest), updated_desc[3..]);

    // Limits and cursors are checked as at the top.
    for variables in [json!({ "last": 101 }), json!({ "before": "not-a-cursor" })] {
        let response = commune_projects.send(&app, variables.clone()).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{variables}: {response}"
        );
    }
}

#[tokio::test]
async fn paging_backward_costs_the_statements_of_paging_forward() {
    let app = spawn_app().await;
    seed(&app.db).await;
    let admin = app.token(Role::Admin).await;
    // Nested connections read the in-memory directory: once it is loaded, a query with
    // a connection per territory and per commune costs the version check alone.
    let nested = "{ territories { partnersConnection(last: 5) { totalCount edges { node { name } } }
        localBodiesConnection(last: 5) { edges { node { name } } }
        communes { projectsConnection(last: 5) { edges { node { title lead { projectsConnection(first: 2) { totalCount } } } } } } } }";
    let warm_up = app.graphql(nested).await;
    assert!(warm_up.get("errors").is_none(), "{warm_up}");
    let before = app.statements();
    app.graphql(nested).await;
    assert_eq!(app.statements() - before, 1, "the version check only");

    // The database-backed histories: one count and one range read, whichever end.
    let mut costs = Vec::new();
    for query in [
        "{ syncRuns(first: 2) { edges { node { fileName } } } }",
        "{ syncRuns(last: 2) { edges { node { fileName } } } }",
        "{ syncRuns(last: 2, orderBy: OLDEST_FIRST) { edges { node { fileName } } } }",
        "{ auditLog(first: 2) { edges { node { actor } } } }",
        "{ auditLog(last: 2) { edges { node { actor } } } }",
    ] {
        let before = app.statements();
        let response = app.graphql_as(&admin, query, json!({})).await;
        assert!(response.get("errors").is_none(), "{response}");
        costs.push(app.statements() - before);
    }
    assert!(
        costs.iter().all(|&c| c == costs[0]),
        "statements per page: {costs:?}"
    );
}
