//! Shared helpers: fixtures, spreadsheets written on the fly, and database look-ups.

use std::path::PathBuf;

use entity::{
    coordinator, coordinator_assignment, data_version, sync_run, sync_run_problem, territory,
};
use rust_xlsxwriter::{Formula, Workbook};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use territoires_sync::{
    ImportOptions, ProblemCode, RosterSource, SyncConfig, SyncReport, SyncStatus, SyncTrigger,
    import_roster,
};

/// A committed fixture (copied from the shared fixtures, or made from them).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A spreadsheet cell to write.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A formula and the value the spreadsheet program cached for it.
    Formula(String, String),
    /// A date (Excel serial number) shown as a date.
    Date(f64),
    /// A true/false value.
    Bool(bool),
    Empty,
}

pub fn t(text: &str) -> Cell {
    if text.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(text.to_owned())
    }
}

/// Rows of text cells.
pub fn text_rows(rows: &[&[&str]]) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| r.iter().map(|c| t(c)).collect())
        .collect()
}

/// An .xlsx workbook with the given sheets (name, rows from A1 down).
pub fn xlsx_sheets(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(text) => {
                        sheet.write_string(r, c, text).unwrap();
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n).unwrap();
                    }
                    Cell::Formula(formula, result) => {
                        sheet
                            .write_formula(r, c, Formula::new(formula).set_result(result))
                            .unwrap();
                    }
                    Cell::Date(serial) => {
                        let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
                        sheet
                            .write_number_with_format(r, c, *serial, &format)
                            .unwrap();
                    }
                    Cell::Bool(value) => {
                        sheet.write_boolean(r, c, *value).unwrap();
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// An .xlsx workbook with one sheet.
pub fn xlsx(rows: Vec<Vec<Cell>>) -> Vec<u8> {
    xlsx_sheets(&[("Coordonnateurs", rows)])
}

pub const HEADER: [&str; 7] = [
    "Nom",
    "Prénom",
    "Fonction",
    "Territoire",
    "Téléphone",
    "Courriel",
    "Communes",
];

/// The seven coordinators as seeded (no Communes column values), one row each.
pub fn seeded_rows() -> Vec<[&'static str; 7]> {
    vec![
        [
            "LARA",
            "Sandrine",
            "Coordonnatrice de territoire 1",
            "Territoire 1",
            "07 60 77 99 05",
            "slara@hauts-de-seine.fr",
            "",
        ],
        [
            "MAILLARD",
            "Bertrand",
            "Coordonnateur de territoire 2",
            "Territoire 2",
            "07 60 90 20 38",
            "bmaillard@hauts-de-seine.fr",
            "",
        ],
        [
            "MERLIN",
            "Hannan",
            "Coordonnatrice de territoire 3",
            "Territoire 3",
            "06 68 17 62 50",
            "hmerlin@hauts-de-seine.fr",
            "",
        ],
        [
            "VAN DER HEYDEN",
            "Nathalie",
            "Coordonnateur de territoire 4",
            "Territoire 4",
            "07 64 06 60 07",
            "nvan-der-heyden@hauts-de-seine.fr",
            "",
        ],
        [
            "CUQ",
            "Aude",
            "Coordonnatrice de territoire 5",
            "Territoire 5",
            "06 61 79 09 55",
            "acuq@hauts-de-seine.fr",
            "",
        ],
        [
            "AMIEL",
            "Isabelle",
            "Coordonnatrice de territoire 6",
            "Territoire 6",
            "07 60 78 04 83",
            "iamiel@hauts-de-seine.fr",
            "",
        ],
        [
            "ROUSTIT",
            "Pierre",
            "Coordonnateur de territoire 7",
            "Territoire 7",
            "06 98 65 25 34",
            "proustit@hauts-de-seine.fr",
            "",
        ],
    ]
}

/// A workbook of the header and `rows`.
pub fn roster(rows: &[[&str; 7]]) -> Vec<u8> {
    let mut all = vec![HEADER.iter().map(|h| t(h)).collect::<Vec<_>>()];
    all.extend(rows.iter().map(|r| r.iter().map(|c| t(c)).collect()));
    xlsx(all)
}

pub fn options() -> ImportOptions {
    ImportOptions::new(SyncTrigger::Cli, "test")
}

/// Imports `bytes` as `name`; the import must run (a report, not an error).
pub async fn import(
    db: &DatabaseConnection,
    name: &str,
    bytes: Vec<u8>,
    options: &ImportOptions,
) -> SyncReport {
    import_roster(db, RosterSource::bytes(name, bytes), options)
        .await
        .expect("the import runs")
}

pub fn codes(report: &SyncReport) -> Vec<ProblemCode> {
    report.errors().map(|p| p.code).collect()
}

pub fn assert_status(report: &SyncReport, status: SyncStatus) {
    assert_eq!(report.status, status, "{}", report.to_text());
}

/// Active coordinators' e-mails, sorted.
pub async fn active_emails(db: &DatabaseConnection) -> Vec<String> {
    let mut emails: Vec<String> = coordinator::Entity::find()
        .filter(coordinator::Column::Active.eq(true))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.email)
        .collect();
    emails.sort();
    emails
}

pub async fn coordinator_count(db: &DatabaseConnection) -> u64 {
    coordinator::Entity::find().count(db).await.unwrap()
}

pub async fn by_email(db: &DatabaseConnection, email: &str) -> coordinator::Model {
    coordinator::Entity::find()
        .filter(coordinator::Column::Email.eq(email))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no coordinator {email}"))
}

pub async fn by_last_name(db: &DatabaseConnection, last_name: &str) -> coordinator::Model {
    coordinator::Entity::find()
        .filter(coordinator::Column::LastName.eq(last_name))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no coordinator {last_name}"))
}

/// (territory number, open?) of each assignment of a coordinator, oldest first.
pub async fn history(db: &DatabaseConnection, coordinator_id: i32) -> Vec<(i32, bool)> {
    let numbers: std::collections::HashMap<i32, i32> = territory::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    coordinator_assignment::Entity::find()
        .filter(coordinator_assignment::Column::CoordinatorId.eq(coordinator_id))
        .order_by_asc(coordinator_assignment::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (numbers[&a.territory_id], a.ended_at.is_none()))
        .collect()
}

/// Open territories of a coordinator, sorted.
pub async fn territories_of(db: &DatabaseConnection, coordinator_id: i32) -> Vec<i32> {
    let mut open: Vec<i32> = history(db, coordinator_id)
        .await
        .into_iter()
        .filter(|(_, open)| *open)
        .map(|(t, _)| t)
        .collect();
    open.sort();
    open
}

pub async fn version(db: &DatabaseConnection) -> i64 {
    data_version::current(db).await.unwrap()
}

pub async fn runs(db: &DatabaseConnection) -> Vec<sync_run::Model> {
    sync_run::Entity::find()
        .order_by_asc(sync_run::Column::Id)
        .all(db)
        .await
        .unwrap()
}

pub async fn stored_problems(db: &DatabaseConnection, run_id: i32) -> Vec<sync_run_problem::Model> {
    sync_run_problem::Entity::find()
        .filter(sync_run_problem::Column::SyncRunId.eq(run_id))
        .order_by_asc(sync_run_problem::Column::Id)
        .all(db)
        .await
        .unwrap()
}

/// Everything a rejected import must leave untouched, to compare before and after.
pub async fn snapshot(
    db: &DatabaseConnection,
) -> (
    Vec<coordinator::Model>,
    Vec<coordinator_assignment::Model>,
    Vec<entity::commune::Model>,
    i64,
) {
    (
        coordinator::Entity::find()
            .order_by_asc(coordinator::Column::Id)
            .all(db)
            .await
            .unwrap(),
        coordinator_assignment::Entity::find()
            .order_by_asc(coordinator_assignment::Column::Id)
            .all(db)
            .await
            .unwrap(),
        entity::commune::Entity::find()
            .order_by_asc(entity::commune::Column::Id)
            .all(db)
            .await
            .unwrap(),
        version(db).await,
    )
}

/// A drop folder at `dir` whose files are taken at once (no settle time).
pub fn config(dir: &std::path::Path) -> SyncConfig {
    SyncConfig {
        drop_dir: dir.to_path_buf(),
        settle_time: std::time::Duration::ZERO,
        ..SyncConfig::default()
    }
}

/// Writes `bytes` to `dir/name` dated `age` ago.
pub fn drop_file(dir: &std::path::Path, name: &str, bytes: &[u8], age: std::time::Duration) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let file = std::fs::File::options().append(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

/// The names of the entries of `dir`, sorted.
pub fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
