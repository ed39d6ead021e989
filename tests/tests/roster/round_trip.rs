//! The template and the export: what administrators start from. Importing an export
//! changes nothing.

use std::io::Read;

use territoires_sync::{
    ChangeKind, RosterSource, SyncStatus, export_roster, import_roster, template_bytes,
    write_template,
};

use crate::helpers::*;
use territoires_tests::TestDb;

/// The XML of the first sheet of an .xlsx file.
fn sheet_xml(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test]
async fn the_template_has_the_headers_an_example_and_a_territory_drop_down() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let bytes = template_bytes(&db).await.unwrap();
    let xml = sheet_xml(&bytes);
    assert!(xml.contains(r#"<dataValidation type="list""#), "{xml}");
    assert!(
        xml.contains("Territoire 1,Territoire 2,Territoire 3,Territoire 4,Territoire 5,Territoire 6,Territoire 7"),
        "{xml}"
    );

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("modele.xlsx");
    write_template(&db, &path).await.unwrap();
    // Imported as is (dry run, forced past the guard): one valid example person.
    let report = import_roster(
        &db,
        RosterSource::path(&path),
        &options().dry_run(true).force(true),
    )
    .await
    .unwrap();
    assert_status(&report, SyncStatus::Planned);
    assert_eq!(report.header_row, Some(1));
    assert_eq!(report.errors().count(), 0, "{}", report.to_text());
    let plan = report.plan.unwrap();
    let added: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].employee_id.as_deref(), Some("000123"));
    assert_eq!(added[0].territories_after, vec![1]);
    assert!(
        plan.commune_moves.is_empty(),
        "the example lists territory 1's own communes"
    );
}

#[tokio::test]
async fn importing_the_export_changes_nothing() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let folder = tempfile::tempdir().unwrap();

    // The seeded directory.
    let path = folder.path().join("export-1.xlsx");
    let summary = export_roster(&db, &path).await.unwrap();
    assert_eq!((summary.coordinators, summary.rows), (7, 7));
    let report = import_roster(&db, RosterSource::path(&path), &options())
        .await
        .unwrap();
    assert_status(&report, SyncStatus::Unchanged);
    assert!(report.problems.is_empty(), "{}", report.to_text());

    // After matricules (with leading zeros), a move, an interim, a vacancy and a
    // commune moved.
    let header = [
        "Matricule",
        "Nom",
        "Prénom",
        "Fonction",
        "Territoire",
        "Téléphone",
        "Courriel",
        "Communes",
    ];
    let mut rows: Vec<Vec<Cell>> = vec![header.iter().map(|h| t(h)).collect()];
    for (i, r) in seeded_rows().iter().enumerate() {
        let territory = match i {
            2 => "Territoire 4",
            6 => "Territoire 5",
            _ => r[3],
        };
        let communes = if i == 0 {
            "Asnières, Gennevilliers, Villeneuve, Clichy"
        } else {
            ""
        };
        rows.push(vec![
            t(&format!("00{}", 4200 + i)),
            t(r[0]),
            t(r[1]),
            t(r[2]),
            t(territory),
            t(r[4]),
            t(r[5]),
            t(communes),
        ]);
    }
    // ROUSTIT covers territory 7 too (interim); territory 3 is vacant.
    let mut interim = rows[7].clone();
    interim[4] = t("Territoire 7");
    rows.push(interim);
    // Leaving territory 3 vacant takes a forced import.
    let report = import(&db, "changes.xlsx", xlsx(rows), &options().force(true)).await;
    assert_status(&report, SyncStatus::Applied);

    let path = folder.path().join("export-2.xlsx");
    let summary = export_roster(&db, &path).await.unwrap();
    assert_eq!((summary.coordinators, summary.rows), (7, 8));
    let report = import_roster(&db, RosterSource::path(&path), &options())
        .await
        .unwrap();
    assert_status(&report, SyncStatus::Unchanged);
    assert_eq!(report.counts.unchanged, 7);
    assert!(report.problems.is_empty(), "{}", report.to_text());
    assert_eq!(
        by_last_name(&db, "LARA").await.employee_id.as_deref(),
        Some("004200")
    );
}
