//! Retention: deactivated people's phone and e-mail are erased after the retention
//! period — from their row and from the audit log — and not before.

use chrono::{Duration, Utc};
use entity::{AuditAction, audit_log, coordinator};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use territoires_sync::{SyncConfig, SyncStatus, purge_expired_contacts};

use crate::helpers::*;
use territoires_tests::TestDb;

#[tokio::test]
async fn contacts_are_erased_after_the_retention_period_only() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    // ROUSTIT and CUQ leave; ROUSTIT's phone change was audited before.
    let mut rows = seeded_rows();
    rows[6][4] = "06 98 65 25 35";
    import(&db, "a.xlsx", roster(&rows), &options()).await;
    let mut rows = seeded_rows();
    rows.remove(6);
    rows.remove(4);
    // Territories 5 and 7 are left vacant: forced past the vacancy guard.
    let report = import(&db, "b.xlsx", roster(&rows), &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);

    // ROUSTIT left 400 days ago, CUQ 100 days ago.
    for (name, days) in [("ROUSTIT", 400), ("CUQ", 100)] {
        let mut person = by_last_name(&db, name).await.into_active_model();
        person.deactivated_at = Set(Some(Utc::now() - Duration::days(days)));
        person.update(&db).await.unwrap();
    }
    let before = version(&db).await;
    let config = SyncConfig::default();
    let erased = purge_expired_contacts(&db, &config, Utc::now())
        .await
        .unwrap();
    assert_eq!(erased, 1);
    let roustit = by_last_name(&db, "ROUSTIT").await;
    assert_eq!((roustit.email, roustit.phone), (None, None));
    assert!(roustit.contact_erased_at.is_some());
    assert_eq!(
        (roustit.first_name.as_str(), roustit.active),
        ("Pierre", false),
        "the person stays, inactive"
    );
    let cuq = by_last_name(&db, "CUQ").await;
    assert!(cuq.email.is_some() && cuq.phone.is_some(), "not yet");
    assert_eq!(version(&db).await, before + 1);

    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("Coordinator"))
        .filter(audit_log::Column::EntityId.eq(roustit.id))
        .all(&db)
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == AuditAction::Erase));
    for entry in &entries {
        assert!(
            !entry.changes.contains("06 98") && !entry.changes.contains("+3369865"),
            "{}",
            entry.changes
        );
        assert!(!entry.changes.contains("proustit"), "{}", entry.changes);
    }

    // Erased once: a second purge finds nothing more.
    assert_eq!(
        purge_expired_contacts(&db, &config, Utc::now())
            .await
            .unwrap(),
        0
    );
    // Known by a matricule, an erased person who comes back is reactivated and given
    // their contact again (without one, their erased e-mail can no longer match them).
    let mut person = by_last_name(&db, "ROUSTIT").await.into_active_model();
    person.employee_id = Set(Some("104242".to_owned()));
    person.update(&db).await.unwrap();
    let mut rows: Vec<Vec<Cell>> =
        vec![std::iter::once("Matricule").chain(HEADER).map(t).collect()];
    for r in seeded_rows() {
        let matricule = if r[0] == "ROUSTIT" { "104242" } else { "" };
        rows.push(std::iter::once(matricule).chain(r).map(t).collect());
    }
    let report = import(&db, "c.xlsx", xlsx(rows), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.reactivated, 2, "{}", report.to_text());
    let back = by_last_name(&db, "ROUSTIT").await;
    assert!(back.active);
    assert_eq!(back.email.as_deref(), Some("proustit@hauts-de-seine.fr"));
    assert!(back.contact_erased_at.is_none());
    let erased_rows = coordinator::Entity::find()
        .filter(coordinator::Column::ContactErasedAt.is_not_null())
        .all(&db)
        .await
        .unwrap();
    assert!(erased_rows.is_empty());
    assert_eq!(coordinator_count(&db).await, 7);
}
