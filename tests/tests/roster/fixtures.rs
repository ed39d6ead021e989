//! The shared fixtures, and the same files converted by LibreOffice to .ods, .xls and CSV.

use territoires_sync::{ChangeKind, ProblemCode, RosterSource, SyncStatus, import_roster};

use crate::helpers::*;
use territoires_tests::TestDb;

async fn import_fixture(
    db: &sea_orm::DatabaseConnection,
    name: &str,
) -> territoires_sync::SyncReport {
    import_roster(db, RosterSource::path(fixture(name)), &options())
        .await
        .expect("the import runs")
}

#[tokio::test]
async fn roster_92_matches_the_seeded_directory() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = snapshot(&db).await;
    let report = import_fixture(&db, "roster-92.xlsx").await;
    // The file lists the seven coordinators and the communes of each territory exactly
    // as seeded: nothing to change.
    assert_status(&report, SyncStatus::Unchanged);
    assert_eq!(report.counts.unchanged, 7);
    assert_eq!(report.header_row, Some(1));
    assert_eq!(report.sheet.as_deref(), Some("Coordonnateurs"));
    assert!(report.problems.is_empty(), "{}", report.to_text());
    // The roster is untouched; recording the successful import bumps the data version
    // once (overviews show the last import).
    let after = snapshot(&db).await;
    assert_eq!(
        (&after.0, &after.1, &after.2),
        (&before.0, &before.1, &before.2)
    );
    assert_eq!(after.3, before.3 + 1);
}

#[tokio::test]
async fn the_hr_export_gives_matricules_to_the_seeded_people_matched_by_email() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let version_before = version(&db).await;
    let report = import_fixture(&db, "roster-92-hr-export.xlsx").await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(
        report.header_row,
        Some(4),
        "the header sits below two title lines"
    );
    assert_eq!(report.counts.updated, 7);
    assert_eq!((report.counts.added, report.counts.deactivated), (0, 0));
    let plan = report.plan.as_ref().unwrap();
    assert!(plan.changes.iter().all(|c| c.kind == ChangeKind::Updated
        && c.fields.len() == 1
        && c.fields[0].field == territoires_sync::CoordinatorField::EmployeeId));
    // Direction, Service and Date d'entrée are not used: warnings, which never block.
    let ignored: Vec<_> = report
        .warnings()
        .filter(|p| p.code == ProblemCode::IgnoredColumn)
        .map(|p| (p.row, p.column.clone().unwrap()))
        .collect();
    assert_eq!(
        ignored,
        vec![
            (Some(4), "Direction".to_owned()),
            (Some(4), "Service".to_owned()),
            (Some(4), "Date d'entrée".to_owned())
        ]
    );

    assert_eq!(coordinator_count(&db).await, 7, "nobody was duplicated");
    let lara = by_email(&db, "slara@hauts-de-seine.fr").await;
    assert_eq!(lara.employee_id.as_deref(), Some("104200"));
    assert_eq!(lara.phone.as_deref(), Some("+33760779905"));
    let roustit = by_email(&db, "proustit@hauts-de-seine.fr").await;
    assert_eq!(roustit.employee_id.as_deref(), Some("104242"));
    assert!(roustit.active);
    assert!(
        version(&db).await > version_before,
        "caches are invalidated"
    );

    // The same file again: skipped by its SHA-256; then roster-92.xlsx (no matricules)
    // still matches everyone by e-mail and keeps their matricules.
    let again = import_fixture(&db, "roster-92-hr-export.xlsx").await;
    assert_status(&again, SyncStatus::Skipped);
    let roster = import_fixture(&db, "roster-92.xlsx").await;
    assert_status(&roster, SyncStatus::Unchanged);
    assert_eq!(
        by_email(&db, "slara@hauts-de-seine.fr")
            .await
            .employee_id
            .as_deref(),
        Some("104200")
    );
}

#[tokio::test]
async fn the_hr_export_converted_to_xls_and_utf8_csv_reads_the_same() {
    for name in ["roster-92-hr-export.xls", "roster-92-hr-export-utf8.csv"] {
        let database = TestDb::new().await;
        let db = database.connect().await;
        let report = import_fixture(&db, name).await;
        assert_status(&report, SyncStatus::Applied);
        assert_eq!(report.counts.updated, 7, "{name}");
        assert_eq!(report.header_row, Some(4), "{name}");
        assert_eq!(
            by_email(&db, "nvan-der-heyden@hauts-de-seine.fr")
                .await
                .employee_id
                .as_deref(),
            Some("104221"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn roster_92_converted_to_ods_and_windows_1252_csv_reads_the_same() {
    for name in ["roster-92.ods", "roster-92-windows-1252.csv"] {
        let database = TestDb::new().await;
        let db = database.connect().await;
        let report = import_fixture(&db, name).await;
        assert_status(&report, SyncStatus::Unchanged);
        assert_eq!(report.counts.unchanged, 7, "{name}");
        assert!(report.problems.is_empty(), "{name}: {}", report.to_text());
    }
}

#[tokio::test]
async fn a_roster_without_roustit_deactivates_him_and_keeps_his_history() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows.pop();
    // 1 of 7 active coordinators (0.14) is under the 0.3 ratio, but territory 7 would be
    // left without a coordinator: only a forced import does that.
    let report = import(&db, "six.xlsx", roster(&rows), &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.deactivated, 1);
    assert_eq!(report.counts.unchanged, 6);
    let roustit = by_last_name(&db, "ROUSTIT").await;
    assert!(!roustit.active);
    assert!(roustit.deactivated_at.is_some());
    assert_eq!(
        roustit.email.as_deref(),
        Some("proustit@hauts-de-seine.fr"),
        "kept until the retention period"
    );
    assert_eq!(
        history(&db, roustit.id).await,
        vec![(7, false)],
        "closed, not deleted"
    );
    assert_eq!(coordinator_count(&db).await, 7, "never deleted");
}
