//! Large imports, checked field by field against a model of the roster kept by the test:
//! hundreds of people added, updated, moved, swapping e-mails, deactivated, giving up an
//! e-mail, reactivated, and a commune moved — every row, every assignment period and
//! every audit entry.
//!
//! PostgreSQL writes with a few batched statements and `COPY`, SQLite with the portable
//! statements: the same test on both databases is what proves they write the same
//! thing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use entity::{
    Labelled, audit_log, commune, coordinator, coordinator_assignment, sync_run, territory,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use territoires_sync::{CompactPlan, StoredPlan, SyncReport, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

/// A person as the file describes them (and as the database must store them).
#[derive(Debug, Clone, PartialEq)]
struct Person {
    matricule: String,
    last: String,
    first: String,
    title: String,
    /// E.164, as stored.
    phone: String,
    email: String,
    territories: BTreeSet<i32>,
}

impl Person {
    fn newcomer(i: usize) -> Self {
        Person {
            // Typed as text: the leading zero must survive.
            matricule: format!("0{:05}", 10_000 + i),
            last: format!("NOM{i}"),
            first: format!("Prénom-{i}"),
            title: format!("Chargé de mission {}", i % 5),
            phone: format!("+336{:08}", 10_000_000 + i * 7),
            email: format!("p{i}@hauts-de-seine.fr"),
            territories: BTreeSet::from([territory_of(i)]),
        }
    }

    /// The phone as HR types it: `06 12 34 56 78`.
    fn typed_phone(&self) -> String {
        let national = format!("0{}", &self.phone[3..]);
        national
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn fields(&self) -> [(&'static str, String); 6] {
        [
            ("employeeId", self.matricule.clone()),
            ("lastName", self.last.clone()),
            ("firstName", self.first.clone()),
            ("title", self.title.clone()),
            ("email", self.email.clone()),
            ("phone", self.phone.clone()),
        ]
    }
}

fn territory_of(i: usize) -> i32 {
    (i % 7) as i32 + 1
}

/// The roster as the test expects it, with what each import must have written.
struct Model {
    /// By matricule: the person, whether active, and their database id once known.
    people: BTreeMap<String, (Person, bool)>,
    /// Expected assignment history by matricule: (territory, open), oldest first.
    history: BTreeMap<String, Vec<(i32, bool)>>,
    /// How many times each row was updated (the version is 1 + that).
    updates: BTreeMap<String, i32>,
}

/// The seven seeded coordinators, as the file gives them a matricule.
fn seeded_people() -> Vec<Person> {
    seeded_rows()
        .iter()
        .enumerate()
        .map(|(i, r)| Person {
            matricule: format!("S{:04}", i + 1),
            last: r[0].to_owned(),
            first: r[1].to_owned(),
            title: r[2].to_owned(),
            phone: format!("+33{}", r[4].replace(' ', "")[1..].to_owned()),
            email: r[5].to_owned(),
            territories: BTreeSet::from([i as i32 + 1]),
        })
        .collect()
}

/// The workbook of `people` (active ones), an interim taking a second row per territory;
/// `communes` puts a Communes cell on the first row of a person.
fn workbook(people: &[&Person], communes: &BTreeMap<String, &str>) -> Vec<u8> {
    let mut rows = vec![
        territoires_sync::HEADERS
            .iter()
            .map(|h| t(h))
            .collect::<Vec<_>>(),
    ];
    for person in people {
        for (n, territory) in person.territories.iter().enumerate() {
            let commune = if n == 0 {
                communes.get(&person.matricule).copied().unwrap_or("")
            } else {
                ""
            };
            rows.push(vec![
                t(&person.matricule),
                t(&person.last),
                t(&person.first),
                t(&person.title),
                t(&format!("Territoire {territory}")),
                t(&person.typed_phone()),
                // Téléphone fixe: present and empty, nobody has one.
                t(""),
                t(&person.email),
                t(commune),
            ]);
        }
    }
    xlsx(rows)
}

/// What one import must write for one person: the audit entries (action, changes).
type Expected = Vec<(&'static str, Value)>;

fn field_changes(before: Option<&Person>, after: &Person) -> Vec<Value> {
    let before_fields = before.map(Person::fields);
    after
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, (field, value))| {
            // An empty value is a NULL: no matricule yet, an e-mail given up.
            let old = before_fields
                .as_ref()
                .map(|f| f[i].1.clone())
                .filter(|v| !v.is_empty());
            (old.as_deref() != Some(value.as_str()))
                .then(|| json!({"field": field, "before": old, "after": value}))
        })
        .collect()
}

impl Model {
    fn new() -> Self {
        Model {
            people: BTreeMap::new(),
            history: BTreeMap::new(),
            updates: BTreeMap::new(),
        }
    }

    /// Applies the file `wanted` to the model; returns the audit entries expected, by
    /// matricule.
    fn import(&mut self, wanted: &[Person]) -> BTreeMap<String, Expected> {
        let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
        let wanted_by_key: BTreeMap<&str, &Person> =
            wanted.iter().map(|p| (p.matricule.as_str(), p)).collect();
        for person in wanted {
            let key = person.matricule.clone();
            let territories: Vec<i32> = person.territories.iter().copied().collect();
            let entries = expected.entry(key.clone()).or_default();
            match self.people.get(&key).cloned() {
                None => {
                    let mut changes = field_changes(None, person);
                    changes.push(
                        json!({"field": "territories", "before": null, "after": territories}),
                    );
                    entries.push(("CREATE", Value::Array(changes)));
                    self.history.insert(
                        key.clone(),
                        territories.iter().map(|t| (*t, true)).collect(),
                    );
                    self.updates.insert(key.clone(), 0);
                }
                Some((old, active)) => {
                    let changes = field_changes(Some(&old), person);
                    let before: Vec<i32> = if active {
                        old.territories.iter().copied().collect()
                    } else {
                        Vec::new()
                    };
                    let moved = before != territories;
                    let changed = !active || moved || !changes.is_empty();
                    if !active {
                        let mut all = changes;
                        all.push(json!({"field": "active", "before": false, "after": true}));
                        all.push(
                            json!({"field": "territories", "before": before, "after": territories}),
                        );
                        entries.push(("REACTIVATE", Value::Array(all)));
                    } else {
                        if !changes.is_empty() {
                            entries.push(("UPDATE", Value::Array(changes)));
                        }
                        if moved {
                            entries.push((
                                "MOVE",
                                Value::Array(vec![json!({"field": "territories", "before": before, "after": territories})]),
                            ));
                        }
                    }
                    if changed {
                        *self.updates.entry(key.clone()).or_default() += 1;
                    }
                    let history = self.history.entry(key.clone()).or_default();
                    for (territory, open) in history.iter_mut() {
                        if *open && !person.territories.contains(territory) {
                            *open = false;
                        }
                    }
                    for territory in &territories {
                        if !history.iter().any(|(t, open)| *open && t == territory) {
                            history.push((*territory, true));
                        }
                    }
                }
            }
            self.people.insert(key, (person.clone(), true));
        }
        let taken: BTreeSet<&str> = wanted.iter().map(|p| p.email.as_str()).collect();
        for (key, (person, active)) in self.people.iter_mut() {
            if wanted_by_key.contains_key(key.as_str()) {
                continue;
            }
            let release = taken.contains(person.email.as_str());
            if !*active && !release {
                continue;
            }
            let mut changes = Vec::new();
            if release {
                changes.push(json!({"field": "email", "before": person.email, "after": null}));
                person.email = String::new();
            }
            if *active {
                let before: Vec<i32> = person.territories.iter().copied().collect();
                changes.push(json!({"field": "active", "before": true, "after": false}));
                changes.push(json!({"field": "territories", "before": before, "after": []}));
                expected
                    .entry(key.clone())
                    .or_default()
                    .push(("DEACTIVATE", Value::Array(changes)));
                for (_, open) in self.history.entry(key.clone()).or_default() {
                    *open = false;
                }
            } else {
                expected
                    .entry(key.clone())
                    .or_default()
                    .push(("UPDATE", Value::Array(changes)));
            }
            *active = false;
            *self.updates.entry(key.clone()).or_default() += 1;
        }
        expected.retain(|_, entries| !entries.is_empty());
        expected
    }
}

/// The time every row written by the import carries: the single `updated_at` of the rows
/// it changed.
async fn check(
    db: &DatabaseConnection,
    model: &Model,
    report: &SyncReport,
    expected_audit: &BTreeMap<String, Expected>,
    audit_from: i64,
) -> DateTime<Utc> {
    assert_status(report, SyncStatus::Applied);
    let numbers: BTreeMap<i32, i32> = territory::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    let rows: Vec<coordinator::Model> = coordinator::Entity::find()
        .order_by_asc(coordinator::Column::Id)
        .all(db)
        .await
        .unwrap();
    // Everything this import wrote carries one time: the newest `updated_at`.
    let now = rows.iter().map(|r| r.updated_at).max().unwrap();
    let by_key: BTreeMap<String, &coordinator::Model> = rows
        .iter()
        .map(|r| (r.employee_id.clone().unwrap(), r))
        .collect();
    assert_eq!(by_key.len(), model.people.len(), "one row per person");
    let ids: BTreeMap<i32, String> = rows
        .iter()
        .map(|r| (r.id, r.employee_id.clone().unwrap()))
        .collect();

    for (key, (person, active)) in &model.people {
        let row = by_key[key];
        let email = (!person.email.is_empty()).then(|| person.email.clone());
        assert_eq!(
            (
                row.first_name.as_str(),
                row.last_name.as_str(),
                row.title.as_deref(),
                row.phone.as_deref(),
                row.landline.as_deref(),
                row.email.clone(),
                row.active,
            ),
            (
                person.first.as_str(),
                person.last.as_str(),
                Some(person.title.as_str()),
                Some(person.phone.as_str()),
                None,
                email,
                *active,
            ),
            "{key}"
        );
        assert_eq!(row.version, 1 + model.updates[key], "{key}: version");
        assert_eq!(row.deactivated_at.is_some(), !active, "{key}");
        assert_eq!(row.contact_erased_at, None, "{key}");
        if expected_audit.contains_key(key) {
            assert_eq!(row.updated_at, now, "{key}: changed by this import");
        } else {
            assert!(row.updated_at < now || row.created_at == now, "{key}");
        }
        let deactivated_now = expected_audit
            .get(key)
            .is_some_and(|entries| entries.iter().any(|(action, _)| *action == "DEACTIVATE"));
        if deactivated_now {
            assert_eq!(row.deactivated_at, Some(now), "{key}");
        } else if !active {
            assert!(row.deactivated_at < Some(now), "{key}");
        }
    }

    // Assignment history, period by period.
    let assignments: Vec<coordinator_assignment::Model> = coordinator_assignment::Entity::find()
        .order_by_asc(coordinator_assignment::Column::Id)
        .all(db)
        .await
        .unwrap();
    let mut history: BTreeMap<String, Vec<(i32, bool)>> = BTreeMap::new();
    for a in &assignments {
        history
            .entry(ids[&a.coordinator_id].clone())
            .or_default()
            .push((numbers[&a.territory_id], a.ended_at.is_none()));
        assert!(a.started_at <= now);
        if let Some(ended) = a.ended_at {
            assert!(ended >= a.started_at && ended <= now);
        }
    }
    for (key, expected) in &model.history {
        assert_eq!(
            history.get(key),
            Some(expected),
            "{key}: assignment history"
        );
    }
    assert_eq!(
        history.keys().collect::<Vec<_>>(),
        model.history.keys().collect::<Vec<_>>()
    );

    // The audit entries of this import: actor, time, action and changes, for every person.
    let entries: Vec<audit_log::Model> = audit_log::Entity::find()
        .filter(audit_log::Column::Id.gt(audit_from))
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await
        .unwrap();
    let mut found: BTreeMap<String, Expected> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.entity == "Coordinator") {
        assert_eq!(entry.actor, territoires_sync::AUDIT_ACTOR);
        assert_eq!(entry.at, now);
        let action: &'static str = match entry.action.code() {
            "CREATE" => "CREATE",
            "UPDATE" => "UPDATE",
            "MOVE" => "MOVE",
            "DEACTIVATE" => "DEACTIVATE",
            "REACTIVATE" => "REACTIVATE",
            other => panic!("unexpected action {other}"),
        };
        // Exactly the JSON `serde_json` writes for the audit log's `FieldChange`s.
        let changes: Vec<audit_log::FieldChange> = serde_json::from_str(&entry.changes).unwrap();
        assert_eq!(serde_json::to_string(&changes).unwrap(), entry.changes);
        found
            .entry(ids[&entry.entity_id].clone())
            .or_default()
            .push((action, serde_json::from_str(&entry.changes).unwrap()));
    }
    assert_eq!(&found, expected_audit);

    // The run record holds the compact form of the plan the report shows.
    let run = sync_run::Entity::find_by_id(report.run_id.unwrap())
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let plan = report.plan.as_ref().unwrap();
    let stored = run.plan.as_deref().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(stored).unwrap(),
        serde_json::to_value(CompactPlan::of(plan)).unwrap()
    );
    assert_eq!(
        StoredPlan::parse(stored),
        Some(StoredPlan::Compact(CompactPlan::of(plan)))
    );
    now
}

/// Bytes of the JSON of the full plan.
fn full_len(plan: &territoires_sync::Plan) -> usize {
    serde_json::to_string(plan).unwrap().len()
}

/// `stored` is the full plan of `report`.
fn assert_full(stored: &str, report: &SyncReport) {
    assert!(matches!(
        StoredPlan::parse(stored),
        Some(StoredPlan::Full(_))
    ));
    assert_eq!(
        serde_json::from_str::<Value>(stored).unwrap(),
        serde_json::to_value(report.plan.as_ref().unwrap()).unwrap()
    );
}

/// 2,000 newcomers: the dry run and the refused run keep the whole plan (the console shows
/// their diff); the applied run keeps counts and changed fields, a few hundred bytes where
/// the full plan weighs hundreds of kilobytes.
#[tokio::test]
async fn applied_runs_keep_a_compact_plan_the_others_the_full_one() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut people: Vec<Person> = seeded_people();
    people.extend((0..2_000).map(Person::newcomer));
    let file = workbook(&people.iter().collect::<Vec<_>>(), &BTreeMap::new());

    let dry = import(&db, "bulk.xlsx", file.clone(), &options().dry_run(true)).await;
    assert_status(&dry, SyncStatus::Planned);
    let recorded = runs(&db).await;
    let stored = recorded.last().unwrap().plan.as_deref().unwrap();
    assert_full(stored, &dry);
    assert!(!stored.contains("\"compact\""));

    let applied = import(&db, "bulk.xlsx", file, &options()).await;
    assert_status(&applied, SyncStatus::Applied);
    assert_eq!((applied.counts.added, applied.counts.updated), (2_000, 7));
    let recorded = runs(&db).await;
    let run = recorded.last().unwrap();
    assert_eq!(run.id, applied.run_id.unwrap());
    let stored = run.plan.as_deref().unwrap();
    let Some(StoredPlan::Compact(compact)) = StoredPlan::parse(stored) else {
        panic!("not compact: {stored}");
    };
    assert!(compact.compact);
    assert_eq!(compact.counts, applied.counts);
    assert_eq!(compact.people, 2_007);
    assert_eq!(compact.active_before, 7);
    let field = |name: &str| {
        compact
            .fields
            .iter()
            .find(|f| serde_json::to_value(f.field).unwrap() == name)
            .map(|f| f.people)
    };
    // Every newcomer sets every field; the seeded people gain a matricule.
    assert_eq!(field("email"), Some(2_000));
    assert_eq!(field("employeeId"), Some(2_007));
    let full = full_len(applied.plan.as_ref().unwrap());
    assert!(
        stored.len() * 10 < full,
        "compact {} bytes, full {full}",
        stored.len()
    );
    // Bounded by the fields, not by the rows.
    assert!(stored.len() < 2_000, "{stored}");

    // Refused (every newcomer would leave): the whole plan, for the console's diff.
    let seeded_only = workbook(
        &seeded_people().iter().collect::<Vec<_>>(),
        &BTreeMap::new(),
    );
    let refused = import(&db, "seeded.xlsx", seeded_only, &options()).await;
    assert_status(&refused, SyncStatus::Refused);
    assert_eq!(refused.counts.deactivated, 2_000);
    let recorded = runs(&db).await;
    let stored = recorded.last().unwrap().plan.as_deref().unwrap();
    assert_full(stored, &refused);
    assert_eq!(stored.len(), full_len(refused.plan.as_ref().unwrap()));
}

async fn last_audit_id(db: &DatabaseConnection) -> i64 {
    audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .one(db)
        .await
        .unwrap()
        .map_or(0, |e| e.id)
}

#[tokio::test]
async fn large_imports_write_every_field_period_and_audit_entry() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut model = Model::new();
    // The seeded people are in the database already, matched by e-mail.
    for person in seeded_people() {
        let mut stored = person.clone();
        stored.matricule = String::new();
        model
            .people
            .insert(person.matricule.clone(), (stored, true));
        model.history.insert(
            person.matricule.clone(),
            person.territories.iter().map(|t| (*t, true)).collect(),
        );
        model.updates.insert(person.matricule.clone(), 0);
    }
    // (The seeded rows have no matricule yet: the model's key is the file's.)
    let mut seeded: BTreeMap<String, coordinator::Model> = BTreeMap::new();
    for person in seeded_people() {
        seeded.insert(person.matricule.clone(), by_email(&db, &person.email).await);
    }

    // 1. Seven matricules given, 700 newcomers (one in eleven an interim on two
    //    territories): more rows than one COPY buffer or one multi-row INSERT holds.
    let mut people: Vec<Person> = seeded_people();
    for i in 0..700 {
        let mut person = Person::newcomer(i);
        if i % 11 == 0 {
            person.territories.insert(territory_of(i + 3));
        }
        people.push(person);
    }
    let expected = model.import(&people);
    let audit_from = last_audit_id(&db).await;
    let first = import(
        &db,
        "bulk-1.xlsx",
        workbook(&people.iter().collect::<Vec<_>>(), &BTreeMap::new()),
        &options(),
    )
    .await;
    assert_eq!(
        (first.counts.added, first.counts.updated),
        (700, 7),
        "{}",
        first.summary
    );
    let t1 = check(&db, &model, &first, &expected, audit_from).await;
    for (key, before) in &seeded {
        let row = by_email(&db, &before.email.clone().unwrap()).await;
        assert_eq!(row.id, before.id, "{key}: matched, not duplicated");
        assert_eq!(row.created_at, before.created_at);
    }

    // 2. Titles, phones, names, e-mails changed; moves and interims; two people swapping
    //    e-mails; 58 leaving (one of whom sees a newcomer take their e-mail); 40
    //    newcomers; Clichy listed under territory 2.
    let mut second: Vec<Person> = Vec::new();
    let mut leaving_email = String::new();
    for (n, person) in people.iter().enumerate() {
        let mut person = person.clone();
        let i = n.saturating_sub(7);
        if n >= 7 && i % 12 == 11 {
            if leaving_email.is_empty() {
                leaving_email = person.email.clone();
            }
            continue; // leaves
        }
        if n >= 7 {
            match i % 6 {
                0 => person.title = format!("Référente {i}"),
                1 => person.phone = format!("+337{:08}", 20_000_000 + i),
                2 => {
                    person.last = format!("NOUVEAUNOM{i}");
                    person.first = format!("Élise {i}");
                }
                3 => {
                    person.territories = BTreeSet::from([territory_of(i + 2)]);
                    if i % 4 == 3 {
                        person.territories.insert(territory_of(i + 5));
                    }
                }
                4 => person.email = format!("q{i}@hauts-de-seine.fr"),
                _ => {}
            }
        }
        second.push(person);
    }
    // Two staying people swap e-mails (each takes the other's).
    let (a, b) = (
        second
            .iter()
            .position(|p| p.matricule == Person::newcomer(5).matricule)
            .unwrap(),
        second
            .iter()
            .position(|p| p.matricule == Person::newcomer(17).matricule)
            .unwrap(),
    );
    let (email_a, email_b) = (second[a].email.clone(), second[b].email.clone());
    second[a].email = email_b;
    second[b].email = email_a;
    for i in 1000..1040 {
        second.push(Person::newcomer(i));
    }
    second.last_mut().unwrap().email = leaving_email.clone();
    let clichy_row = second[10].matricule.clone();
    second[10].territories = BTreeSet::from([2]);
    let expected = model.import(&second);
    let audit_from = last_audit_id(&db).await;
    // The newcomer taking a leaver's e-mail is confirmed by forcing the import.
    let report = import(
        &db,
        "bulk-2.xlsx",
        workbook(
            &second.iter().collect::<Vec<_>>(),
            &BTreeMap::from([(clichy_row, "Clichy")]),
        ),
        &options().force(true),
    )
    .await;
    assert_eq!(report.counts.deactivated, 58, "{}", report.summary);
    let t2 = check(&db, &model, &report, &expected, audit_from).await;
    assert!(t2 > t1);
    let clichy = commune::Entity::find()
        .filter(commune::Column::Name.eq("Clichy"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(clichy.updated_at, t2);
    let commune_audit: Vec<audit_log::Model> = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("Commune"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(commune_audit.len(), 1);
    assert_eq!(commune_audit[0].entity_id, clichy.id);
    assert_eq!(
        commune_audit[0].changes,
        r#"[{"field":"territory","before":3,"after":2}]"#
    );

    // 3. Twenty of those who left come back, one with a new title; the newcomer keeps
    //    the e-mail they took, so the one who gave it up returns with another.
    let mut third = second.clone();
    let mut back = 0;
    for person in people.iter().skip(7) {
        if back == 20 {
            break;
        }
        if second.iter().any(|p| p.matricule == person.matricule) {
            continue;
        }
        let mut person = person.clone();
        if person.email == leaving_email {
            person.email = "revenu@hauts-de-seine.fr".to_owned();
        }
        if back == 0 {
            person.title = "Coordonnatrice de retour".to_owned();
        }
        third.push(person);
        back += 1;
    }
    let expected = model.import(&third);
    let audit_from = last_audit_id(&db).await;
    let report = import(
        &db,
        "bulk-3.xlsx",
        workbook(&third.iter().collect::<Vec<_>>(), &BTreeMap::new()),
        &options(),
    )
    .await;
    assert_eq!(report.counts.reactivated, 20, "{}", report.summary);
    let t3 = check(&db, &model, &report, &expected, audit_from).await;
    assert!(t3 > t2);

    // 4. The same file again, forced: nothing to change, nothing written.
    let before = snapshot(&db).await;
    let again = import(
        &db,
        "bulk-3.xlsx",
        workbook(&third.iter().collect::<Vec<_>>(), &BTreeMap::new()),
        &options().force(true),
    )
    .await;
    assert_status(&again, SyncStatus::Unchanged);
    let after = snapshot(&db).await;
    assert_eq!(
        (&after.0, &after.1, &after.2),
        (&before.0, &before.1, &before.2)
    );
}
