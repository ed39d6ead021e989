//! The optional Téléphone fixe column, end to end: read under each of its headers from a
//! real .xlsx, normalised like the mobile, planned, written by the database's writer
//! (an UPDATE for a known person, the insert or COPY for a newcomer), exported, and
//! erased with the other contacts after the retention period.

use chrono::{Duration, Utc};
use entity::{audit_log, coordinator};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use territoires_sync::{
    CoordinatorField, FieldDiff, SyncConfig, SyncStatus, purge_expired_contacts,
};

use crate::helpers::*;
use territoires_tests::TestDb;

/// The seeded roster with a landline column under `header`: LARA has one, and a
/// newcomer too (typed with dots); the others' cells are empty.
fn with_landline(header: &str) -> Vec<u8> {
    let mut rows: Vec<Vec<Cell>> = vec![HEADER.iter().copied().chain([header]).map(t).collect()];
    for (i, r) in seeded_rows().iter().enumerate() {
        let landline = if i == 0 { "01 41 37 11 11" } else { "" };
        rows.push(r.iter().copied().chain([landline]).map(t).collect());
    }
    rows.push(
        [
            "NOUVEAU",
            "Camille",
            "",
            "Territoire 2",
            "06 12 34 56 78",
            "cnouveau@hauts-de-seine.fr",
            "",
            "01.47.29.30.31",
        ]
        .into_iter()
        .map(t)
        .collect(),
    );
    xlsx(rows)
}

#[tokio::test]
async fn the_landline_is_read_under_each_header_planned_written_and_erased() {
    for header in ["Téléphone fixe", "Tél. fixe", "Fixe"] {
        let database = TestDb::new().await;
        let db = database.connect().await;

        let dry = import(
            &db,
            "fixe.xlsx",
            with_landline(header),
            &options().dry_run(true),
        )
        .await;
        assert!(dry.is_success(), "{header}: {}", dry.to_text());
        assert!(dry.problems.is_empty(), "{header}: {}", dry.to_text());
        let plan = dry.plan.as_ref().unwrap();
        let lara = plan
            .changes
            .iter()
            .find(|c| c.last_name == "LARA")
            .expect("LARA changes");
        assert_eq!(
            lara.fields,
            vec![FieldDiff {
                field: CoordinatorField::Landline,
                before: None,
                after: Some("+33141371111".into()),
            }],
            "{header}"
        );
        assert!(
            dry.to_text().contains("téléphone fixe"),
            "{}",
            dry.to_text()
        );
        assert_eq!(by_last_name(&db, "LARA").await.landline, None, "dry run");

        let report = import(&db, "fixe.xlsx", with_landline(header), &options()).await;
        assert_status(&report, SyncStatus::Applied);
        assert_eq!(
            by_last_name(&db, "LARA").await.landline.as_deref(),
            Some("+33141371111"),
            "{header}"
        );
        assert_eq!(
            by_last_name(&db, "NOUVEAU").await.landline.as_deref(),
            Some("+33147293031"),
            "{header}"
        );
        assert_eq!(by_last_name(&db, "MAILLARD").await.landline, None);
    }
}

#[tokio::test]
async fn a_file_without_the_column_keeps_landlines_and_a_bad_one_is_an_error() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    import(&db, "a.xlsx", with_landline("Fixe"), &options()).await;
    let mut rows = seeded_rows();
    rows.push([
        "NOUVEAU",
        "Camille",
        "",
        "Territoire 2",
        "06 12 34 56 78",
        "cnouveau@hauts-de-seine.fr",
        "",
    ]);
    let report = import(&db, "b.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Unchanged);
    assert_eq!(
        by_last_name(&db, "LARA").await.landline.as_deref(),
        Some("+33141371111")
    );

    let mut bad = vec![
        HEADER
            .iter()
            .copied()
            .chain(["Tél. fixe"])
            .map(t)
            .collect::<Vec<_>>(),
    ];
    bad.push(
        seeded_rows()[0]
            .iter()
            .copied()
            .chain(["12 34"])
            .map(t)
            .collect(),
    );
    let report = import(&db, "c.xlsx", xlsx(bad), &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    let problem = report.errors().next().unwrap();
    assert_eq!(
        (problem.code, problem.column.as_deref()),
        (
            territoires_sync::ProblemCode::InvalidPhone,
            Some("Tél. fixe")
        )
    );
}

#[tokio::test]
async fn the_landline_is_exported_and_erased_with_the_other_contacts() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    import(&db, "a.xlsx", with_landline("Téléphone fixe"), &options()).await;

    let (bytes, _) = territoires_sync::export_bytes(&db).await.unwrap();
    let report = import(&db, "export.xlsx", bytes, &options()).await;
    assert_status(&report, SyncStatus::Unchanged);

    // LARA leaves, long enough ago for her contacts to be erased.
    let mut rows = seeded_rows();
    rows.remove(0);
    let report = import(&db, "b.xlsx", roster(&rows), &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);
    let mut lara = by_last_name(&db, "LARA").await.into_active_model();
    lara.deactivated_at = Set(Some(Utc::now() - Duration::days(400)));
    lara.update(&db).await.unwrap();
    let erased = purge_expired_contacts(&db, &SyncConfig::default(), Utc::now())
        .await
        .unwrap();
    assert_eq!(erased, 1);
    let lara = by_last_name(&db, "LARA").await;
    assert_eq!((lara.email, lara.phone, lara.landline), (None, None, None));
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("Coordinator"))
        .filter(audit_log::Column::EntityId.eq(lara.id))
        .all(&db)
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.changes.contains("\"landline\"")));
    for entry in &entries {
        assert!(!entry.changes.contains("+33141"), "{}", entry.changes);
    }
    let kept = coordinator::Entity::find()
        .filter(coordinator::Column::LastName.eq("NOUVEAU"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.landline.as_deref(), Some("+33147293031"));
}
