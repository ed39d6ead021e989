//! Planning and applying: the guard, dry runs, idempotence, moves with history,
//! interims, reactivations, commune moves, audit and cache invalidation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use entity::{AuditAction, audit_log};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use territoires_sync::{ChangeKind, Phase, ProblemCode, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

#[tokio::test]
async fn a_file_deactivating_too_many_is_refused_then_imported_when_forced() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let rows = &seeded_rows()[..4]; // 3 of 7 missing: 0.43 > 0.3
    let before = snapshot(&db).await;
    let refused = import(&db, "tronque.xlsx", roster(rows), &options()).await;
    assert_status(&refused, SyncStatus::Refused);
    assert_eq!(refused.counts.deactivated, 3);
    assert_eq!(refused.exit_code(), 1);
    assert!(refused.summary.contains("3 sur 7"), "{}", refused.summary);
    assert_eq!(snapshot(&db).await, before, "refused: nothing changed");

    let forced = import(&db, "tronque.xlsx", roster(rows), &options().force(true)).await;
    assert_status(&forced, SyncStatus::Applied);
    assert!(forced.forced);
    assert_eq!(active_emails(&db).await.len(), 4);
    let recorded = runs(&db).await;
    assert_eq!(
        recorded
            .iter()
            .map(|r| (r.status, r.forced, r.deactivated))
            .collect::<Vec<_>>(),
        vec![
            (SyncStatus::Refused, false, 3),
            (SyncStatus::Applied, true, 3)
        ]
    );
}

#[tokio::test]
async fn a_dry_run_plans_and_records_but_changes_nothing() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[2][3] = "Territoire 4";
    // The newcomer takes territory 3 over from MERLIN (none is left vacant).
    rows.push([
        "NOUVEAU",
        "Camille",
        "Coordonnatrice",
        "3",
        "",
        "cnouveau@hauts-de-seine.fr",
        "",
    ]);
    let before = snapshot(&db).await;
    let report = import(&db, "r.xlsx", roster(&rows), &options().dry_run(true)).await;
    assert_status(&report, SyncStatus::Planned);
    assert!(report.is_success() && report.exit_code() == 0);
    assert!(report.dry_run);
    assert_eq!((report.counts.added, report.counts.moved), (1, 1));
    assert_eq!(snapshot(&db).await, before, "a dry run changes nothing");
    let recorded = runs(&db).await;
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].dry_run);
    assert_eq!(
        recorded[0].status,
        SyncStatus::Planned,
        "recorded as planned"
    );
    let plan: serde_json::Value =
        serde_json::from_str(recorded[0].plan.as_deref().unwrap()).unwrap();
    assert_eq!(plan["counts"]["added"], 1);
    assert_eq!(plan["changes"][0]["kind"], "ADDED");

    // A dry run does not count as the last applied import: the real one still runs.
    let real = import(&db, "r.xlsx", roster(&rows), &options()).await;
    assert_status(&real, SyncStatus::Applied);
    assert_eq!(active_emails(&db).await.len(), 8);
}

#[tokio::test]
async fn reimporting_is_idempotent() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice de territoire 1 (Asnières)";
    let bytes = roster(&rows);
    let first = import(&db, "r.xlsx", bytes.clone(), &options()).await;
    assert_status(&first, SyncStatus::Applied);
    let after_first = snapshot(&db).await;

    let same = import(&db, "r.xlsx", bytes.clone(), &options()).await;
    assert_status(&same, SyncStatus::Skipped);
    assert_eq!(same.file_sha256, first.file_sha256);
    assert_eq!(same.exit_code(), 0);

    let forced = import(&db, "r.xlsx", bytes, &options().force(true)).await;
    assert_status(&forced, SyncStatus::Unchanged);

    // Other bytes (another program, other order), same content.
    let mut reordered = rows.clone();
    reordered.reverse();
    let other = import(&db, "r2.xlsx", roster(&reordered), &options()).await;
    assert_status(&other, SyncStatus::Unchanged);
    assert_eq!(other.counts.unchanged, 7);
    let now = snapshot(&db).await;
    assert_eq!(
        (&now.0, &now.1, &now.2),
        (&after_first.0, &after_first.1, &after_first.2),
        "nothing touched"
    );
    // Only the record of each successful import is a change: two unchanged imports,
    // two bumps of the data version (the skipped one bumps nothing).
    assert_eq!(now.3, after_first.3 + 2);
}

#[tokio::test]
async fn a_move_keeps_the_assignment_history() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let merlin = by_last_name(&db, "MERLIN").await;
    assert_eq!(history(&db, merlin.id).await, vec![(3, true)]);
    let mut rows = seeded_rows();
    rows[2][3] = "T4";
    rows[2][2] = "Coordonnatrice de territoire 4";
    // Territory 3 is left without a coordinator: forced past the vacancy guard.
    let report = import(&db, "r.xlsx", roster(&rows), &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!((report.counts.moved, report.counts.updated), (1, 1));
    let change = &report.plan.as_ref().unwrap().changes[0];
    assert_eq!(change.kind, ChangeKind::Moved);
    assert_eq!(
        (
            change.territories_before.clone(),
            change.territories_after.clone()
        ),
        (vec![3], vec![4])
    );
    assert_eq!(
        history(&db, merlin.id).await,
        vec![(3, false), (4, true)],
        "closed, then opened"
    );
    let moved = by_last_name(&db, "MERLIN").await;
    assert_eq!(moved.version, merlin.version + 1);
    assert_eq!(
        moved.title.as_deref(),
        Some("Coordonnatrice de territoire 4")
    );

    // Audited as roster-sync: the title change and the move.
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(merlin.id))
        .filter(audit_log::Column::Entity.eq("Coordinator"))
        .order_by_asc(audit_log::Column::Id)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.action, e.actor.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (AuditAction::Update, "roster-sync"),
            (AuditAction::Move, "roster-sync")
        ]
    );
    assert!(entries[1].changes.contains("territories"));
}

#[tokio::test]
async fn an_interim_covers_two_territories() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    // MAILLARD also covers territory 3 while MERLIN is away (MERLIN stays in the file).
    let mut interim = rows[1];
    interim[3] = "Territoire 3";
    rows.push(interim);
    let report = import(&db, "r.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.moved, 1);
    let maillard = by_last_name(&db, "MAILLARD").await;
    assert_eq!(territories_of(&db, maillard.id).await, vec![2, 3]);
    assert_eq!(history(&db, maillard.id).await, vec![(2, true), (3, true)]);
    let merlin = by_last_name(&db, "MERLIN").await;
    assert_eq!(territories_of(&db, merlin.id).await, vec![3]);

    // The interim ends: the territory 3 period closes, territory 2 stays open.
    let back = import(&db, "r2.xlsx", roster(&seeded_rows()), &options()).await;
    assert_status(&back, SyncStatus::Applied);
    assert_eq!(history(&db, maillard.id).await, vec![(2, true), (3, false)]);
}

#[tokio::test]
async fn a_person_who_comes_back_is_reactivated_not_duplicated() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    let cuq = rows.remove(4);
    // Territory 5 is left without a coordinator: forced past the vacancy guard.
    import(&db, "sans-cuq.xlsx", roster(&rows), &options().force(true)).await;
    let gone = by_last_name(&db, "CUQ").await;
    assert!(!gone.active);

    rows.push(cuq);
    let report = import(&db, "avec-cuq.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.reactivated, 1);
    let back = by_last_name(&db, "CUQ").await;
    assert_eq!(back.id, gone.id);
    assert!(back.active);
    assert!(back.deactivated_at.is_none());
    assert_eq!(history(&db, back.id).await, vec![(5, false), (5, true)]);
    assert_eq!(coordinator_count(&db).await, 7);
}

/// A roster with a Matricule column.
fn with_matricules(rows: &[(&str, [&str; 7])]) -> Vec<u8> {
    let mut all: Vec<Vec<Cell>> = vec![std::iter::once("Matricule").chain(HEADER).map(t).collect()];
    for (matricule, r) in rows {
        let mut row = vec![t(matricule)];
        row.extend(r.iter().map(|c| t(c)));
        all.push(row);
    }
    xlsx(all)
}

const MATRICULES: [&str; 7] = ["1", "2", "3", "4", "5", "6", "7"];

/// The seeded rows with matricules 1 to 7.
fn numbered(rows: &[[&'static str; 7]]) -> Vec<(&'static str, [&'static str; 7])> {
    MATRICULES
        .iter()
        .copied()
        .zip(rows.iter().copied())
        .collect()
}

#[tokio::test]
async fn newcomers_changes_and_a_mailbox_handed_over_to_a_successor() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let first = import(
        &db,
        "matricules.xlsx",
        with_matricules(&numbered(&seeded_rows())),
        &options(),
    )
    .await;
    assert_eq!(
        first.counts.updated, 7,
        "matricules given, matched by e-mail"
    );

    let mut rows = numbered(&seeded_rows());
    // ROUSTIT (matricule 7) leaves; his successor (matricule 8) takes over his address.
    rows.pop();
    rows.push((
        "8",
        [
            "NOUVEL",
            "Alix",
            "Coordonnateur de territoire 7",
            "T7",
            "06 00 00 00 07",
            "proustit@hauts-de-seine.fr",
            "",
        ],
    ));
    // LARA's phone changes; AMIEL's e-mail changes; a new person joins territory 1.
    rows[0].1[4] = "+33 6 11 22 33 44";
    rows[5].1[5] = "isabelle.amiel@hauts-de-seine.fr";
    rows.push((
        "9",
        [
            "BERNARD",
            "Léa",
            "",
            "1",
            "",
            "lbernard@hauts-de-seine.fr",
            "",
        ],
    ));
    // An address going to someone else is never silent: confirmed by forcing.
    let unforced = import(&db, "r.xlsx", with_matricules(&rows), &options()).await;
    assert_status(&unforced, SyncStatus::Rejected);
    let errors: Vec<_> = unforced.errors().map(|p| (p.row, p.code)).collect();
    assert_eq!(errors, vec![(Some(8), ProblemCode::MatriculeChange)]);
    let message = &unforced.errors().next().unwrap().message;
    assert!(
        message.contains("ROUSTIT Pierre (matricule 7)") && message.contains("NOUVEL Alix"),
        "{message}"
    );
    let report = import(
        &db,
        "r.xlsx",
        with_matricules(&rows),
        &options().force(true),
    )
    .await;
    assert_status(&report, SyncStatus::Applied);
    let c = report.counts;
    assert_eq!(
        (c.added, c.updated, c.deactivated, c.unchanged),
        (2, 2, 1, 4),
        "{}",
        report.to_text()
    );

    let roustit = by_last_name(&db, "ROUSTIT").await;
    assert!(!roustit.active);
    assert_eq!(roustit.email, None, "his address went to his successor");
    assert_eq!(roustit.employee_id.as_deref(), Some("7"));
    let nouvel = by_email(&db, "proustit@hauts-de-seine.fr").await;
    assert_eq!(
        (nouvel.last_name.as_str(), nouvel.employee_id.as_deref()),
        ("NOUVEL", Some("8"))
    );
    assert_eq!(territories_of(&db, nouvel.id).await, vec![7]);
    assert_eq!(
        by_last_name(&db, "LARA").await.phone.as_deref(),
        Some("+33611223344")
    );
    assert_eq!(
        by_last_name(&db, "AMIEL").await.email.as_deref(),
        Some("isabelle.amiel@hauts-de-seine.fr")
    );
    let bernard = by_email(&db, "lbernard@hauts-de-seine.fr").await;
    assert_eq!(bernard.title, None);
    assert_eq!(territories_of(&db, bernard.id).await, vec![1]);
    let text = report.to_text();
    assert!(
        text.contains("Ajout") && text.contains("NOUVEL Alix"),
        "{text}"
    );
    assert!(
        text.contains("téléphone : 07 60 77 99 05 → 06 11 22 33 44"),
        "{text}"
    );
}

#[tokio::test]
async fn two_people_swapping_e_mails_is_applied() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    import(
        &db,
        "matricules.xlsx",
        with_matricules(&numbered(&seeded_rows())),
        &options(),
    )
    .await;
    let mut rows = numbered(&seeded_rows());
    rows[0].1[5] = "bmaillard@hauts-de-seine.fr";
    rows[1].1[5] = "slara@hauts-de-seine.fr";
    let report = import(&db, "swap.xlsx", with_matricules(&rows), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.updated, 2);
    assert_eq!(
        by_last_name(&db, "LARA").await.email.as_deref(),
        Some("bmaillard@hauts-de-seine.fr")
    );
    assert_eq!(
        by_last_name(&db, "MAILLARD").await.email.as_deref(),
        Some("slara@hauts-de-seine.fr")
    );
}

#[tokio::test]
async fn listed_communes_move_and_unlisted_ones_stay() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[2][6] = "Clichy, Levallois, Neuilly, Puteaux, Courbevoie"; // Courbevoie: 2 → 3
    let report = import(&db, "r.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    let moves = &report.plan.as_ref().unwrap().commune_moves;
    assert_eq!(moves.len(), 1);
    assert_eq!(
        (
            moves[0].name.as_str(),
            moves[0].from_territory,
            moves[0].to_territory,
            moves[0].row
        ),
        ("Courbevoie", 2, 3, 4)
    );
    let territory_of = |insee: &'static str| {
        let db = db.clone();
        async move {
            let commune = entity::commune::Entity::find()
                .filter(entity::commune::Column::InseeCode.eq(insee))
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            entity::territory::Entity::find_by_id(commune.territory_id)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .number
        }
    };
    assert_eq!(territory_of("92026").await, 3, "Courbevoie moved");
    assert_eq!(territory_of("92025").await, 2, "Colombes, unlisted, stays");
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("Commune"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn an_import_bumps_the_data_version_and_reports_progress() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = version(&db).await;
    let phases = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicU64::new(0));
    let (seen, counter) = (phases.clone(), calls.clone());
    let options = options().with_progress(Arc::new(move |p| {
        counter.fetch_add(1, Ordering::SeqCst);
        let mut seen = seen.lock().unwrap();
        if seen.last() != Some(&p.phase) {
            seen.push(p.phase);
        }
    }));
    let mut rows = seeded_rows();
    rows[0][2] = "Coordonnatrice";
    let report = import(&db, "r.xlsx", roster(&rows), &options).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(version(&db).await, before + 1, "one transaction, one bump");
    assert_eq!(
        *phases.lock().unwrap(),
        vec![Phase::Reading, Phase::Validating, Phase::Applying]
    );
    assert!(report.timings.reading_ms > 0.0);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["status"], "APPLIED");
    assert_eq!(json["counts"]["updated"], 1);
    assert_eq!(json["plan"]["changes"][0]["fields"][0]["field"], "title");
}
