//! The drop folder under hostile or unlucky files (issue 9, items 8 and 9): a file still
//! being written is never taken, a CSV cut short is rejected, a file that would leave a
//! territory without its coordinator is refused unless forced, and an unreadable or junk
//! newest file is set aside without blocking the newest valid one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use territoires_sync::{Progress, SyncConfig, SyncStatus, SyncTrigger, process_drop_folder};

use crate::helpers::*;
use territoires_tests::TestDb;

fn schedule(config: &SyncConfig) -> territoires_sync::ImportOptions {
    config.import_options(SyncTrigger::Schedule, "schedule")
}

/// The header and `rows` as a semicolon CSV file, each line ended.
fn csv(rows: &[[&str; 7]]) -> String {
    let mut text = HEADER.join(";") + "\n";
    for row in rows {
        text.push_str(&row.join(";"));
        text.push('\n');
    }
    text
}

const NEWCOMER: &str =
    "BERNARD;Léa;Coordonnatrice adjointe;Territoire 1;;lbernard@hauts-de-seine.fr;\n";

#[tokio::test]
async fn a_file_that_changes_while_it_is_read_is_left_for_the_next_pass() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    // Quiet for an hour, longer than any settle time: only the read itself can tell.
    drop_file(
        dir,
        "export.csv",
        csv(&seeded_rows()).as_bytes(),
        Duration::from_secs(3600),
    );
    let path = dir.join("export.csv");
    // The copy resumes once the read has started: one more person is appended.
    let reads = Arc::new(AtomicUsize::new(0));
    let hook = {
        let (reads, path) = (Arc::clone(&reads), path.clone());
        Arc::new(move |_: Progress| {
            if reads.fetch_add(1, Ordering::SeqCst) == 0 {
                use std::io::Write as _;
                let mut file = std::fs::File::options().append(true).open(&path).unwrap();
                file.write_all(NEWCOMER.as_bytes()).unwrap();
            }
        })
    };
    let options = schedule(&config(dir)).with_progress(hook);
    let outcome = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    assert!(reads.load(Ordering::SeqCst) > 0, "the read started");
    assert!(outcome.processed.is_none(), "{:?}", outcome.processed);
    assert!(outcome.rejected.is_empty());
    assert_eq!(outcome.waiting, vec![path.clone()]);
    assert!(runs(&db).await.is_empty(), "nothing recorded: not rejected");
    assert!(path.exists(), "left in place");

    // The next pass takes the whole file.
    let outcome = process_drop_folder(&db, &config(dir), &schedule(&config(dir)))
        .await
        .unwrap();
    let report = outcome.processed.unwrap().report;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.added, 1, "{}", report.to_text());
    assert_eq!(active_emails(&db).await.len(), 8);
}

#[tokio::test]
async fn a_csv_cut_short_is_rejected_as_incomplete_and_deactivates_nobody() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = snapshot(&db).await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    // The copy stalled after the 6th person, at the end of a line but before its line
    // end, and stayed so longer than the settle time.
    let full = csv(&seeded_rows());
    let cut = full
        .trim_end_matches('\n')
        .rsplit_once('\n')
        .map(|(head, _)| head)
        .unwrap();
    assert!(cut.ends_with("iamiel@hauts-de-seine.fr;"), "{cut}");
    drop_file(
        dir,
        "effectifs.csv",
        cut.as_bytes(),
        Duration::from_secs(600),
    );

    let outcome = process_drop_folder(&db, &config(dir), &schedule(&config(dir)))
        .await
        .unwrap();
    let processed = outcome.processed.unwrap();
    assert_status(&processed.report, SyncStatus::Rejected);
    assert_eq!(
        codes(&processed.report),
        vec![territoires_sync::ProblemCode::IncompleteFile]
    );
    assert!(
        processed.report.problems[0]
            .message
            .contains("ne se termine pas par un retour à la ligne"),
        "{}",
        processed.report.to_text()
    );
    assert_eq!(
        processed.moved_to.unwrap().parent().unwrap(),
        dir.join("rejected")
    );
    assert_eq!(snapshot(&db).await, before, "nobody deactivated");
    assert_eq!(active_emails(&db).await.len(), 7);

    // Uploaded rather than dropped, it is just as incomplete.
    let report = import(&db, "effectifs.csv", cut.as_bytes().to_vec(), &options()).await;
    assert_eq!(
        codes(&report),
        vec![territoires_sync::ProblemCode::IncompleteFile]
    );
    assert_eq!(snapshot(&db).await, before);
}

#[tokio::test]
async fn a_file_leaving_a_territory_without_its_coordinator_is_refused_unless_forced() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let before = snapshot(&db).await;
    // Six of seven: 1/7 is under the 0.3 ratio, but territory 7 would have nobody.
    let mut six = seeded_rows();
    six.pop();
    let file = roster(&six);

    for dry_run in [true, false] {
        let report = import(&db, "six.xlsx", file.clone(), &options().dry_run(dry_run)).await;
        assert_status(&report, SyncStatus::Refused);
        assert_eq!(report.exit_code(), 1, "refused like the ratio guard");
        let plan = report.plan.as_ref().unwrap();
        assert_eq!(
            plan.vacated_territories
                .iter()
                .map(|t| (t.number, t.name.as_str()))
                .collect::<Vec<_>>(),
            [(7, "Territoire 7")]
        );
        assert!(
            report
                .summary
                .contains("il laisserait sans coordonnateur actif : Territoire 7"),
            "{}",
            report.summary
        );
        assert!(
            report.summary.contains("seuil de sécurité de 30 %"),
            "{}",
            report.summary
        );
        assert!(report.to_text().contains("Territoire 7"));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["maxDeactivationRatio"], 0.3);
        assert_eq!(json["plan"]["vacatedTerritories"][0]["number"], 7);
        assert_eq!(snapshot(&db).await, before, "nothing changed");
    }
    let recorded = runs(&db).await;
    assert_eq!(recorded.last().unwrap().status, SyncStatus::Refused);
    assert!(
        recorded
            .last()
            .unwrap()
            .message
            .as_deref()
            .unwrap()
            .contains("Territoire 7"),
        "the recorded run says why"
    );

    // Moving territory 7's coordinator to territory 6 empties territory 7 as well.
    let mut moved = seeded_rows();
    moved[6][3] = "Territoire 6";
    let report = import(&db, "deplace.xlsx", roster(&moved), &options()).await;
    assert_status(&report, SyncStatus::Refused);
    assert_eq!(report.counts.deactivated, 0);

    // Forced: applied.
    let report = import(&db, "six.xlsx", file, &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.counts.deactivated, 1);
    assert!(!by_last_name(&db, "ROUSTIT").await.active);

    // Territory 7 is vacant now: it no longer blocks the next files.
    let mut next = six.clone();
    next[0][2] = "Coordonnatrice principale";
    let report = import(&db, "suivant.xlsx", roster(&next), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert!(report.plan.unwrap().vacated_territories.is_empty());
}

#[tokio::test]
async fn an_unreadable_newest_file_is_set_aside_and_the_newest_valid_one_imported() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    let mut rows = seeded_rows();
    rows[0][2] = "Nouvelle fonction";
    drop_file(dir, "lundi.xlsx", &roster(&rows), Duration::from_secs(7200));
    // Newer (dated now), and unreadable: a link to nothing, and a FIFO (opening it
    // would wait for a writer forever).
    std::os::unix::fs::symlink(dir.join("parti.xlsx"), dir.join("mardi.xlsx")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("mercredi.csv"))
        .status()
        .unwrap();
    assert!(fifo.success());

    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        process_drop_folder(&db, &config(dir), &schedule(&config(dir))),
    )
    .await
    .expect("never waits on the FIFO")
    .unwrap();
    let processed = outcome.processed.unwrap();
    assert_eq!(processed.original, dir.join("lundi.xlsx"));
    assert_status(&processed.report, SyncStatus::Applied);
    assert_eq!(
        by_last_name(&db, "LARA").await.title.as_deref(),
        Some("Nouvelle fonction")
    );

    let mut set_aside: Vec<String> = outcome
        .rejected
        .iter()
        .map(|f| f.report.file_name.clone().unwrap())
        .collect();
    set_aside.sort();
    assert_eq!(set_aside, ["mardi.xlsx", "mercredi.csv"]);
    for file in &outcome.rejected {
        assert_status(&file.report, SyncStatus::Rejected);
        assert_eq!(
            codes(&file.report),
            vec![territoires_sync::ProblemCode::UnreadableFile]
        );
        assert!(file.report.run_id.is_some(), "recorded");
        let text = std::fs::read_to_string(file.report_text.as_ref().unwrap()).unwrap();
        assert!(text.contains("n'a pas pu être lu"), "{text}");
    }
    let statuses: Vec<SyncStatus> = runs(&db).await.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            SyncStatus::Rejected,
            SyncStatus::Rejected,
            SyncStatus::Applied
        ]
    );
    assert_eq!(names(dir), ["archive", "rejected"], "the folder is clear");
    let rejected = names(&dir.join("rejected"));
    assert_eq!(
        rejected.len(),
        8,
        "two files, their reports and annotated copies: {rejected:?}"
    );
    assert!(rejected.iter().any(|n| n.ends_with("-mercredi.csv")));
}

#[tokio::test]
async fn a_junk_newest_file_is_set_aside_and_text_files_are_not_rosters() {
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
    drop_file(
        dir,
        "mercredi.xlsx",
        b"ceci n'est pas un classeur",
        Duration::from_secs(1800),
    );
    // A roster saved as .txt, newest of all: not a roster file name, left alone.
    let mut text = seeded_rows();
    text[0][2] = "Fonction du fichier texte";
    drop_file(
        dir,
        "notes.txt",
        csv(&text).as_bytes(),
        Duration::from_secs(60),
    );

    let outcome = process_drop_folder(&db, &config(dir), &schedule(&config(dir)))
        .await
        .unwrap();
    let processed = outcome.processed.unwrap();
    assert_eq!(processed.original, dir.join("mardi.xlsx"));
    assert_status(&processed.report, SyncStatus::Applied);
    assert_eq!(
        by_last_name(&db, "LARA").await.title.as_deref(),
        Some("Nouvelle fonction")
    );
    assert_eq!(outcome.rejected.len(), 1);
    let junk = &outcome.rejected[0];
    assert_eq!(junk.original, dir.join("mercredi.xlsx"));
    assert_status(&junk.report, SyncStatus::Rejected);
    assert_eq!(
        junk.moved_to.as_ref().unwrap().parent().unwrap(),
        dir.join("rejected")
    );
    assert_eq!(outcome.superseded.len(), 1, "lundi.xlsx, older than mardi");
    assert_eq!(
        runs(&db).await.len(),
        2,
        "the junk file and the valid one; never the text file"
    );
    assert_eq!(names(dir), ["archive", "notes.txt", "rejected"]);
}
