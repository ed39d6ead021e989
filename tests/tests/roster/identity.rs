//! A row never silently becomes a new person when it looks like a stored one: a
//! mistyped matricule (same e-mail and name) or a changed e-mail without a Matricule
//! column (same name, same territory) is an error naming both values and the rows, and
//! a forced import keeps the person's record — id, history, projects — with the new value.

use chrono::Utc;
use entity::{ProjectStatus, project};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use territoires_sync::{ProblemCode, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

/// A roster with a Matricule column: the seeded people with matricules 104211 to 104217.
fn with_matricules(matricules: &[&str]) -> Vec<u8> {
    let mut all: Vec<Vec<Cell>> = vec![std::iter::once("Matricule").chain(HEADER).map(t).collect()];
    for (matricule, r) in matricules.iter().zip(seeded_rows()) {
        let mut row = vec![t(matricule)];
        row.extend(r.iter().map(|c| t(c)));
        all.push(row);
    }
    xlsx(all)
}

const MATRICULES: [&str; 7] = [
    "104211", "104212", "104213", "104214", "104215", "104216", "104217",
];

/// A project led by `coordinator_id`; returns its id.
async fn project_led_by(db: &DatabaseConnection, coordinator_id: i32) -> i32 {
    let now = Utc::now();
    project::ActiveModel {
        title: Set("Plan mercredi".to_owned()),
        status: Set(ProjectStatus::InProgress),
        lead_coordinator_id: Set(Some(coordinator_id)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn lead_of(db: &DatabaseConnection, project_id: i32) -> Option<i32> {
    project::Entity::find_by_id(project_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .lead_coordinator_id
}

#[tokio::test]
async fn a_mistyped_matricule_is_an_error_unless_forced_and_forced_keeps_the_person() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let first = import(&db, "m.xlsx", with_matricules(&MATRICULES), &options()).await;
    assert_status(&first, SyncStatus::Applied);
    // VAN DER HEYDEN (row 5) has matricule 104214.
    let before_person = by_last_name(&db, "VAN DER HEYDEN").await;
    assert_eq!(before_person.employee_id.as_deref(), Some("104214"));
    let project = project_led_by(&db, before_person.id).await;

    let mut typo = MATRICULES;
    typo[3] = "104241";
    let bytes = with_matricules(&typo);
    let before = snapshot(&db).await;
    let report = import(&db, "typo.xlsx", bytes.clone(), &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert_eq!(
        snapshot(&db).await,
        before,
        "a rejected file changes nothing"
    );
    let errors: Vec<_> = report
        .errors()
        .map(|p| (p.row, p.column.as_deref(), p.code))
        .collect();
    assert_eq!(
        errors,
        vec![(Some(5), Some("Matricule"), ProblemCode::MatriculeChange)],
        "{}",
        report.to_text()
    );
    let message = &report.errors().next().unwrap().message;
    assert!(
        message.contains("VAN DER HEYDEN Nathalie (ligne 5, matricule 104241")
            && message.contains("sous le matricule 104214")
            && message.contains("en le forçant"),
        "{message}"
    );

    let forced = import(&db, "typo.xlsx", bytes, &options().force(true)).await;
    assert_status(&forced, SyncStatus::Applied);
    let c = forced.counts;
    assert_eq!(
        (c.added, c.deactivated, c.updated),
        (0, 0, 1),
        "{}",
        forced.to_text()
    );
    assert!(
        forced
            .warnings()
            .any(|p| p.code == ProblemCode::MatriculeChange && p.row == Some(5))
    );
    let after = by_last_name(&db, "VAN DER HEYDEN").await;
    assert_eq!(after.id, before_person.id, "the same record");
    assert_eq!(after.employee_id.as_deref(), Some("104241"));
    assert!(after.active);
    assert_eq!(
        history(&db, after.id).await,
        vec![(4, true)],
        "history kept"
    );
    assert_eq!(
        lead_of(&db, project).await,
        Some(after.id),
        "still the lead"
    );
    assert_eq!(coordinator_count(&db).await, 7);
}

#[tokio::test]
async fn a_changed_email_without_a_matricule_column_is_confirmed_by_forcing() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let merlin = by_last_name(&db, "MERLIN").await;
    let project = project_led_by(&db, merlin.id).await;
    let mut rows = seeded_rows();
    rows[2][5] = "hannan.merlin@hauts-de-seine.fr"; // row 4
    let before = snapshot(&db).await;
    let report = import(&db, "email.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert_eq!(
        snapshot(&db).await,
        before,
        "a rejected file changes nothing"
    );
    let errors: Vec<_> = report
        .errors()
        .map(|p| (p.row, p.column.as_deref(), p.code))
        .collect();
    assert_eq!(
        errors,
        vec![(Some(4), Some("Courriel"), ProblemCode::EmailChange)]
    );
    let message = &report.errors().next().unwrap().message;
    assert!(
        message.contains("hannan.merlin@hauts-de-seine.fr")
            && message.contains("hmerlin@hauts-de-seine.fr")
            && message.contains("ligne 4"),
        "{message}"
    );

    let forced = import(&db, "email.xlsx", roster(&rows), &options().force(true)).await;
    assert_status(&forced, SyncStatus::Applied);
    assert_eq!(
        (
            forced.counts.added,
            forced.counts.deactivated,
            forced.counts.updated
        ),
        (0, 0, 1)
    );
    let after = by_last_name(&db, "MERLIN").await;
    assert_eq!(after.id, merlin.id);
    assert_eq!(
        after.email.as_deref(),
        Some("hannan.merlin@hauts-de-seine.fr")
    );
    assert_eq!(history(&db, after.id).await, vec![(3, true)]);
    assert_eq!(lead_of(&db, project).await, Some(merlin.id));
    assert_eq!(coordinator_count(&db).await, 7);
}
