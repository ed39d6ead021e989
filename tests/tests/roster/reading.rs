//! Reading what administrators drop: title lines, columns in any order under any of
//! their names, numbers typed as numbers, formulas, dates, several sheets, CSV files.

use entity::ProblemSeverity;
use territoires_sync::{ProblemCode, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

/// The seven seeded people as an HR system might export them: title lines, the header on
/// row 3 in another order under other names, matricules and phones typed as numbers
/// (phones lose their leading zero), territories as formulas, a date column.
fn hr_style_workbook(text_numbers: bool) -> Vec<u8> {
    let mut rows = vec![
        vec![t("Extraction RH — effectifs SAEC")],
        vec![],
        [
            "Adresse mail",
            "Prénom",
            "NOM",
            "N° matricule",
            "Affectation",
            "Mobile",
            "Date d'entrée",
            "Libellé emploi",
        ]
        .iter()
        .map(|h| t(h))
        .collect(),
    ];
    for (i, r) in seeded_rows().iter().enumerate() {
        let number = i + 1;
        let phone_digits: String = r[4].chars().filter(char::is_ascii_digit).collect();
        let (matricule, phone) = if i == 0 {
            // A matricule typed as text keeps its leading zeros.
            (t("000123"), t(&phone_digits))
        } else if text_numbers {
            (t(&format!("{}", 104_200 + i)), t(&phone_digits[1..]))
        } else {
            (
                Cell::Number((104_200 + i) as f64),
                Cell::Number(phone_digits.parse::<f64>().unwrap()),
            )
        };
        let territory = if text_numbers {
            t(&format!("Territoire {number}"))
        } else {
            Cell::Formula(
                format!("=\"Territoire \"&{number}"),
                format!("Territoire {number}"),
            )
        };
        rows.push(vec![
            t(&r[5].to_uppercase()),
            t(r[1]),
            t(r[0]),
            matricule,
            territory,
            phone,
            Cell::Date(43344.0 + i as f64),
            t(r[2]),
        ]);
    }
    xlsx(rows)
}

#[tokio::test]
async fn numbers_formulas_dates_and_title_lines_read_like_text() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let report = import(&db, "export.xlsx", hr_style_workbook(false), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(report.header_row, Some(3));
    assert_eq!(report.counts.updated, 7, "{}", report.to_text());
    assert_eq!(report.errors().count(), 0);
    assert_eq!(
        by_email(&db, "slara@hauts-de-seine.fr")
            .await
            .employee_id
            .as_deref(),
        Some("000123")
    );
    let maillard = by_email(&db, "bmaillard@hauts-de-seine.fr").await;
    assert_eq!(
        maillard.employee_id.as_deref(),
        Some("104201"),
        "104201 typed as a number"
    );
    assert_eq!(
        maillard.phone.as_deref(),
        Some("+33760902038"),
        "its lost leading zero is restored"
    );
    assert_eq!(
        territories_of(&db, maillard.id).await,
        vec![2],
        "the formula's value is read"
    );

    // The same content typed as text: the same people, nothing to change.
    let as_text = import(&db, "export-text.xlsx", hr_style_workbook(true), &options()).await;
    assert_status(&as_text, SyncStatus::Unchanged);
    assert_eq!(coordinator_count(&db).await, 7);
}

#[tokio::test]
async fn territories_are_read_in_every_form() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows: Vec<Vec<Cell>> = vec![HEADER.iter().map(|h| t(h)).collect()];
    let forms = [
        "Territoire 1",
        "T2",
        "3",
        "Territoire 4 - Nanterre, Rueil, Suresnes",
        "territoire n°5",
        "t 6",
    ];
    for (i, r) in seeded_rows().iter().enumerate() {
        let mut row: Vec<Cell> = r.iter().map(|c| t(c)).collect();
        row[3] = match forms.get(i) {
            Some(form) => t(form),
            None => Cell::Number(7.0),
        };
        rows.push(row);
    }
    let report = import(&db, "forms.xlsx", xlsx(rows), &options()).await;
    assert_status(&report, SyncStatus::Unchanged);
    assert_eq!(report.counts.unchanged, 7);
}

#[tokio::test]
async fn commune_names_are_read_as_people_write_them() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[0][6] = "Asnières; Villeneuve,\nGennevilliers";
    rows[4][6] = "Boulogne, Chaville, Garches, Issy, Vaucresson, Marnes, Vanves, Ville d'Avray, St-Cloud, sevres";
    rows[3][6] = "NANTERRE, rueil malmaison, Suresnes";
    let report = import(&db, "communes.xlsx", roster(&rows), &options()).await;
    assert_status(&report, SyncStatus::Unchanged);
    assert!(report.problems.is_empty(), "{}", report.to_text());
}

#[tokio::test]
async fn the_first_sheet_with_the_columns_is_read_and_rows_are_numbered_as_shown() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    // Sheet 2 starts on row 5 (rows 1–4 empty): calamine's range starts there, the
    // report must still say row 8 for the third person.
    let mut roster_rows: Vec<Vec<Cell>> = vec![vec![], vec![], vec![], vec![]];
    roster_rows.push(HEADER.iter().map(|h| t(h)).collect());
    for (i, r) in seeded_rows().iter().enumerate() {
        let mut row: Vec<Cell> = r.iter().map(|c| t(c)).collect();
        if i == 2 {
            row[5] = t("hmerlin(at)hauts-de-seine.fr");
        }
        row.insert(0, Cell::Empty);
        roster_rows.push(row);
    }
    // The header moved one column right with the empty first cell.
    roster_rows[4].insert(0, Cell::Empty);
    let bytes = xlsx_sheets(&[
        (
            "Notes",
            text_rows(&[&["Liste transmise par la DRH"], &["Nom", "Prénom"]]),
        ),
        ("Effectifs", roster_rows),
    ]);
    let report = import(&db, "sheets.xlsx", bytes, &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert_eq!(report.sheet.as_deref(), Some("Effectifs"));
    assert_eq!(report.header_row, Some(5));
    let error = report.errors().next().unwrap();
    assert_eq!(error.code, ProblemCode::InvalidEmail);
    assert_eq!(error.row, Some(8));
    assert_eq!(error.column.as_deref(), Some("Courriel"));
}

#[tokio::test]
async fn csv_files_in_windows_1252_with_semicolons_and_utf8_with_commas() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    // Windows-1252, semicolons, CRLF, as French Excel saves "CSV (séparateur : point-virgule)".
    let mut windows = b"Nom;Pr\xe9nom;Courriel;Territoire;T\xe9l\xe9phone;Fonction\r\n".to_vec();
    for r in seeded_rows() {
        let line = format!("{};{};{};{};{};{}\r\n", r[0], r[1], r[5], r[3], r[4], r[2]);
        windows.extend(line.bytes());
    }
    let report = import(&db, "export.csv", windows, &options()).await;
    assert_status(&report, SyncStatus::Unchanged);

    // UTF-8 with a BOM and commas; accents in a name show the decoding.
    let mut utf8 = "\u{feff}Nom,Prénom,Courriel,Territoire,Téléphone,Fonction\n".to_owned();
    for (i, r) in seeded_rows().iter().enumerate() {
        let first = if i == 0 { "Sandrine-Hélène" } else { r[1] };
        utf8.push_str(&format!(
            "{},{},{},\"{}\",{},{}\n",
            r[0], first, r[5], r[3], r[4], r[2]
        ));
    }
    let report = import(&db, "export-utf8.csv", utf8.into_bytes(), &options()).await;
    assert_status(&report, SyncStatus::Applied);
    assert_eq!(
        by_email(&db, "slara@hauts-de-seine.fr").await.first_name,
        "Sandrine-Hélène"
    );

    // Windows-1252 accents in a name.
    let mut latin = b"Nom;Pr\xe9nom;Courriel;Territoire\r\n".to_vec();
    for (i, r) in seeded_rows().iter().enumerate() {
        if i == 0 {
            latin.extend(b"LARA;Sandrine-H\xe9l\xe8ne;slara@hauts-de-seine.fr;1\r\n");
        } else {
            latin.extend(format!("{};{};{};{}\r\n", r[0], r[1], r[5], r[3]).bytes());
        }
    }
    let report = import(&db, "latin.csv", latin, &options()).await;
    assert_status(&report, SyncStatus::Unchanged);
}

#[tokio::test]
async fn warnings_never_block_and_are_recorded() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows: Vec<Vec<Cell>> = vec![
        ["Nom", "Prénom", "Courriel", "Territoire", "Observations"]
            .iter()
            .map(|h| t(h))
            .collect(),
    ];
    for (i, r) in seeded_rows().iter().enumerate() {
        if i == 3 {
            rows.push(vec![]);
        }
        rows.push(vec![t(r[0]), t(r[1]), t(r[5]), t(r[3]), t("RAS")]);
    }
    let report = import(&db, "warnings.xlsx", xlsx(rows), &options()).await;
    assert_status(&report, SyncStatus::Unchanged);
    let warnings: Vec<_> = report.warnings().map(|p| (p.code, p.row)).collect();
    assert_eq!(
        warnings,
        vec![
            (ProblemCode::IgnoredColumn, Some(1)),
            (ProblemCode::BlankLine, Some(5))
        ]
    );
    let stored = stored_problems(&db, report.run_id.unwrap()).await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|p| p.severity == ProblemSeverity::Warning)
    );
    assert_eq!(stored[0].column_name.as_deref(), Some("Observations"));
    assert_eq!(stored[0].code, "IGNORED_COLUMN");
}
