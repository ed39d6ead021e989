//! The annotated copy (`….annote.xlsx`): for each format the import reads, the
//! administrator's sheet comes back with every value in place and a note on each problem
//! cell, read back with calamine (cells) and from the zip (notes, highlighting).

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use sea_orm::ConnectionTrait;
use territoires_sync::{
    MAX_KEPT_PROBLEMS, ProblemCode, SyncReport, SyncStatus, annotate, local_time_in,
    process_drop_folder,
};

use crate::helpers::*;
use territoires_tests::TestDb;
use territoires_tests::workbook::notes;

/// One part of the workbook's zip, as text.
fn part(workbook: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// `D9` for 0-based row 8, column 3.
fn reference(row: u32, column: u32) -> String {
    let mut letters = String::new();
    let mut n = column + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

fn text_of(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The cells of a sheet of the annotated workbook: (row, column) → text, absolute.
fn cells(workbook: &[u8], sheet: &str) -> BTreeMap<(u32, u32), String> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(workbook.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut cells = BTreeMap::new();
    for (r, row) in range.rows().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let text = text_of(value);
            if !text.is_empty() {
                cells.insert((top + r as u32, left + c as u32), text);
            }
        }
    }
    cells
}

fn sheet_names(workbook: &[u8]) -> Vec<String> {
    let book: Xlsx<_> = Xlsx::new(Cursor::new(workbook.to_vec())).unwrap();
    book.sheet_names()
}

/// The summary's value beside `label`.
fn summary_value(cells: &BTreeMap<(u32, u32), String>, label: &str) -> Option<String> {
    let (row, _) = cells
        .iter()
        .find(|((_, c), text)| *c == 0 && text.as_str() == label)?
        .0;
    cells.get(&(*row, 1)).cloned()
}

/// Imports `name` into a directory where territory 7 has been renumbered 97, so that the
/// file's "Territoire 7" rows are in error; checks the annotated copy, returns it.
async fn annotated_fixture(name: &str) -> (SyncReport, Vec<u8>) {
    let database = TestDb::new().await;
    let db = database.connect().await;
    db.execute_unprepared("UPDATE territories SET number = 97 WHERE number = 7")
        .await
        .unwrap();
    let bytes = std::fs::read(fixture(name)).unwrap();
    let report = import(&db, name, bytes.clone(), &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    let unknown = report
        .errors()
        .find(|p| p.code == ProblemCode::UnknownTerritory)
        .unwrap_or_else(|| panic!("{name}: {}", report.to_text()));
    assert!(
        unknown.row.is_some() && unknown.column.is_some(),
        "{unknown:?}"
    );

    let workbook = annotate(name, &bytes, &report, chrono_tz::Europe::Paris).unwrap();
    let sheet = report.sheet.clone().unwrap();
    let data_sheet = sheet_names(&workbook)[1].clone();
    assert_eq!(
        sheet_names(&workbook),
        vec!["Résumé".to_owned(), data_sheet.clone()]
    );
    if !name.ends_with(".csv") {
        assert_eq!(
            data_sheet, sheet,
            "{name}: the administrator's sheet keeps its name"
        );
    }

    // Every value in place: the copy, imported in turn (a dry run), finds the same
    // problems on the same rows and columns.
    let again = import(
        &db,
        "copie.xlsx",
        workbook.clone(),
        &options().dry_run(true),
    )
    .await;
    let located = |report: &SyncReport| {
        report
            .problems
            .iter()
            .map(|p| (p.code, p.row, p.column.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(located(&again), located(&report), "{name}");
    assert_eq!(again.header_row, report.header_row, "{name}");

    // A note on each located problem's cell, carrying its message.
    let data = cells(&workbook, &data_sheet);
    let header_row = report.header_row.unwrap() - 1;
    let column_of = |header: &str| {
        data.iter()
            .find(|((r, _), text)| *r == header_row && text.as_str() == header)
            .map(|((_, c), _)| *c)
    };
    let notes = notes(&workbook);
    let mut checked = 0;
    for problem in &report.problems {
        let (Some(row), Some(column)) = (problem.row, problem.column.as_deref()) else {
            continue;
        };
        let Some(column) = column_of(column) else {
            continue;
        };
        let at = reference(row - 1, column);
        let note = notes
            .get(&at)
            .unwrap_or_else(|| panic!("{name}: no note at {at}: {notes:?}"));
        assert!(note.contains(&problem.message), "{name}: {at}: {note}");
        assert!(note.contains(problem.code.as_str()), "{note}");
        checked += 1;
    }
    assert!(checked >= 1, "{name}: no problem was checked");
    // The unknown territory's cell still holds the file's value, highlighted.
    let territory_column = column_of(unknown.column.as_deref().unwrap()).unwrap();
    let row = unknown.row.unwrap() - 1;
    let value = data.get(&(row, territory_column)).unwrap();
    assert!(value.contains('7'), "{name}: {value}");
    let sheet_xml = part(&workbook, "xl/worksheets/sheet2.xml");
    let cell = format!("<c r=\"{}\" s=\"", reference(row, territory_column));
    assert!(sheet_xml.contains(&cell), "{name}: {cell} not styled");
    assert!(part(&workbook, "xl/styles.xml").contains("FFC7CE"));

    // The summary: status, times in Paris with their offset, counts.
    let summary = cells(&workbook, "Résumé");
    assert_eq!(
        summary_value(&summary, "Statut").as_deref(),
        Some("Rejeté (REJECTED)")
    );
    let end = summary_value(&summary, "Fin").unwrap();
    assert_eq!(
        end,
        local_time_in(report.finished_at, chrono_tz::Europe::Paris)
    );
    assert!(end.ends_with("+01:00") || end.ends_with("+02:00"), "{end}");
    assert_eq!(
        summary_value(&summary, "Erreurs").unwrap(),
        report.error_count().to_string()
    );
    (report, workbook)
}

#[tokio::test]
async fn an_xlsx_file_comes_back_with_its_problems_noted() {
    annotated_fixture("roster-92.xlsx").await;
}

#[tokio::test]
async fn an_ods_file_comes_back_as_xlsx_with_its_problems_noted() {
    annotated_fixture("roster-92.ods").await;
}

#[tokio::test]
async fn an_xls_file_comes_back_as_xlsx_with_warnings_on_the_header() {
    let (report, workbook) = annotated_fixture("roster-92-hr-export.xls").await;
    // The unused columns are noted on their header cells (row 4).
    let notes = notes(&workbook);
    let ignored: Vec<_> = notes
        .iter()
        .filter(|(at, text)| at.ends_with('4') && text.contains("IGNORED_COLUMN"))
        .collect();
    assert_eq!(ignored.len(), 3, "{notes:?}");
    assert_eq!(report.header_row, Some(4));
}

#[tokio::test]
async fn csv_files_come_back_as_xlsx_with_their_problems_noted() {
    for name in ["roster-92-windows-1252.csv", "roster-92-hr-export-utf8.csv"] {
        annotated_fixture(name).await;
    }
}

#[tokio::test]
async fn times_follow_the_configured_time_zone() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let bytes = roster(&seeded_rows());
    let report = import(&db, "r.xlsx", bytes.clone(), &options()).await;
    let workbook = annotate("r.xlsx", &bytes, &report, chrono_tz::Pacific::Noumea).unwrap();
    let summary = cells(&workbook, "Résumé");
    let start = summary_value(&summary, "Début").unwrap();
    assert_eq!(
        start,
        local_time_in(report.started_at, chrono_tz::Pacific::Noumea)
    );
    assert!(start.ends_with("+11:00"), "{start}");
    assert!(notes(&workbook).is_empty(), "a clean file has no note");
}

#[tokio::test]
async fn an_unreadable_file_gets_the_summary_alone() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    for (name, bytes) in [
        ("faux.xlsx", b"PK\x03\x04garbage".to_vec()),
        ("vide.csv", Vec::new()),
        ("texte.xlsx", b"Nom;Prenom\n".to_vec()),
    ] {
        let report = import(&db, name, bytes.clone(), &options()).await;
        assert_status(&report, SyncStatus::Rejected);
        let workbook = annotate(name, &bytes, &report, chrono_tz::Europe::Paris).unwrap();
        assert_eq!(sheet_names(&workbook), vec!["Résumé".to_owned()], "{name}");
        let summary = cells(&workbook, "Résumé");
        let message = &report.problems[0].message;
        assert!(
            summary.values().any(|text| text == message),
            "{name}: the file's problem is on the summary"
        );
    }
}

#[tokio::test]
async fn a_file_of_many_problems_gets_a_bounded_number_of_notes() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let rows: Vec<[String; 7]> = (0..1500)
        .map(|i| {
            [
                format!("NOM{i}"),
                "Prénom".to_owned(),
                "Fonction".to_owned(),
                "Territoire 1".to_owned(),
                "06 61 79 09 55".to_owned(),
                format!("pas-une-adresse-{i}"),
                String::new(),
            ]
        })
        .collect();
    let mut all = vec![HEADER.iter().map(|h| t(h)).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|r| r.iter().map(|c| t(c)).collect()));
    let bytes = xlsx(all);
    let report = import(&db, "beaucoup.xlsx", bytes.clone(), &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert!(report.omitted_problems > 0);
    let workbook = annotate("beaucoup.xlsx", &bytes, &report, chrono_tz::Europe::Paris).unwrap();
    let notes = notes(&workbook);
    assert!(notes.len() < MAX_KEPT_PROBLEMS, "{}", notes.len());
    assert!(notes.len() > 900, "{}", notes.len());
    // The count of the problems left out has no cell: it is on the summary.
    let summary = cells(&workbook, "Résumé");
    assert!(summary.values().any(|text| text == "PROBLEMS_OMITTED"));
    // Every value is kept, noted or not.
    let data = cells(&workbook, "Coordonnateurs");
    assert_eq!(
        data.get(&(1500, 5)).map(String::as_str),
        Some("pas-une-adresse-1499")
    );
}

#[tokio::test]
async fn the_drop_folder_files_the_annotated_copy_beside_the_reports() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path();
    let mut rows = seeded_rows();
    rows[3][5] = "pas une adresse";
    drop_file(dir, "liste.xlsx", &roster(&rows), Duration::from_secs(60));
    drop_file(
        dir,
        "zzz.xlsx",
        b"PK\x03\x04garbage",
        Duration::from_secs(30),
    );
    let options = territoires_sync::SyncConfig::default()
        .import_options(territoires_sync::SyncTrigger::Manual, "admin");
    let outcome = process_drop_folder(&db, &config(dir), &options)
        .await
        .unwrap();
    let processed = outcome.processed.unwrap();
    assert_status(&processed.report, SyncStatus::Rejected);
    let annotated = processed.annotated.unwrap();
    assert!(
        annotated
            .to_string_lossy()
            .ends_with("-liste.xlsx.annote.xlsx"),
        "{annotated:?}"
    );
    assert_eq!(annotated.parent(), Some(dir.join("rejected").as_path()));
    let workbook = std::fs::read(&annotated).unwrap();
    let notes = notes(&workbook);
    // Row 5 (the fourth person), column F (Courriel).
    let note = notes.get("F5").unwrap_or_else(|| panic!("{notes:?}"));
    assert!(note.contains("INVALID_EMAIL"), "{note}");

    // The newer unreadable file set aside has its annotated copy too: the summary alone.
    let set_aside = &outcome.rejected[0];
    let copy = std::fs::read(set_aside.annotated.as_ref().unwrap()).unwrap();
    assert_eq!(sheet_names(&copy), vec!["Résumé".to_owned()]);
}
