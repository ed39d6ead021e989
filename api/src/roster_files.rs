//! What the console's "Déposer une liste" and "Coordonnateurs" pages do, away from their
//! handlers: check a submitted file, run its dry run, apply the kept file (by SHA-256,
//! refused when the data changed since the plan was shown), and read the roster by
//! territory with its assignment history. Every write is audited under its author: the
//! signed-in token's name, or the person signed in through the identity provider (name,
//! subject and e-mail, on the audit entry and on the run).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::audit_log::{self, AuditEntity, FieldChange, NewEntry};
use entity::{AuditAction, Labelled, SyncTrigger, coordinator, coordinator_assignment, territory};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use territoires_sync::{RosterSource, SyncConfig, SyncError, SyncReport};

use crate::editing::Author;
use crate::error::{Error, Result};

/// Extensions of the files the import reads.
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "ods", "csv"];

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Why a submitted file is refused before anything is kept or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRefusal {
    /// No file chosen, or an empty one.
    Empty,
    /// Not named as a spreadsheet or a CSV file.
    WrongType,
    /// Named as a spreadsheet, but its content is not one (or a "CSV" file holding
    /// binary data).
    NotASpreadsheet,
}

impl FileRefusal {
    /// What the administrator reads.
    pub fn message(self) -> &'static str {
        match self {
            Self::Empty => {
                "Aucun fichier n'a été reçu, ou le fichier est vide (0 octet). Choisissez la liste des coordonnateurs et recommencez."
            }
            Self::WrongType => {
                "Ce fichier n'est pas une liste de coordonnateurs : seuls les classeurs .xlsx, .xls, .ods et les fichiers .csv sont acceptés."
            }
            Self::NotASpreadsheet => {
                "Le contenu de ce fichier n'est pas un classeur ni un fichier texte .csv (c'est peut-être un autre document renommé). Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx, .ods ou .csv."
            }
        }
    }
}

/// The lower-case extension of `name`.
fn extension(name: &str) -> String {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether `bytes`, submitted as `name`, may be a roster file: a known extension, and a
/// content that matches it (a workbook's signature, or text without NUL bytes for CSV).
/// The import checks everything else and reports it row by row.
pub fn check_roster_file(name: &str, bytes: &[u8]) -> Result<(), FileRefusal> {
    if bytes.is_empty() {
        return Err(FileRefusal::Empty);
    }
    let ext = extension(name);
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(FileRefusal::WrongType);
    }
    let workbook = bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC);
    let readable = match ext.as_str() {
        "csv" => workbook || !bytes.contains(&0),
        _ => workbook,
    };
    if readable {
        Ok(())
    } else {
        Err(FileRefusal::NotASpreadsheet)
    }
}

/// A dry run shown to an administrator: its report, and the data version read before it
/// started (the plan is at least that recent; applying it is refused if the version has
/// moved since).
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The recorded dry run.
    pub report: SyncReport,
    /// The data version the plan was computed against.
    pub data_version: i64,
}

/// Runs a dry run of `bytes` (kept by the import under their SHA-256) for `author`, and
/// audits it.
pub async fn dry_run(
    db: &DatabaseConnection,
    config: &SyncConfig,
    author: &Author,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<DryRun> {
    let data_version = entity::data_version::current(db).await?;
    let options = upload_options(config, author).dry_run(true);
    let report = run_import(
        db,
        RosterSource::bytes(file_name, bytes),
        options,
        author,
        None,
    )
    .await?;
    Ok(DryRun {
        report,
        data_version,
    })
}

/// What applying a kept file came to.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The import ran (whatever its outcome) and was recorded as this run.
    Run(i32),
    /// No kept file has this SHA-256: nothing was run.
    UnknownFile,
    /// The data changed since the plan was computed: nothing was run; a new dry run of
    /// the same file is returned, to be shown instead.
    Stale(Box<DryRun>),
    /// Another import held the lock (the attempt is recorded BUSY): the plan may be out
    /// of date once it ends, so a new dry run is returned, to be shown instead.
    Busy(Box<DryRun>),
}

/// Imports the kept file `sha` for `author` — forced past the guards if `force` — unless
/// `plan_version` is given and the data version moved since (another import, or any
/// edit, may have changed what the plan compared against): then the plan is computed
/// again, not applied. The import itself always plans against the roster it locks, so a
/// change racing this check is never overwritten blindly.
pub async fn apply_kept(
    db: &DatabaseConnection,
    config: &SyncConfig,
    author: &Author,
    sha: &str,
    plan_version: Option<i64>,
    force: bool,
) -> Result<Applied> {
    let valid_sha = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_sha {
        return Ok(Applied::UnknownFile);
    }
    let Some(file) = territoires_sync::kept_file(db, &sha.to_ascii_lowercase()).await? else {
        return Ok(Applied::UnknownFile);
    };
    if let Some(expected) = plan_version {
        let current = entity::data_version::current(db).await?;
        if current != expected {
            tracing::info!(
                expected,
                current,
                "console: plan out of date, computed again"
            );
            let again = dry_run(db, config, author, &file.file_name, file.bytes).await?;
            return Ok(Applied::Stale(Box::new(again)));
        }
    }
    // Checked again by the import under its lock: two administrators applying the same
    // plan at once may both pass the check above, only one passes that one.
    let options = upload_options(config, author)
        .force(force)
        .expecting_data_version(plan_version);
    let file_name = file.file_name.clone();
    let source = RosterSource::bytes(file.file_name, file.bytes);
    let report = run_import(db, source, options, author, Some(force)).await;
    let again = || async {
        let bytes = territoires_sync::kept_file(db, &sha.to_ascii_lowercase())
            .await?
            .map(|file| file.bytes)
            .unwrap_or_default();
        dry_run(db, config, author, &file_name, bytes).await
    };
    match report {
        Ok(report) => report
            .run_id
            .map(Applied::Run)
            .ok_or_else(|| Error::Internal("an import without a recorded run".to_owned())),
        Err(Error::Sync(SyncError::Stale { expected, current })) => {
            tracing::info!(
                expected,
                current,
                "console: plan out of date under the import lock, computed again"
            );
            Ok(Applied::Stale(Box::new(again().await?)))
        }
        Err(Error::Sync(SyncError::Busy { .. })) if plan_version.is_some() => {
            Ok(Applied::Busy(Box::new(again().await?)))
        }
        // Busy or failed, but recorded: its history entry says what happened.
        Err(Error::Sync(error)) if error.run_id().is_some() => {
            Ok(error.run_id().map_or(Applied::UnknownFile, Applied::Run))
        }
        Err(error) => Err(error),
    }
}

/// The options of an import of a console upload by `author`: the run records the name
/// as its actor and the person (if any) as its author.
fn upload_options(config: &SyncConfig, author: &Author) -> territoires_sync::ImportOptions {
    config
        .import_options(SyncTrigger::Upload, author.name.clone())
        .person(author.person.clone())
}

/// Runs an import in a task of its own (a client that goes away does not cut it short)
/// and audits its run under `author`. An import that could not run but was recorded
/// (BUSY, FAILED) comes back as a report-less run id through [`SyncError::run_id`].
async fn run_import(
    db: &DatabaseConnection,
    source: RosterSource,
    options: territoires_sync::ImportOptions,
    author: &Author,
    forced: Option<bool>,
) -> Result<SyncReport> {
    let task_db = db.clone();
    let dry_run = options.dry_run;
    let outcome =
        tokio::spawn(
            async move { territoires_sync::import_roster(&task_db, source, &options).await },
        )
        .await
        .map_err(|e| Error::Internal(format!("roster import task: {e}")))?;
    let report = match outcome {
        Ok(report) => report,
        Err(error) => return Err(recorded_failure(db, author, error, dry_run).await),
    };
    if let Some(run_id) = report.run_id {
        audit(
            db,
            author,
            run_id,
            report.file_name.as_deref(),
            report.file_sha256.as_deref(),
            dry_run,
            forced.unwrap_or(false),
            report.status.code(),
        )
        .await?;
    }
    Ok(report)
}

/// A recorded import that could not run (BUSY, FAILED): audited, then returned as
/// [`Error::Sync`] (whose run id the page links to).
async fn recorded_failure(
    db: &DatabaseConnection,
    author: &Author,
    error: SyncError,
    dry_run: bool,
) -> Error {
    if let Some(run_id) = error.run_id()
        && let Err(audit_error) = audit(
            db,
            author,
            run_id,
            None,
            None,
            dry_run,
            false,
            if matches!(error, SyncError::Busy { .. }) {
                "BUSY"
            } else {
                "FAILED"
            },
        )
        .await
    {
        tracing::error!(error = %audit_error, "console: import not audited");
    }
    Error::Sync(error)
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    db: &DatabaseConnection,
    author: &Author,
    run_id: i32,
    file_name: Option<&str>,
    sha: Option<&str>,
    dry_run: bool,
    forced: bool,
    status: &str,
) -> Result<()> {
    let null = serde_json::Value::Null;
    let mut changes = vec![
        FieldChange::new("status", null.clone(), status),
        FieldChange::new("dryRun", null.clone(), dry_run),
        FieldChange::new("forced", null.clone(), forced),
    ];
    if let Some(name) = file_name {
        changes.push(FieldChange::new("fileName", null.clone(), name));
    }
    if let Some(sha) = sha {
        changes.push(FieldChange::new("fileSha256", null, sha));
    }
    let entry = NewEntry {
        entity: AuditEntity::SyncRun,
        entity_id: run_id,
        action: AuditAction::Create,
        changes,
    };
    // The entry's time is the end of the import, not the request's start.
    audit_log::record(
        db,
        &author.name,
        author.person.as_ref(),
        Utc::now(),
        vec![entry],
    )
    .await?;
    Ok(())
}

/// One period of a person on a territory.
#[derive(Debug, Clone)]
pub struct Period {
    /// The person.
    pub coordinator: coordinator::Model,
    /// When the person took the territory.
    pub started_at: DateTime<Utc>,
    /// End; `None` while current.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A territory with its coordinators now and before.
#[derive(Debug, Clone)]
pub struct TerritoryRoster {
    /// The territory.
    pub territory: territory::Model,
    /// Current periods of active people, earliest first.
    pub current: Vec<Period>,
    /// Ended periods, latest end first, at most [`MAX_HISTORY`].
    pub history: Vec<Period>,
    /// Ended periods not listed.
    pub older: usize,
}

/// Most ended periods listed per territory.
pub const MAX_HISTORY: usize = 50;

/// The roster by territory, in territory order, with each territory's assignment
/// history (three queries, whatever the roster's size).
pub async fn roster_by_territory(db: &DatabaseConnection) -> Result<Vec<TerritoryRoster>> {
    let territories = territory::Entity::find()
        .order_by_asc(territory::Column::Number)
        .all(db)
        .await?;
    let people: HashMap<i32, coordinator::Model> = coordinator::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let assignments = coordinator_assignment::Entity::find()
        .order_by_asc(coordinator_assignment::Column::StartedAt)
        .order_by_asc(coordinator_assignment::Column::Id)
        .all(db)
        .await?;
    let mut by_territory: HashMap<i32, TerritoryRoster> = territories
        .iter()
        .map(|t| {
            (
                t.id,
                TerritoryRoster {
                    territory: t.clone(),
                    current: Vec::new(),
                    history: Vec::new(),
                    older: 0,
                },
            )
        })
        .collect();
    for a in assignments {
        let (Some(entry), Some(person)) = (
            by_territory.get_mut(&a.territory_id),
            people.get(&a.coordinator_id),
        ) else {
            continue;
        };
        let period = Period {
            coordinator: person.clone(),
            started_at: a.started_at,
            ended_at: a.ended_at,
        };
        if a.ended_at.is_none() && person.active {
            entry.current.push(period);
        } else {
            entry.history.push(period);
        }
    }
    let mut out = Vec::with_capacity(territories.len());
    for t in &territories {
        if let Some(mut entry) = by_territory.remove(&t.id) {
            entry.history.sort_by(|a, b| {
                b.ended_at
                    .cmp(&a.ended_at)
                    .then(b.started_at.cmp(&a.started_at))
            });
            entry.older = entry.history.len().saturating_sub(MAX_HISTORY);
            entry.history.truncate(MAX_HISTORY);
            out.push(entry);
        }
    }
    Ok(out)
}

/// A phone number in E.164 as French people write it: `+33661790955` → `06 61 79 09 55`;
/// other numbers as stored.
pub fn french_phone(phone: &str) -> String {
    match phone.strip_prefix("+33") {
        Some(rest) if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = format!("0{rest}");
            digits
                .as_bytes()
                .chunks(2)
                .filter_map(|pair| std::str::from_utf8(pair).ok())
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => phone.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_spreadsheets_and_text_csv_pass() {
        assert_eq!(check_roster_file("a.xlsx", b""), Err(FileRefusal::Empty));
        assert_eq!(
            check_roster_file("a.pdf", b"%PDF-1.4"),
            Err(FileRefusal::WrongType)
        );
        assert_eq!(
            check_roster_file("liste", b"Nom;Prenom"),
            Err(FileRefusal::WrongType)
        );
        assert_eq!(
            check_roster_file("a.xlsx", b"Nom;Prenom"),
            Err(FileRefusal::NotASpreadsheet)
        );
        assert_eq!(
            check_roster_file("a.csv", b"GIF89a\0\0"),
            Err(FileRefusal::NotASpreadsheet)
        );
        assert_eq!(
            check_roster_file("A.CSV", "Nom;Prénom\n".as_bytes()),
            Ok(())
        );
        assert_eq!(check_roster_file("a.xlsx", b"PK\x03\x04rest"), Ok(()));
        assert_eq!(check_roster_file("a.xls", OLE_MAGIC), Ok(()));
    }

    #[test]
    fn french_phones_are_grouped_by_two() {
        assert_eq!(french_phone("+33661790955"), "06 61 79 09 55");
        assert_eq!(french_phone("+3222222222"), "+3222222222");
    }
}
