//! The console's history downloads: the text and JSON reports of every run and the
//! annotated copy of its file, made on demand from what the run stored — with the
//! headers a download needs, for administrators only, and French 404s for what is not
//! there.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use entity::{SyncStatus, SyncTrigger, roster_file, sync_run, sync_run_problem};
use reqwest::header::COOKIE;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use territoires_sync::{ImportOptions, RosterSource, SyncReport, import_roster};
use territoires_tests::workbook::notes;

use super::console::{Browser, HEADER, import};

/// A file name with what a header must not carry as is: spaces, accents, a quote, a
/// semicolon and a path.
const HOSTILE_NAME: &str = "C:\\équipe\\liste \"août\"; v2.csv";

struct Download {
    status: u16,
    content_type: String,
    disposition: String,
    cache_control: String,
    bytes: Vec<u8>,
}

impl Download {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).unwrap()
    }
}

async fn download(browser: &Browser, path: &str, cookie: &str) -> Download {
    let response = browser
        .client
        .get(format!("{}{path}", browser.app.address))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition, cache_control) = (
        header("content-type"),
        header("content-disposition"),
        header("cache-control"),
    );
    Download {
        status: response.status().as_u16(),
        content_type,
        disposition,
        cache_control,
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

async fn rejected_night(browser: &Browser) -> SyncReport {
    let csv = format!(
        "{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\nMartin;Paul;pas-un-courriel;2\n"
    );
    let options = ImportOptions::new(SyncTrigger::Schedule, "schedule");
    import_roster(
        &browser.app.db,
        RosterSource::bytes(HOSTILE_NAME, csv.into_bytes()),
        &options,
    )
    .await
    .unwrap()
}

/// The ASCII fallback: quoted, without quote, backslash, semicolon or anything else a
/// header parser could misread.
fn assert_safe_disposition(disposition: &str, suffix: &str) {
    let (fallback, encoded) = disposition
        .strip_prefix("attachment; filename=\"")
        .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
        .unwrap_or_else(|| panic!("{disposition}"));
    assert!(
        fallback
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
        "{fallback}"
    );
    assert!(fallback.ends_with(suffix), "{fallback}");
    // RFC 5987 encoding of the name as the administrator wrote it.
    assert!(
        encoded.starts_with("C%3A%5C%C3%A9quipe%5Cliste%20%22ao%C3%BBt%22%3B%20v2.csv"),
        "{encoded}"
    );
    assert!(encoded.ends_with(suffix), "{encoded}");
}

#[tokio::test]
async fn a_rejected_run_offers_its_reports_and_its_annotated_file() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let night = rejected_night(&browser).await;
    assert_eq!(night.status, SyncStatus::Rejected);
    let id = night.run_id.unwrap();
    let stored = sync_run_problem::Entity::find()
        .filter(sync_run_problem::Column::SyncRunId.eq(id))
        .all(&browser.app.db)
        .await
        .unwrap();
    let email = stored
        .iter()
        .find(|p| p.code == "INVALID_EMAIL")
        .expect("the bad e-mail is a problem");

    let page = browser
        .get(&format!("/admin/historique/{id}"), Some(&cookie))
        .await;
    for link in ["rapport.txt", "rapport.json", "annote"] {
        assert!(
            page.body
                .contains(&format!("href=\"/admin/historique/{id}/{link}\"")),
            "{link}"
        );
    }

    // The annotated copy: an xlsx whose sheet keeps the values and notes the bad cell.
    let annotated = download(&browser, &format!("/admin/historique/{id}/annote"), &cookie).await;
    assert_eq!(annotated.status, 200);
    assert_eq!(
        annotated.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(annotated.cache_control, "no-store");
    assert_safe_disposition(&annotated.disposition, ".annote.xlsx");
    let mut workbook = Xlsx::new(Cursor::new(annotated.bytes.clone())).unwrap();
    let sheets = workbook.sheet_names();
    assert!(
        sheets.len() >= 2,
        "a summary then the file's sheet: {sheets:?}"
    );
    let values: Vec<String> = sheets
        .iter()
        .filter_map(|name| workbook.worksheet_range(name).ok())
        .flat_map(|range| {
            range
                .rows()
                .flat_map(|row| row.iter().map(ToString::to_string).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(values.iter().any(|v| v == "pas-un-courriel"), "{values:?}");
    let notes = notes(&annotated.bytes);
    assert!(
        notes.values().any(|note| note.contains(&email.message)),
        "{notes:?}"
    );

    // The text report, in French, with the problem at its row and column.
    let text = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.txt"),
        &cookie,
    )
    .await;
    assert_eq!(text.status, 200);
    assert_eq!(text.content_type, "text/plain; charset=utf-8");
    assert_eq!(text.cache_control, "no-store");
    assert_safe_disposition(&text.disposition, ".rapport.txt");
    let body = text.text();
    assert!(body.contains(&format!("Import n° {id}")), "{body}");
    assert!(body.contains("Fichier rejeté"), "{body}");
    assert!(body.contains("INVALID_EMAIL"), "{body}");
    assert!(body.contains(&email.message), "{body}");

    // The JSON report: the same facts, machine-readable.
    let json = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.json"),
        &cookie,
    )
    .await;
    assert_eq!(json.status, 200);
    assert_eq!(json.content_type, "application/json");
    assert_eq!(json.cache_control, "no-store");
    assert_safe_disposition(&json.disposition, ".rapport.json");
    let report: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert_eq!(report["runId"], id);
    assert_eq!(report["status"], "REJECTED");
    assert_eq!(report["fileName"], HOSTILE_NAME);
    let codes: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        stored.iter().map(|p| p.code.as_str()).collect::<Vec<_>>()
    );

    // Signed out: the sign-in page, not the file.
    for link in ["rapport.txt", "rapport.json", "annote"] {
        let anonymous = browser
            .get(&format!("/admin/historique/{id}/{link}"), None)
            .await;
        assert_eq!(anonymous.status, 303, "{link}");
        assert!(anonymous.location().contains("/admin/connexion"), "{link}");
    }

    // Once the kept file is purged, the reports remain and the annotated copy is gone.
    roster_file::Entity::delete_many()
        .exec(&browser.app.db)
        .await
        .unwrap();
    let page = browser
        .get(&format!("/admin/historique/{id}"), Some(&cookie))
        .await;
    assert!(
        !page
            .body
            .contains(&format!("/admin/historique/{id}/annote"))
    );
    let gone = browser
        .get(&format!("/admin/historique/{id}/annote"), Some(&cookie))
        .await;
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains("Fichier introuvable"), "{}", gone.body);
    let still = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.txt"),
        &cookie,
    )
    .await;
    assert_eq!(still.status, 200);
}

#[tokio::test]
async fn an_applied_run_offers_its_reports_with_its_counts() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let applied = import(&browser.app, SyncTrigger::Cli, &one, true).await;
    assert_eq!(applied.status, SyncStatus::Applied);
    let id = applied.run_id.unwrap();
    let json = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.json"),
        &cookie,
    )
    .await;
    assert_eq!(json.status, 200);
    let report: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert_eq!(report["status"], "APPLIED");
    assert_eq!(report["forced"], true);
    assert_eq!(
        report["counts"]["deactivated"], applied.counts.deactivated,
        "{report}"
    );
    let text = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.txt"),
        &cookie,
    )
    .await;
    assert!(text.text().contains("Import appliqué"), "{}", text.text());
    assert!(
        text.disposition
            .contains("filename=\"liste.csv.rapport.txt\"")
    );
    let annotated = download(&browser, &format!("/admin/historique/{id}/annote"), &cookie).await;
    assert_eq!(annotated.status, 200);
    assert!(
        notes(&annotated.bytes).is_empty(),
        "a clean file has no note"
    );
}

/// A roster on the second sheet, under a title and a blank line (the header on row 3),
/// after a first sheet of notes; Paul Martin's e-mail, cell C5 of the roster, is wrong.
fn second_sheet_roster() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("Lisez-moi").unwrap();
    notes
        .write_string(0, 0, "Liste transmise par la DRH")
        .unwrap();
    notes
        .write_string(1, 0, "Une ligne par coordonnateur")
        .unwrap();
    let roster = workbook.add_worksheet();
    roster.set_name("Coordonnateurs").unwrap();
    roster
        .write_string(0, 0, "Coordonnateurs au 1er décembre")
        .unwrap();
    for (row, cells) in [
        (2, ["Nom", "Prénom", "Courriel", "Territoire"]),
        (
            3,
            ["Durand", "Alice", "alice.durand@hauts-de-seine.fr", "1"],
        ),
        (4, ["Martin", "Paul", "pas-un-courriel", "2"]),
    ] {
        for (column, text) in (0u16..).zip(cells) {
            roster.write_string(row, column, text).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// One part of a workbook's zip, as text.
fn part(workbook: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
    text
}

#[tokio::test]
async fn a_past_run_is_annotated_on_the_sheet_and_under_the_header_the_import_read() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let bytes = second_sheet_roster();
    let options = ImportOptions::new(SyncTrigger::Schedule, "schedule");
    let night = import_roster(
        &browser.app.db,
        RosterSource::bytes("liste.xlsx", bytes.clone()),
        &options,
    )
    .await
    .unwrap();
    assert_eq!(night.status, SyncStatus::Rejected, "{}", night.to_text());
    assert_eq!(night.sheet.as_deref(), Some("Coordonnateurs"));
    assert_eq!(night.header_row, Some(3));
    let email = night.errors().next().unwrap();
    assert_eq!(
        (email.code.as_str(), email.row, email.column.as_deref()),
        ("INVALID_EMAIL", Some(5), Some("Courriel"))
    );
    let id = night.run_id.unwrap();
    let timezone = chrono_tz::Europe::Paris;
    let at_import = territoires_sync::annotate("liste.xlsx", &bytes, &night, timezone).unwrap();

    // The copy made later from the stored run: the roster's sheet, the bad cell noted
    // and highlighted there, as in the copy made at import time.
    let annotated = download(&browser, &format!("/admin/historique/{id}/annote"), &cookie).await;
    assert_eq!(annotated.status, 200);
    let book = Xlsx::new(Cursor::new(annotated.bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Résumé", "Coordonnateurs"]);
    let notes = notes(&annotated.bytes);
    assert_eq!(notes.keys().collect::<Vec<_>>(), ["C5"], "{notes:?}");
    assert!(notes["C5"].contains(&email.message), "{notes:?}");
    assert_eq!(notes, territoires_tests::workbook::notes(&at_import));
    // The note and the highlight belong to the roster's sheet (the second one).
    assert!(
        part(&annotated.bytes, "xl/worksheets/_rels/sheet2.xml.rels").contains("comments"),
        "the notes are the roster sheet's"
    );
    assert!(
        part(&annotated.bytes, "xl/worksheets/sheet2.xml").contains("<c r=\"C5\" s=\""),
        "C5 is highlighted"
    );

    // The reports name the sheet and the header row, as the import's did.
    let json = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.json"),
        &cookie,
    )
    .await;
    let rebuilt: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    let written: serde_json::Value = serde_json::from_str(&night.to_json()).unwrap();
    assert_eq!(rebuilt["sheet"], "Coordonnateurs");
    assert_eq!(rebuilt["headerRow"], 3);
    assert_eq!(
        (&rebuilt["sheet"], &rebuilt["headerRow"]),
        (&written["sheet"], &written["headerRow"])
    );
    let line = "Feuille lue : « Coordonnateurs », en-têtes ligne 3";
    assert!(night.to_text().contains(line));
    let text = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.txt"),
        &cookie,
    )
    .await;
    assert!(text.text().contains(line), "{}", text.text());

    // A run recorded before the sheet was kept: the first sheet, as before.
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Sheet, Expr::value(Option::<String>::None))
        .col_expr(
            sync_run::Column::HeaderRow,
            Expr::value(Option::<i32>::None),
        )
        .filter(sync_run::Column::Id.eq(id))
        .exec(&browser.app.db)
        .await
        .unwrap();
    let older = download(&browser, &format!("/admin/historique/{id}/annote"), &cookie).await;
    assert_eq!(older.status, 200);
    let book = Xlsx::new(Cursor::new(older.bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Résumé", "Lisez-moi"]);
    let json = download(
        &browser,
        &format!("/admin/historique/{id}/rapport.json"),
        &cookie,
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert!(
        report["sheet"].is_null() && report["headerRow"].is_null(),
        "{report}"
    );
}

#[tokio::test]
async fn downloads_of_a_missing_run_are_french_404s() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    for id in ["999999", "x", "-1", "99999999999999999999", "%20"] {
        for (link, title) in [
            ("rapport.txt", "Import introuvable"),
            ("rapport.json", "Import introuvable"),
            ("annote", "Fichier introuvable"),
            ("fichier", "Fichier introuvable"),
        ] {
            let answer = browser
                .get(&format!("/admin/historique/{id}/{link}"), Some(&cookie))
                .await;
            assert_eq!(answer.status, 404, "{id}/{link}");
            assert!(answer.body.contains(title), "{id}/{link}: {}", answer.body);
            assert!(answer.body.contains("lang=\"fr\""), "{id}/{link}");
        }
    }
}

#[tokio::test]
async fn the_dashboard_lists_the_waiting_files_the_nightly_job_would_consider() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let inbox = browser.app.inbox.path();
    std::fs::write(inbox.join("liste-mardi.xlsx"), b"not yet a workbook").unwrap();
    std::fs::write(inbox.join("liste.csv"), b"Nom\n").unwrap();
    // What the job leaves alone: a spreadsheet's lock file, a hidden file, a folder.
    std::fs::write(inbox.join("~$liste-mardi.xlsx"), b"lock").unwrap();
    std::fs::write(inbox.join(".cache"), b"x").unwrap();
    std::fs::create_dir(inbox.join("archive-manuelle.xlsx")).unwrap();
    let page = browser.get("/admin", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("2 fichier(s) en attente"),
        "{}",
        page.body
    );
    assert!(page.body.contains("liste-mardi.xlsx"));
    assert!(page.body.contains("liste.csv"));
    assert!(!page.body.contains("~$liste"), "{}", page.body);
    assert!(!page.body.contains(".cache"));
    assert!(!page.body.contains("archive-manuelle"));
}
