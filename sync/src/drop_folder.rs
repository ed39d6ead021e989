//! The drop folder: administrators (or an HR export job) put roster files in
//! `SYNC_DROP_DIR`; the nightly job imports the newest complete one and files everything
//! away — `archive/` for imported, unchanged, skipped and superseded files, `rejected/`
//! for rejected and refused ones — each beside its report (French text and JSON).
//!
//! A file is taken only when it has not changed for `SYNC_SETTLE_SECS` and does not
//! change while it is read (size and modification time compared before and after); one
//! that does is left for the next pass. A newer file that cannot be read, or is not a
//! roster at all, never blocks the folder: it is recorded as a REJECTED run, set aside
//! in `rejected/`, and the next newest file is taken instead.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use entity::{SyncStatus, SyncTrigger};
use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::annotate::{ANNOTATED_SUFFIX, annotate};
use crate::config::SyncConfig;
use crate::error::SyncError;
use crate::import::{
    ImportOptions, Phase, RosterSource, SyncReport, import_roster, reject_unreadable,
};
use crate::problem::{Problem, ProblemCode};

/// Sub-folder of imported, unchanged, skipped and superseded files.
pub const ARCHIVE_DIR: &str = "archive";
/// Sub-folder of rejected and refused files.
pub const REJECTED_DIR: &str = "rejected";
/// Extensions of files the drop folder takes (case-insensitive): the roster formats.
/// Anything else (`.txt`, `.pdf`, notes left beside the files) is not a roster.
const EXTENSIONS: &[&str] = &["xlsx", "xls", "ods", "csv"];

/// What processing the drop folder did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DropOutcome {
    /// The file imported: the newest one that could be read as a roster (whatever the
    /// import's outcome). When none could, the newest of those set aside, so the pass's
    /// REJECTED run is still reported.
    pub processed: Option<ProcessedFile>,
    /// Newer files set aside before `processed` was reached: unreadable, or not a roster
    /// at all (no header row found). Each was recorded as a REJECTED run and moved to
    /// `rejected/` with its report (left in place by a dry run).
    pub rejected: Vec<ProcessedFile>,
    /// Older waiting files archived unread (superseded by the newer one), where they went.
    pub superseded: Vec<PathBuf>,
    /// Files left in place because they changed too recently or while being read (maybe
    /// still being copied): taken by a later pass.
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
    /// The annotated copy written beside it (`….annote.xlsx`): none for a dry run, or
    /// when it could not be written (logged; the import stands).
    pub annotated: Option<PathBuf>,
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

/// A file waiting in the drop folder, as the nightly job and the console's dashboard see
/// it.
#[derive(Debug, Clone)]
pub struct WaitingFile {
    /// Its path.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// Its size in bytes (0 for a dangling link).
    pub size: u64,
    /// When it last changed; the epoch when unknown (then it counts as the oldest).
    pub modified: SystemTime,
    /// Unchanged for the settle time: the next run may take it.
    pub settled: bool,
}

/// The files waiting in `dir`, in the folder's order, one at a time (so a caller that
/// keeps a few of thousands holds only those). Links are followed (a dangling one is
/// still listed, to be set aside as unreadable); folders and the names the job ignores
/// are left out. The outer error: the folder cannot be listed.
pub fn waiting_files(
    dir: &Path,
    settle: Duration,
) -> Result<impl Iterator<Item = Result<WaitingFile, SyncError>> + use<>, SyncError> {
    let now = SystemTime::now();
    let owned = dir.to_path_buf();
    let entries = std::fs::read_dir(dir).map_err(|e| io("cannot list", dir, e))?;
    Ok(entries.filter_map(move |entry| {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return Some(Err(io("cannot list", &owned, e))),
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_ignored_name(&name) {
            return None;
        }
        let path = entry.path();
        let metadata = std::fs::metadata(&path)
            .or_else(|_| entry.metadata())
            .ok()?;
        if metadata.is_dir() {
            return None;
        }
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        // A date in the future (clock skew) counts as "just changed".
        let age = now.duration_since(modified).unwrap_or(Duration::ZERO);
        Some(Ok(WaitingFile {
            path,
            name,
            size: if metadata.is_file() {
                metadata.len()
            } else {
                0
            },
            modified,
            settled: age >= settle,
        }))
    }))
}

/// The waiting files, oldest first.
fn candidates(dir: &Path, settle: Duration) -> Result<Vec<Candidate>, SyncError> {
    let mut found = Vec::new();
    for file in waiting_files(dir, settle)? {
        let file = file?;
        found.push(Candidate {
            path: file.path,
            modified: file.modified,
            complete: file.settled,
        });
    }
    found.sort_by(|a, b| {
        a.modified
            .cmp(&b.modified)
            .then_with(|| a.path.cmp(&b.path))
    });
    Ok(found)
}

/// What taking a waiting file gave.
enum Taken {
    /// Its content, unchanged across the whole read.
    Bytes(Vec<u8>),
    /// Larger than the limit: the import rejects it unread.
    TooLarge,
    /// It changed while being read (still being written): left for the next pass.
    Changed,
    /// It disappeared meanwhile (moved away by someone else): nothing to do.
    Gone,
    /// It cannot be read; the problem says why, in French.
    Unreadable(Problem),
}

fn unreadable(path: &Path, reason: &str) -> Taken {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Taken::Unreadable(Problem::new(
        ProblemCode::UnreadableFile,
        format!(
            "Le fichier « {name} » n'a pas pu être lu ({reason}) : il a été écarté et le \
             fichier valide le plus récent a été pris à sa place. Déposez-le à nouveau \
             une fois le problème corrigé."
        ),
    ))
}

fn io_reason(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "accès refusé au service",
        std::io::ErrorKind::NotFound => "lien vers un fichier qui n'existe pas",
        std::io::ErrorKind::IsADirectory => "c'est un dossier",
        _ => "erreur de lecture",
    }
}

/// Reads a waiting file, checking that its size and modification time are the same
/// before and after the read: a copy still in progress is never taken, even one that
/// stalled longer than the settle time and resumed. `options`' progress hook hears the
/// start of the read (between the first look at the file and the read itself).
fn take(path: &Path, max_size: u64, options: &ImportOptions) -> Taken {
    let before = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(path) {
                Ok(_) => unreadable(path, io_reason(&e)),
                Err(_) => Taken::Gone,
            };
        }
        Err(e) => return unreadable(path, io_reason(&e)),
    };
    // Opening a FIFO would wait for a writer forever; devices and sockets are no files.
    if !before.is_file() {
        return unreadable(path, "ce n'est pas un fichier ordinaire");
    }
    if before.len() > max_size {
        return Taken::TooLarge;
    }
    options.report_progress(Phase::Reading, 0, 1);
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Taken::Gone,
        Err(e) => return unreadable(path, io_reason(&e)),
    };
    match file.metadata() {
        Ok(opened) if opened.is_file() => {}
        Ok(_) => return unreadable(path, "ce n'est pas un fichier ordinaire"),
        Err(e) => return unreadable(path, io_reason(&e)),
    }
    // Bounded by the size seen (itself under the limit), plus one byte to notice growth.
    let capacity = usize::try_from(before.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    if let Err(e) = (&mut file)
        .take(before.len().saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return unreadable(path, io_reason(&e));
    }
    let Ok(after) = std::fs::metadata(path) else {
        return Taken::Changed;
    };
    let unchanged = bytes.len() as u64 == before.len()
        && after.len() == before.len()
        && after.modified().ok() == before.modified().ok();
    if unchanged {
        Taken::Bytes(bytes)
    } else {
        Taken::Changed
    }
}

/// Whether a report is that of a file that is not a roster at all: rejected before any
/// header row was found (unreadable, not a spreadsheet, cut short, too large). Such a
/// file does not stand for the roster of record, so an older valid file is taken instead.
fn is_junk(report: &SyncReport) -> bool {
    report.status == SyncStatus::Rejected && report.header_row.is_none()
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
/// archive purge counts from when it was filed, not from when it was written. What is
/// not a regular file (a FIFO, a dangling link set aside as unreadable) is never opened:
/// opening a FIFO waits for its other end.
fn move_file(from: &Path, to: &Path) -> Result<(), SyncError> {
    let regular = std::fs::symlink_metadata(from).is_ok_and(|m| m.is_file());
    if std::fs::rename(from, to).is_err() {
        if regular {
            std::fs::copy(from, to).map_err(|e| io("cannot copy", from, e))?;
        }
        std::fs::remove_file(from).map_err(|e| io("cannot remove", from, e))?;
    }
    if regular && let Ok(file) = std::fs::File::options().append(true).open(to) {
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
/// as superseded (never imported later). A newer file that cannot be read or is not a
/// roster is recorded as REJECTED and set aside first, and the next one taken; a file
/// that changes while it is read is left for the next pass. A dry run moves nothing.
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
    let mut complete: Vec<&Candidate> = found.iter().filter(|c| c.complete).collect();
    let now = Utc::now();
    let mut set_aside: Vec<ProcessedFile> = Vec::new();
    let mut taken = None;
    while let Some(newest) = complete.pop() {
        let path = newest.path.clone();
        let file_name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let (max_size, reading) = (options.max_file_size, options.clone());
        let read_path = path.clone();
        let read = tokio::task::spawn_blocking(move || take(&read_path, max_size, &reading))
            .await
            .map_err(|e| SyncError::io("cannot read the drop folder", std::io::Error::other(e)))?;
        let readable = matches!(read, Taken::Bytes(_));
        let report = match read {
            Taken::Gone => continue,
            Taken::Changed => {
                tracing::info!(file = %path.display(), "roster file changed while read: left for the next pass");
                outcome.waiting.push(path);
                continue;
            }
            Taken::Unreadable(problem) => {
                tracing::warn!(file = %path.display(), "unreadable roster file set aside");
                reject_unreadable(db, options, file_name, problem).await?
            }
            Taken::TooLarge => import_roster(db, RosterSource::path(path.clone()), options).await?,
            Taken::Bytes(bytes) => {
                tracing::info!(file = %path.display(), "importing a dropped roster file");
                import_roster(db, RosterSource::bytes(file_name, bytes), options).await?
            }
        };
        let (original, dry_run) = (path.clone(), options.dry_run);
        let (archive, rejected) = (archive.clone(), rejected.clone());
        let filed = blocking("cannot file the roster file", move || {
            file(&original, report, dry_run, &archive, &rejected, now)
        })
        .await?;
        let filed = with_annotated(filed, readable, config, options.max_file_size).await;
        if is_junk(&filed.report) {
            set_aside.push(filed);
        } else {
            taken = Some(filed);
            break;
        }
    }
    // No roster among them: the newest file set aside stands for this pass.
    let processed = match taken {
        Some(file) => Some(file),
        None if set_aside.is_empty() => None,
        None => Some(set_aside.remove(0)),
    };
    outcome.rejected = set_aside;
    let Some(processed) = processed else {
        tracing::debug!("no roster file waiting");
        return Ok(outcome);
    };
    if options.dry_run || is_junk(&processed.report) {
        outcome.processed = Some(processed);
        return Ok(outcome);
    }

    let newest_name = processed
        .original
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let superseded: Vec<PathBuf> = complete.iter().map(|old| old.path.clone()).collect();
    let moved = blocking("cannot archive a superseded roster file", move || {
        superseded
            .into_iter()
            .map(|old| {
                let target = destination(&archive, &old, now);
                move_file(&old, &target)?;
                write(
                    &report_path(&target, ".rapport.txt"),
                    &format!(
                        "Fichier non importé : remplacé par un fichier plus récent, « {newest_name} », \
                         traité le {}.\nUn fichier remplacé n'est jamais importé ; déposez-le à nouveau \
                         s'il doit l'être.\n",
                        crate::report::local_time(now)
                    ),
                )?;
                Ok((old, target))
            })
            .collect::<Result<Vec<_>, SyncError>>()
    })
    .await?;
    for (old, target) in moved {
        tracing::info!(file = %old.display(), "superseded roster file archived unread");
        outcome.superseded.push(target);
    }
    outcome.processed = Some(processed);
    Ok(outcome)
}

/// Runs file-system work (moves, report writes) on the blocking pool, off the runtime's
/// workers.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SyncError::io(what, std::io::Error::other(e)))?
}

/// Files an imported (or set aside) file under `archive/` or `rejected/` with its
/// reports; a dry run leaves it in place.
fn file(
    original: &Path,
    report: SyncReport,
    dry_run: bool,
    archive: &Path,
    rejected: &Path,
    now: DateTime<Utc>,
) -> Result<ProcessedFile, SyncError> {
    if dry_run {
        return Ok(ProcessedFile {
            original: original.to_path_buf(),
            moved_to: None,
            report_text: None,
            report_json: None,
            annotated: None,
            report,
        });
    }
    let folder = match report.status {
        SyncStatus::Rejected | SyncStatus::Refused => rejected,
        _ => archive,
    };
    let target = destination(folder, original, now);
    move_file(original, &target)?;
    let text_path = report_path(&target, ".rapport.txt");
    let json_path = report_path(&target, ".rapport.json");
    write(&text_path, &report.to_text())?;
    write(&json_path, &report.to_json())?;
    Ok(ProcessedFile {
        original: original.to_path_buf(),
        moved_to: Some(target),
        report_text: Some(text_path),
        report_json: Some(json_path),
        annotated: None,
        report,
    })
}

/// Writes the annotated copy beside a filed file's reports, from the filed file read
/// again (bounded as the first read) when it was readable, from the report alone when it
/// was not. A failure is logged and leaves `annotated` empty: it never fails the import.
async fn with_annotated(
    mut filed: ProcessedFile,
    readable: bool,
    config: &SyncConfig,
    max_size: u64,
) -> ProcessedFile {
    let Some(target) = filed.moved_to.clone() else {
        return filed;
    };
    let timezone = config.time_zone();
    let annotated_path = report_path(&target, ANNOTATED_SUFFIX);
    let path = annotated_path.clone();
    // Shared with the blocking task, and whole again once it ends, even by a panic.
    let report = std::sync::Arc::new(filed.report);
    let shared = report.clone();
    let written = tokio::task::spawn_blocking(move || {
        let bytes = if readable {
            read_back(&target, max_size)
        } else {
            Vec::new()
        };
        let name = shared.file_name.clone().unwrap_or_default();
        annotate(&name, &bytes, &shared, timezone).and_then(|workbook| {
            std::fs::write(&path, workbook).map_err(|e| io("cannot write", &path, e))
        })
    })
    .await;
    filed.report = std::sync::Arc::try_unwrap(report).unwrap_or_else(|shared| (*shared).clone());
    match written {
        Ok(Ok(())) => filed.annotated = Some(annotated_path),
        Ok(Err(error)) => tracing::warn!(%error, "cannot write the annotated roster file"),
        Err(error) => tracing::error!(%error, "writing the annotated roster file failed"),
    }
    filed
}

/// A filed regular file's content, at most `max_size` bytes; empty if it cannot be read
/// or has grown past the limit.
fn read_back(path: &Path, max_size: u64) -> Vec<u8> {
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= max_size) {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    match std::fs::File::open(path).and_then(|file| {
        file.take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
    }) {
        Ok(read) if read as u64 <= max_size => bytes,
        _ => Vec::new(),
    }
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
            // Not followed: a link or FIFO set aside is deleted itself, by its own date.
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() {
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
    /// Kept roster files deleted (not submitted again for `SYNC_ARCHIVE_DAYS`).
    pub purged_kept_files: u64,
    /// Deactivated coordinators whose contact was erased.
    pub erased_contacts: usize,
    /// The e-mail and webhook notifications (filled by the schedule after the run).
    pub notifications: crate::notify::NotificationOutcome,
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
/// archive purge (folder and kept files) and the retention of deactivated people's contacts. Returns the drop
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
    match crate::kept::purge_kept_files(db, config.archive_days, Utc::now()).await {
        Ok(deleted) => outcome.purged_kept_files = deleted,
        Err(error) => tracing::warn!(%error, "kept roster files purge failed"),
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
            "r.txt",
            "r.xlsm",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in ["roster.xlsx", "ROSTER.XLSX", "export.csv", "r.ods", "r.xls"] {
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
