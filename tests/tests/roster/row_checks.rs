//! Every cell checked against its column's type (a date where a territory is expected is
//! an error, not territory 5), every check across rows run on every row that has the
//! cells it needs (one error never hides another), problems in file order, and at most
//! `MAX_KEPT_PROBLEMS` problems kept per run.

use territoires_sync::{MAX_KEPT_PROBLEMS, ProblemCode, SyncReport, SyncStatus};

use crate::helpers::*;
use territoires_tests::TestDb;

/// Imports `bytes` and checks the file was rejected without touching the roster.
async fn rejected(db: &sea_orm::DatabaseConnection, name: &str, bytes: Vec<u8>) -> SyncReport {
    let before = snapshot(db).await;
    let report = import(db, name, bytes, &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert_eq!(
        snapshot(db).await,
        before,
        "a rejected file changes nothing"
    );
    report
}

fn found(report: &SyncReport) -> Vec<(Option<u32>, Option<&str>, ProblemCode)> {
    report
        .errors()
        .map(|p| (p.row, p.column.as_deref(), p.code))
        .collect()
}

/// The header of [`with_matricules`]: the template's columns.
const FULL_HEADER: [&str; 8] = [
    "Matricule",
    "Nom",
    "Prénom",
    "Fonction",
    "Territoire",
    "Téléphone",
    "Courriel",
    "Communes",
];

/// The seeded people as cells under [`FULL_HEADER`], matricules 100 to 106.
fn full_rows() -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = vec![FULL_HEADER.iter().map(|h| t(h)).collect()];
    for (i, r) in seeded_rows().iter().enumerate() {
        let mut row = vec![t(&format!("{}", 100 + i))];
        row.extend(r.iter().map(|c| t(c)));
        rows.push(row);
    }
    rows
}

/// 5 March 2026 as Excel stores it: what "5/3" typed in a French Excel becomes.
const MARCH_5_2026: f64 = 46086.0;

#[tokio::test]
async fn a_date_true_false_or_error_cell_in_a_typed_column_is_rejected_with_the_cell_named() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = full_rows();
    rows[1][4] = Cell::Date(MARCH_5_2026); // row 2, Territoire: not territory 5
    rows[2][0] = Cell::Bool(true); // row 3, Matricule
    rows[3][1] = Cell::Date(MARCH_5_2026); // row 4, Nom
    rows[4][2] = Cell::Bool(false); // row 5, Prénom
    rows[5][6] = Cell::Formula("=NA()".into(), "#N/A".into()); // row 6, Courriel
    rows[6][5] = Cell::Date(MARCH_5_2026 + 0.5); // row 7, Téléphone
    // Row 8, Fonction: free text, a date there is what the spreadsheet shows.
    rows[7][3] = Cell::Date(MARCH_5_2026);
    let report = rejected(&db, "dates.xlsx", xlsx(rows)).await;
    assert_eq!(
        found(&report),
        vec![
            (Some(2), Some("Territoire"), ProblemCode::WrongCellType),
            (Some(3), Some("Matricule"), ProblemCode::WrongCellType),
            (Some(4), Some("Nom"), ProblemCode::WrongCellType),
            (Some(5), Some("Prénom"), ProblemCode::WrongCellType),
            (Some(6), Some("Courriel"), ProblemCode::CellError),
            (Some(7), Some("Téléphone"), ProblemCode::WrongCellType),
        ],
        "{}",
        report.to_text()
    );
    let messages: Vec<&str> = report.errors().map(|p| p.message.as_str()).collect();
    assert!(
        messages[0].contains("une date (le tableur affiche « 05/03/2026 »)")
            && messages[0].contains("au lieu d'un territoire"),
        "{}",
        messages[0]
    );
    assert!(messages[1].contains("« VRAI »"), "{}", messages[1]);
    assert!(messages[3].contains("« FAUX »"), "{}", messages[3]);
    assert!(messages[4].contains("#N/A"), "{}", messages[4]);
    assert!(
        messages[5].contains("« 05/03/2026 12:00 »"),
        "{}",
        messages[5]
    );
    let stored = stored_problems(&db, report.run_id.unwrap()).await;
    assert_eq!(stored[0].row_number, Some(2));
    assert_eq!(stored[0].column_name.as_deref(), Some("Territoire"));
    assert_eq!(stored[0].code, "WRONG_CELL_TYPE");
}

#[tokio::test]
async fn a_date_written_as_text_in_a_csv_territory_is_rejected() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut csv = String::from("Nom;Prénom;Courriel;Territoire\n");
    for (i, r) in seeded_rows().iter().enumerate() {
        // What a spreadsheet writes in a CSV file for the date it made of "5/3".
        let territory = if i == 0 { "05/03/2026" } else { r[3] };
        csv.push_str(&format!("{};{};{};{territory}\n", r[0], r[1], r[5]));
    }
    let report = rejected(&db, "dates.csv", csv.into_bytes()).await;
    assert_eq!(
        found(&report),
        vec![(Some(2), Some("Territoire"), ProblemCode::WrongCellType)]
    );
    assert!(
        report
            .errors()
            .all(|p| p.message.contains("« 05/03/2026 »"))
    );
}

#[tokio::test]
async fn duplicates_are_reported_even_on_rows_with_other_errors_in_row_order() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = full_rows();
    // Row 2 (matricule 100): an invalid phone, and lists Clichy under territory 1.
    rows[1][5] = t("06 68 17");
    rows[1][7] = t("Clichy");
    // Row 3: LARA's e-mail for MAILLARD, and an invalid phone too.
    rows[2][6] = t("slara@hauts-de-seine.fr");
    rows[2][5] = t("12");
    // Row 4: Clichy again under territory 3, and a formula error in Nom.
    rows[3][7] = t("Clichy");
    rows[3][1] = Cell::Formula("=NA()".into(), "#N/A".into());
    // Row 5: matricule 100 again, for VAN DER HEYDEN.
    rows[4][0] = t("100");
    let report = rejected(&db, "six.xlsx", xlsx(rows)).await;
    assert_eq!(
        found(&report),
        vec![
            (Some(2), Some("Téléphone"), ProblemCode::InvalidPhone),
            (Some(3), Some("Téléphone"), ProblemCode::InvalidPhone),
            (Some(3), Some("Courriel"), ProblemCode::DuplicateEmail),
            (Some(4), Some("Nom"), ProblemCode::CellError),
            (Some(4), Some("Communes"), ProblemCode::CommuneClaimedTwice),
            (Some(5), Some("Matricule"), ProblemCode::DuplicateKey),
        ],
        "{}",
        report.to_text()
    );
    assert!(report.summary.contains("6 erreurs"), "{}", report.summary);
    let stored: Vec<Option<i32>> = stored_problems(&db, report.run_id.unwrap())
        .await
        .iter()
        .map(|p| p.row_number)
        .collect();
    assert_eq!(
        stored,
        vec![Some(2), Some(3), Some(3), Some(4), Some(4), Some(5)],
        "stored in file order"
    );
}

#[tokio::test]
async fn at_most_a_thousand_problems_are_kept_and_the_rest_counted() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut csv = String::from("Nom;Prénom;Courriel;Territoire\n");
    for i in 0..2500 {
        csv.push_str(&format!("NOM{i};Prénom;pas-une-adresse-{i};1\n"));
    }
    let report = rejected(&db, "errors.csv", csv.into_bytes()).await;
    assert_eq!(report.error_count(), 2500);
    assert!(
        report.summary.contains("2 500 erreurs"),
        "{}",
        report.summary
    );
    assert_eq!(report.problems.len(), MAX_KEPT_PROBLEMS);
    let stored = stored_problems(&db, report.run_id.unwrap()).await;
    assert_eq!(stored.len(), MAX_KEPT_PROBLEMS);
    // The first rows of the file, in order, then one line for the others.
    assert_eq!(stored[0].row_number, Some(2));
    assert_eq!(stored[998].row_number, Some(1000));
    let last = &stored[MAX_KEPT_PROBLEMS - 1];
    assert_eq!(last.code, "PROBLEMS_OMITTED");
    assert!(
        last.message
            .contains("… et 1 501 autres problèmes (dont 1 501 erreurs)"),
        "{}",
        last.message
    );
    assert!(
        report
            .to_text()
            .contains("Problèmes (2 500, dont 999 détaillés)")
    );
}

#[tokio::test]
async fn a_csv_with_200_000_columns_does_not_store_200_000_warnings() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut csv = String::from("Nom;Prénom;Courriel;Territoire");
    for i in 0..200_000 {
        csv.push_str(&format!(";C{i}"));
    }
    csv.push('\n');
    for r in seeded_rows() {
        csv.push_str(&format!("{};{};{};{}\n", r[0], r[1], r[5], r[3]));
    }
    let report = import(&db, "large.csv", csv.into_bytes(), &options()).await;
    assert!(report.problems.len() <= MAX_KEPT_PROBLEMS);
    let stored = stored_problems(&db, report.run_id.unwrap()).await;
    assert!(stored.len() <= MAX_KEPT_PROBLEMS, "{} rows", stored.len());
    if report.status != SyncStatus::Rejected {
        // Read: the ignored columns are counted, not stored one by one.
        assert_eq!(
            report.omitted_problems,
            200_000 - (MAX_KEPT_PROBLEMS as u64 - 1)
        );
        assert_eq!(
            stored.last().map(|p| p.code.as_str()),
            Some("PROBLEMS_OMITTED")
        );
    }
}
