//! The drop folder: administrators (or an HR export job) put roster files in
//! `SYNC_DROP_DIR`; the nightly job imports the newest complete one and files everything
//! away — `archive/` for imported, unchanged, skipped and superseded files, `rejected/`
//! for rejected and refused ones — each beside its report (French text and JSON).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use entity::{SyncStatus, SyncTrigger};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::config::SyncConfig;
use crate::error::SyncError;
use crate::import::{ImportOptions, RosterSource, SyncReport, import_roster};

/// Sub-folder of imported, unchanged, skipped and superseded files.
pub const ARCHIVE_DIR: &str = "archive";
/// Sub-folder of rejected and refused files.
pub const REJECTED_DIR: &str = "rejected";
/// Extensions of files the drop folder takes (case-insensitive).
const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "ods", "csv", "txt"];

/// What processing the drop folder did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DropOutcome {
    /// The file imported, if one was waiting.
    pub processed: Option<ProcessedFile>,
    /// Older waiting files archived unread (superseded by the newer one), where they went.
    pub superseded: Vec<PathBuf>,
    /// Files left in place because they changed too recently (maybe still being copied).
    pub waiting: Vec<PathBuf>,
}

/// The file a drop folder run imported.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessedFile {
    /// Where it was dropped.
    pub original: PathBuf,
    /// Where it was moved (none for a dry run, which leaves it in place).
    pub moved_to: Option<PathBuf>,
    /// The text report written beside it.
    pub report_text: Option<PathBuf>,
    /// The JSON report written beside it.
    pub report_json: Option<PathBuf>,
    /// The import's report.
    pub report: SyncReport,
}

/// Whether a file name is one the drop folder ignores: hidden files, Office lock files
/// (`~$x.xlsx`), LibreOffice locks (`.~lock.x#`), partial downloads and temporary files.
pub fn is_ignored_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower.starts_with('~')
        || lower.ends_with('~')
        || lower.ends_with('#')
        || [
            ".part",
            ".partial",
            ".tmp",
            ".temp",
            ".crdownload",
            ".download",
            ".swp",
            ".lock",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
        || !EXTENSIONS.iter().any(|ext| {
            Path::new(&lower)
                .extension()
                .is_some_and(|e| e.to_str() == Some(*ext))
        })
}

struct Candidate {
    path: PathBuf,
    modified: SystemTime,
    complete: bool,
}

fn io(context: &str, path: &Path, e: std::io::Error) -> SyncError {
    SyncError::io(format!("{context} {}", path.display()), e)
}

/// The waiting files, oldest first.
fn candidates(dir: &Path, settle: Duration) -> Result<Vec<Candidate>, SyncError> {
    let now = SystemTime::now();
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io("cannot list", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_ignored_name(&name) {
            continue;
        }
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        if !metadata.is_file() {
            continue;
        }
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        // A date in the future (clock skew) counts as "just changed".
        let age = now.duration_since(modified).unwrap_or(Duration::ZERO);
        found.push(Candidate {
            path: entry.path(),
            modified,
            complete: age >= settle,
        });
    }
    found.sort_by(|a, b| {
        a.modified
            .cmp(&b.modified)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(found)
}

/// A free name in `folder` for `original`, prefixed with the time it was filed.
fn destination(folder: &Path, original: &Path, at: DateTime<Utc>) -> PathBuf {
    let name = original.file_name().map_or_else(
        || "fichier".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let stamp = at.format("%Y%m%d-%H%M%S");
    let mut candidate = folder.join(format!("{stamp}-{name}"));
    let mut n = 1;
    while candidate.exists() {
        candidate = folder.join(format!("{stamp}-{n}-{name}"));
        n += 1;
    }
    candidate
}

/// Moves a file (renaming, or copying across file systems) and dates it now, so the
/// archive purge counts from when it was filed, not from when it was written.
fn move_file(from: &Path, to: &Path) -> Result<(), SyncError> {
    if std::fs::rename(from, to).is_err() {
        std::fs::copy(from, to).map_err(|e| io("cannot copy", from, e))?;
        std::fs::remove_file(from).map_err(|e| io("cannot remove", from, e))?;
    }
    if let Ok(file) = std::fs::File::options().append(true).open(to) {
        let _ = file.set_modified(SystemTime::now());
    }
    Ok(())
}

fn write(path: &Path, content: &str) -> Result<(), SyncError> {
    std::fs::write(path, content).map_err(|e| io("cannot write", path, e))
}

fn report_path(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    file.with_file_name(name)
}

/// Processes the drop folder once: imports the newest complete file with `options`, files
/// it under `archive/` or `rejected/` with its reports, and archives older complete files
/// as superseded (never imported later). A dry run moves nothing.
///
/// If the import could not run (another import holds the lock, the database failed), the
/// files stay where they are for the next run and the error is returned.
#[tracing::instrument(skip_all, fields(drop_dir = %config.drop_dir.display()))]
pub async fn process_drop_folder(
    db: &DatabaseConnection,
    config: &SyncConfig,
    options: &ImportOptions,
) -> Result<DropOutcome, SyncError> {
    let dir = &config.drop_dir;
    let archive = dir.join(ARCHIVE_DIR);
    let rejected = dir.join(REJECTED_DIR);
    for folder in [dir, &archive, &rejected] {
        tokio::fs::create_dir_all(folder)
            .await
            .map_err(|e| io("cannot create", folder, e))?;
    }
    let (dir_owned, settle) = (dir.clone(), config.settle_time);
    let found = tokio::task::spawn_blocking(move || candidates(&dir_owned, settle))
        .await
        .map_err(|e| SyncError::io("cannot list the drop folder", std::io::Error::other(e)))??;
    let mut outcome = DropOutcome {
        waiting: found
            .iter()
            .filter(|c| !c.complete)
            .map(|c| c.path.clone())
            .collect(),
        ..DropOutcome::default()
    };
    let complete: Vec<&Candidate> = found.iter().filter(|c| c.complete).collect();
    let Some((newest, older)) = complete.split_last() else {
        tracing::debug!("no roster file waiting");
        return Ok(outcome);
    };
    tracing::info!(file = %newest.path.display(), superseded = older.len(), "importing a dropped roster file");

    let report = import_roster(db, RosterSource::path(newest.path.clone()), options).await?;
    if options.dry_run {
        outcome.processed = Some(ProcessedFile {
            original: newest.path.clone(),
            moved_to: None,
            report_text: None,
            report_json: None,
            report,
        });
        return Ok(outcome);
    }

    let now = Utc::now();
    let folder = match report.status {
        SyncStatus::Rejected | SyncStatus::Refused => &rejected,
        _ => &archive,
    };
    let target = destination(folder, &newest.path, now);
    move_file(&newest.path, &target)?;
    let text_path = report_path(&target, ".rapport.txt");
    let json_path = report_path(&target, ".rapport.json");
    write(&text_path, &report.to_text())?;
    write(&json_path, &report.to_json())?;

    let newest_name = newest
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    for old in older {
        let target = destination(&archive, &old.path, now);
        move_file(&old.path, &target)?;
        write(
            &report_path(&target, ".rapport.txt"),
            &format!(
                "Fichier non importé : remplacé par un fichier plus récent, « {newest_name} », \
                 traité le {}.\nUn fichier remplacé n'est jamais importé ; déposez-le à nouveau \
                 s'il doit l'être.\n",
                now.format("%d/%m/%Y à %H:%M UTC")
            ),
        )?;
        tracing::info!(file = %old.path.display(), "superseded roster file archived unread");
        outcome.superseded.push(target);
    }
    outcome.processed = Some(ProcessedFile {
        original: newest.path.clone(),
        moved_to: Some(target),
        report_text: Some(text_path),
        report_json: Some(json_path),
        report,
    });
    Ok(outcome)
}

/// Deletes files of `archive/` and `rejected/` filed more than `archive_days` ago (by
/// modification time, which filing sets). Returns how many were deleted.
pub fn purge_archive(
    drop_dir: &Path,
    archive_days: u32,
    now: SystemTime,
) -> Result<usize, SyncError> {
    let max_age = Duration::from_secs(u64::from(archive_days) * 86_400);
    let mut deleted = 0;
    for folder in [drop_dir.join(ARCHIVE_DIR), drop_dir.join(REJECTED_DIR)] {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io("cannot list", &folder, e)),
        };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            let modified = metadata.modified().unwrap_or(now);
            if now.duration_since(modified).unwrap_or(Duration::ZERO) > max_age {
                std::fs::remove_file(entry.path())
                    .map_err(|e| io("cannot delete", &entry.path(), e))?;
                deleted += 1;
            }
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "old roster files purged from the archive");
    }
    Ok(deleted)
}

/// What the nightly job did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NightlyOutcome {
    /// The drop folder's processing, or why it failed.
    #[serde(serialize_with = "serialize_drop")]
    pub drop: Option<Result<DropOutcome, String>>,
    /// Archived files deleted.
    pub purged_files: usize,
    /// Deactivated coordinators whose contact was erased.
    pub erased_contacts: usize,
}

fn serialize_drop<S: serde::Serializer>(
    drop: &Option<Result<DropOutcome, String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match drop {
        Some(Ok(outcome)) => outcome.serialize(serializer),
        Some(Err(error)) => serializer.serialize_str(error),
        None => serializer.serialize_none(),
    }
}

/// The nightly job: the drop folder (trigger SCHEDULE, actor `schedule`), then the
/// archive purge and the retention of deactivated people's contacts. Returns the drop
/// folder's error, if any, after the purges have run anyway.
pub async fn run_nightly(
    db: &DatabaseConnection,
    config: &SyncConfig,
) -> (NightlyOutcome, Option<SyncError>) {
    let options = config.import_options(SyncTrigger::Schedule, "schedule");
    let mut outcome = NightlyOutcome::default();
    let mut failure = None;
    match process_drop_folder(db, config, &options).await {
        Ok(drop) => outcome.drop = Some(Ok(drop)),
        Err(error) => {
            outcome.drop = Some(Err(error.to_string()));
            failure = Some(error);
        }
    }
    let (dir, days) = (config.drop_dir.clone(), config.archive_days);
    match tokio::task::spawn_blocking(move || purge_archive(&dir, days, SystemTime::now())).await {
        Ok(Ok(deleted)) => outcome.purged_files = deleted,
        Ok(Err(error)) => tracing::warn!(%error, "archive purge failed"),
        Err(error) => tracing::warn!(%error, "archive purge failed"),
    }
    match crate::retention::purge_expired_contacts(db, config, Utc::now()).await {
        Ok(erased) => outcome.erased_contacts = erased,
        Err(error) => tracing::warn!(%error, "contact retention purge failed"),
    }
    (outcome, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_hidden_files_are_ignored() {
        for name in [
            "~$roster.xlsx",
            ".roster.xlsx",
            "roster.xlsx.part",
            "roster.xlsx.tmp",
            "roster.crdownload",
            ".~lock.roster.xlsx#",
            "roster.xlsx~",
            "notes.docx",
            "README",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in [
            "roster.xlsx",
            "ROSTER.XLSX",
            "export.csv",
            "r.ods",
            "r.xls",
            "r.txt",
        ] {
            assert!(!is_ignored_name(name), "{name}");
        }
    }

    #[test]
    fn reports_sit_beside_their_file() {
        let file = Path::new("/x/archive/20261129-033000-roster.xlsx");
        assert_eq!(
            report_path(file, ".rapport.txt"),
            Path::new("/x/archive/20261129-033000-roster.xlsx.rapport.txt")
        );
    }
}
