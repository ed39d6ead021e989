//! Every bad input is rejected as a whole, with the row and column of each problem, a
//! stable code and a French message — and changes nothing. No input panics.

use territoires_sync::{ProblemCode, RosterSource, SyncError, SyncStatus, import_roster};

use crate::helpers::*;
use territoires_tests::TestDb;

/// Imports `bytes` and checks the file was rejected without touching the roster.
async fn rejected(
    db: &sea_orm::DatabaseConnection,
    name: &str,
    bytes: Vec<u8>,
) -> territoires_sync::SyncReport {
    let before = snapshot(db).await;
    let report = import(db, name, bytes, &options()).await;
    assert_status(&report, SyncStatus::Rejected);
    assert!(report.errors().all(|p| !p.message.is_empty()));
    assert_eq!(
        snapshot(db).await,
        before,
        "a rejected file changes nothing"
    );
    assert_eq!(report.exit_code(), 1);
    report
}

#[tokio::test]
async fn empty_unreadable_and_misnamed_files_are_rejected_clearly() {
    let database = TestDb::new().await;
    let db = database.connect().await;

    let empty = rejected(&db, "vide.xlsx", Vec::new()).await;
    assert_eq!(codes(&empty), vec![ProblemCode::EmptyFile]);

    let headers_only = rejected(&db, "entetes.xlsx", roster(&[])).await;
    assert_eq!(codes(&headers_only), vec![ProblemCode::NoDataRows]);

    let no_cells = rejected(&db, "blanc.xlsx", xlsx(vec![])).await;
    assert_eq!(codes(&no_cells), vec![ProblemCode::EmptyFile]);

    // A valid workbook cut in half, as an interrupted copy leaves it.
    let mut truncated = roster(&seeded_rows());
    truncated.truncate(truncated.len() / 2);
    let corrupt = rejected(&db, "tronque.xlsx", truncated).await;
    assert_eq!(codes(&corrupt), vec![ProblemCode::UnreadableFile]);

    let text = rejected(
        &db,
        "liste.xlsx",
        b"Nom;Prenom;Courriel;Territoire\nA;B;a@b.fr;1\n".to_vec(),
    )
    .await;
    assert_eq!(codes(&text), vec![ProblemCode::UnreadableFile]);
    assert!(text.errors().next().unwrap().message.contains(".xlsx"));

    let binary = rejected(&db, "image.csv", vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13]).await;
    assert_eq!(codes(&binary), vec![ProblemCode::UnreadableFile]);

    let unrelated = rejected(
        &db,
        "autre.xlsx",
        xlsx(text_rows(&[&["Budget 2026"], &["Ligne", "Montant"]])),
    )
    .await;
    assert_eq!(codes(&unrelated), vec![ProblemCode::MissingColumn]);

    // Every attempt is recorded, with its problems.
    let recorded = runs(&db).await;
    assert_eq!(recorded.len(), 7);
    assert!(recorded.iter().all(|r| r.status == SyncStatus::Rejected));
    let problems = stored_problems(&db, recorded[0].id).await;
    assert_eq!(problems[0].code, "EMPTY_FILE");
}

#[tokio::test]
async fn a_missing_file_is_a_usage_error() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let error = import_roster(
        &db,
        RosterSource::path("/nonexistent/liste.xlsx"),
        &options(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, SyncError::FileNotFound(_)), "{error}");
    assert_eq!(error.exit_code(), 2);
    let folder = tempfile::tempdir().unwrap();
    let error = import_roster(&db, RosterSource::path(folder.path()), &options())
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::NotAFile(_)), "{error}");
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_rejected_unread() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let folder = tempfile::tempdir().unwrap();
    let huge = folder.path().join("enorme.xlsx");
    // 11 MiB, over the default 10 MiB limit (sparse: nothing is really written).
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(11 * 1024 * 1024).unwrap();
    let report = import_roster(&db, RosterSource::path(&huge), &options())
        .await
        .unwrap();
    assert_status(&report, SyncStatus::Rejected);
    assert_eq!(codes(&report), vec![ProblemCode::FileTooLarge]);
    assert!(report.file_sha256.is_none(), "not even read to hash it");

    // Uploads are checked too, and the limit is configurable.
    let mut small_limit = options();
    small_limit.max_file_size = 1000;
    let report = import(&db, "r.xlsx", roster(&seeded_rows()), &small_limit).await;
    assert_eq!(codes(&report), vec![ProblemCode::FileTooLarge]);

    let mut few_rows = options();
    few_rows.max_rows = 3;
    let report = import(&db, "r.xlsx", roster(&seeded_rows()), &few_rows).await;
    assert_eq!(codes(&report), vec![ProblemCode::TooManyRows]);
}

#[tokio::test]
async fn missing_columns_are_named() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let bytes = xlsx(text_rows(&[
        &["Nom", "Prénom", "Affectation", "Téléphone"],
        &["LARA", "Sandrine", "1", "07 60 77 99 05"],
    ]));
    let report = rejected(&db, "r.xlsx", bytes).await;
    let problem = report.errors().next().unwrap();
    assert_eq!(problem.code, ProblemCode::MissingColumn);
    assert_eq!(problem.column.as_deref(), Some("Courriel"));
    assert_eq!(problem.row, Some(1));
    assert!(
        problem.message.contains("Adresse mail"),
        "{}",
        problem.message
    );
}

#[tokio::test]
async fn every_cell_error_is_reported_by_row_and_column() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut rows = seeded_rows();
    rows[0][0] = ""; // row 2: empty Nom
    rows[1][5] = "bmaillard@"; // row 3: invalid e-mail
    rows[2][4] = "06 68 17"; // row 4: invalid phone
    rows[3][3] = "Territoire 9"; // row 5: unknown territory
    rows[4][3] = "Boulogne"; // row 6: not a territory
    rows[5][6] = "Clamart, Paris"; // row 7: unknown commune
    let report = rejected(&db, "r.xlsx", roster(&rows)).await;
    let found: Vec<(Option<u32>, Option<&str>, ProblemCode)> = report
        .errors()
        .map(|p| (p.row, p.column.as_deref(), p.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some(2), Some("Nom"), ProblemCode::EmptyCell),
            (Some(3), Some("Courriel"), ProblemCode::InvalidEmail),
            (Some(4), Some("Téléphone"), ProblemCode::InvalidPhone),
            (Some(5), Some("Territoire"), ProblemCode::UnknownTerritory),
            (Some(6), Some("Territoire"), ProblemCode::UnknownTerritory),
            (Some(7), Some("Communes"), ProblemCode::UnknownCommune),
        ]
    );
    let stored = stored_problems(&db, report.run_id.unwrap()).await;
    assert_eq!(stored.len(), 6);
    assert_eq!(stored[1].row_number, Some(3));
    assert_eq!(stored[1].column_name.as_deref(), Some("Courriel"));
    assert_eq!(stored[1].code, "INVALID_EMAIL");
    assert!(stored[1].message.contains("n'est pas une adresse"));
}

#[tokio::test]
async fn an_ambiguous_commune_is_an_error() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    // "Garenne" as a short name of both Villeneuve-la-Garenne and La Garenne-Colombes.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    for insee in ["92078", "92035"] {
        let commune = entity::commune::Entity::find()
            .filter(entity::commune::Column::InseeCode.eq(insee))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        entity::commune_alias::ActiveModel {
            commune_id: Set(commune.id),
            alias: Set("Garenne".to_owned()),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    let mut rows = seeded_rows();
    rows[0][6] = "Asnières, Garenne";
    let report = rejected(&db, "r.xlsx", roster(&rows)).await;
    assert_eq!(codes(&report), vec![ProblemCode::AmbiguousCommune]);
    let message = &report.errors().next().unwrap().message;
    assert!(
        message.contains("La Garenne-Colombes") && message.contains("Villeneuve-la-Garenne"),
        "{message}"
    );
}

#[tokio::test]
async fn duplicate_keys_shared_emails_and_communes_claimed_twice_are_errors() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let header = [
        "Matricule",
        "Nom",
        "Prénom",
        "Courriel",
        "Territoire",
        "Communes",
    ];
    let mut rows: Vec<Vec<Cell>> = vec![header.iter().map(|h| t(h)).collect()];
    for (i, r) in seeded_rows().iter().enumerate() {
        rows.push(vec![
            t(&format!("{}", 100 + i)),
            t(r[0]),
            t(r[1]),
            t(r[5]),
            t(r[3]),
            t(""),
        ]);
    }
    // Row 9: matricule 100 again, for someone else.
    rows.push(vec![
        t("100"),
        t("DUPONT"),
        t("Jean"),
        t("jdupont@hauts-de-seine.fr"),
        t("2"),
        t(""),
    ]);
    // Row 10: a new matricule with MERLIN's e-mail.
    rows.push(vec![
        t("200"),
        t("DURAND"),
        t("Marie"),
        t("HMERLIN@hauts-de-seine.fr"),
        t("3"),
        t(""),
    ]);
    // Rows 2 and 3 both list Clichy, under territories 1 and 2.
    rows[1][5] = t("Asnières, Clichy");
    rows[2][5] = t("Colombes; clichy");
    let report = rejected(&db, "r.xlsx", xlsx(rows)).await;
    let found: Vec<(Option<u32>, Option<&str>, ProblemCode)> = report
        .errors()
        .map(|p| (p.row, p.column.as_deref(), p.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (Some(3), Some("Communes"), ProblemCode::CommuneClaimedTwice),
            (Some(9), Some("Matricule"), ProblemCode::DuplicateKey),
            (Some(10), Some("Courriel"), ProblemCode::DuplicateEmail),
        ]
    );
}

#[tokio::test]
async fn no_input_panics() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let valid = roster(&seeded_rows());
    // A small deterministic generator: no dependency, the same inputs every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let prefixes: [&[u8]; 5] = [
        b"PK\x03\x04",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        b"\xEF\xBB\xBFNom;Pr\xC3\xA9nom;Courriel;Territoire\n",
        b"\xFF\xFE",
        b"",
    ];
    for i in 0..40 {
        let mut bytes = prefixes[i % prefixes.len()].to_vec();
        if i % 3 == 0 {
            // A valid workbook with a few bytes flipped.
            bytes = valid.clone();
            for _ in 0..4 {
                let at = (next() as usize) % bytes.len();
                bytes[at] ^= (next() & 0xFF) as u8;
            }
        } else {
            let len = (next() % 600) as usize;
            bytes.extend((0..len).map(|_| (next() & 0xFF) as u8));
        }
        let name = ["x.xlsx", "x.csv", "x.ods", "x.xls", "x"][i % 5];
        let result = import_roster(&db, RosterSource::bytes(name, bytes), &options()).await;
        let report = result.unwrap_or_else(|e| panic!("input {i}: {e}"));
        assert!(
            matches!(
                report.status,
                SyncStatus::Rejected
                    | SyncStatus::Unchanged
                    | SyncStatus::Refused
                    | SyncStatus::Applied
            ),
            "input {i}: {:?}",
            report.status
        );
    }
}
