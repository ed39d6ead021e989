//! The drop folder: the newest complete file is imported, older ones are archived as
//! superseded, each file lands in archive/ or rejected/ beside its report.

use std::time::{Duration, SystemTime};

use territoires_sync::{
    ProblemCode, SyncConfig, SyncStatus, SyncTrigger, process_drop_folder, purge_archive,
};

use crate::helpers::*;
use territoires_tests::TestDb;

#[tokio::test]
async fn the_newest_file_is_imported_and_older_ones_are_superseded() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    let mut old = seeded_rows();
    old[0][2] = "Ancienne fonction";
    let mut new = seeded_rows();
    new[0][2] = "Nouvelle fonction";
    drop_file(dir, "lundi.xlsx", &roster(&old), Duration::from_secs(7200));
    drop_file(dir, "mardi.xlsx", &roster(&new), Duration::from_secs(3600));
    drop_file(dir, "~$mardi.xlsx", b"lock", Duration::from_secs(3600));
    drop_file(
        dir,
        "envoi.xlsx.part",
        b"partial",
        Duration::from_secs(3600),
    );

    let options = SyncConfig::default().import_options(SyncTrigger::Manual, "admin");
    let outcome = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    let processed = outcome.processed.unwrap();
    assert_eq!(processed.original, dir.join("mardi.xlsx"));
    assert_status(&processed.report, SyncStatus::Applied);
    assert_eq!(
        by_last_name(&db, "LARA").await.title.as_deref(),
        Some("Nouvelle fonction")
    );
    assert_eq!(
        runs(&db).await.len(),
        1,
        "the superseded file was never imported"
    );

    assert_eq!(
        names(dir),
        vec!["archive", "envoi.xlsx.part", "rejected", "~$mardi.xlsx"]
    );
    let archived = names(&dir.join("archive"));
    assert_eq!(archived.len(), 6, "{archived:?}");
    assert!(
        archived
            .iter()
            .any(|n| n.ends_with("-mardi.xlsx.annote.xlsx"))
    );
    assert!(archived.iter().any(|n| n.ends_with("-mardi.xlsx")));
    assert!(
        archived
            .iter()
            .any(|n| n.ends_with("-mardi.xlsx.rapport.txt"))
    );
    assert!(
        archived
            .iter()
            .any(|n| n.ends_with("-mardi.xlsx.rapport.json"))
    );
    assert!(archived.iter().any(|n| n.ends_with("-lundi.xlsx")));
    let superseded = std::fs::read_to_string(outcome.superseded[0].with_file_name(format!(
        "{}.rapport.txt",
        outcome.superseded[0].file_name().unwrap().to_string_lossy()
    )))
    .unwrap();
    assert!(
        superseded.contains("remplacé par un fichier plus récent, « mardi.xlsx »"),
        "{superseded}"
    );
    let text = std::fs::read_to_string(processed.report_text.unwrap()).unwrap();
    assert!(text.contains("Statut : Appliqué (APPLIED)"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(processed.report_json.unwrap()).unwrap())
            .unwrap();
    assert_eq!(json["status"], "APPLIED");
    assert_eq!(json["trigger"], "MANUAL");

    // Nothing left to do.
    let again = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    assert!(again.processed.is_none());
}

#[tokio::test]
async fn a_rejected_file_goes_to_rejected_with_its_report() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    let mut rows = seeded_rows();
    rows[3][5] = "pas une adresse";
    drop_file(dir, "liste.xlsx", &roster(&rows), Duration::from_secs(60));
    let options = SyncConfig::default().import_options(SyncTrigger::Schedule, "schedule");
    let outcome = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    let processed = outcome.processed.unwrap();
    assert_status(&processed.report, SyncStatus::Rejected);
    let moved = processed.moved_to.unwrap();
    assert_eq!(moved.parent().unwrap(), dir.join("rejected"));
    let text = std::fs::read_to_string(processed.report_text.unwrap()).unwrap();
    assert!(
        text.contains("Ligne 5, colonne « Courriel » — INVALID_EMAIL"),
        "{text}"
    );
    assert!(names(&dir.join("archive")).is_empty());
}

#[tokio::test]
async fn files_still_changing_wait_and_a_dry_run_moves_nothing() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    drop_file(
        dir,
        "copie-en-cours.xlsx",
        &roster(&seeded_rows()),
        Duration::ZERO,
    );
    let settling = SyncConfig {
        settle_time: Duration::from_secs(30),
        ..config(dir)
    };
    let options = settling.import_options(SyncTrigger::Manual, "admin");
    let outcome = process_drop_folder(&db, &settling, &options).await.unwrap();
    assert!(outcome.processed.is_none());
    assert_eq!(outcome.waiting, vec![dir.join("copie-en-cours.xlsx")]);
    assert!(runs(&db).await.is_empty());

    let dry = options.clone().dry_run(true);
    let outcome = process_drop_folder(&db, &config(dir), &dry).await.unwrap();
    let processed = outcome.processed.unwrap();
    assert_status(&processed.report, SyncStatus::Unchanged);
    assert!(processed.moved_to.is_none());
    assert!(
        dir.join("copie-en-cours.xlsx").exists(),
        "a dry run leaves the file in place"
    );
}

#[tokio::test]
async fn a_refused_file_is_set_aside_and_too_large_files_are_rejected() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    drop_file(
        dir,
        "tronque.csv",
        b"Nom;Prenom;Courriel;Territoire\nLARA;Sandrine;slara@hauts-de-seine.fr;1\n",
        Duration::from_secs(60),
    );
    let options = SyncConfig::default().import_options(SyncTrigger::Schedule, "schedule");
    let outcome = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    let report = outcome.processed.unwrap().report;
    assert_status(&report, SyncStatus::Refused);
    // The file, its two reports and its annotated copy.
    assert_eq!(names(&dir.join("rejected")).len(), 4);

    let small = SyncConfig {
        max_file_size: 10,
        ..config(dir)
    };
    drop_file(
        dir,
        "gros.xlsx",
        &roster(&seeded_rows()),
        Duration::from_secs(60),
    );
    let outcome = process_drop_folder(
        &db,
        &small,
        &small.import_options(SyncTrigger::Schedule, "schedule"),
    )
    .await
    .unwrap();
    let report = outcome.processed.unwrap().report;
    assert_eq!(codes(&report), vec![ProblemCode::FileTooLarge]);
}

#[test]
fn archived_files_are_purged_after_the_archive_period() {
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    for folder in ["archive", "rejected"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        drop_file(
            &dir.join(folder),
            "vieux.xlsx",
            b"x",
            Duration::from_secs(91 * 86_400),
        );
        drop_file(
            &dir.join(folder),
            "recent.xlsx",
            b"x",
            Duration::from_secs(89 * 86_400),
        );
    }
    let deleted = purge_archive(dir, 90, SystemTime::now()).unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(names(&dir.join("archive")), vec!["recent.xlsx"]);
    assert_eq!(names(&dir.join("rejected")), vec!["recent.xlsx"]);
}
