//! The import itself: one plain function, called by the command line, the schedule, the
//! upload mutation and the tests alike. It reads, validates, plans, guards and applies,
//! and records every attempt as a sync run, whatever its outcome.
//!
//! Around the pipeline: [`options`] (the file and how to import it), [`outcome`] (the
//! report) and [`record`] (the sync run recorded at the start and at the end).

mod options;
mod outcome;
mod record;

use std::future::Future;
use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::{ProblemSeverity, SyncStatus};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

pub use options::{ImportOptions, Phase, Progress, ProgressHook, RosterSource};
pub use outcome::{SyncReport, Timings, sha256_hex};
use record::{Run, Started, last_applied_sha, record_busy};

use crate::apply::ApplyContext;
use crate::error::SyncError;
use crate::lock;
use crate::pg::PgSession;
use crate::plan::{Current, Plan};
use crate::problem::{Problem, ProblemCode, Problems};
use crate::read::{self, Columns, RawRow};
use crate::reference::Reference;
use crate::running;
use crate::validate::{ValidRoster, validate};

fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// What reading produced.
struct ReadOutcome {
    problems: Problems,
    columns: Option<Columns>,
    sheet_name: Option<String>,
    rows: Vec<RawRow>,
}

impl ReadOutcome {
    /// A file the reader failed on (it panicked).
    fn unreadable() -> Self {
        let mut problems = Problems::default();
        problems.push(Problem::new(
            ProblemCode::UnreadableFile,
            "Le fichier n'a pas pu être lu : son contenu est endommagé ou inattendu. \
             Ouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau.",
        ));
        Self {
            problems,
            columns: None,
            sheet_name: None,
            rows: Vec::new(),
        }
    }
}

/// Reads and parses the file into raw rows (CPU only: run on a blocking thread).
fn read_rows(bytes: &[u8], file_name: &str, max_rows: usize) -> ReadOutcome {
    let mut outcome = ReadOutcome {
        problems: Problems::default(),
        columns: None,
        sheet_name: None,
        rows: Vec::new(),
    };
    let sheets = match read::read_sheets(bytes, file_name) {
        Ok(sheets) => sheets,
        Err(problem) => {
            outcome.problems.push(problem);
            return outcome;
        }
    };
    match read::find_header(&sheets) {
        Ok(columns) => {
            if let Some(sheet) = sheets.get(columns.sheet) {
                outcome.rows = read::extract_rows(sheet, &columns, max_rows, &mut outcome.problems);
                outcome.sheet_name = Some(sheet.name.clone());
            }
            outcome.columns = Some(columns);
        }
        Err(problems) => {
            for problem in problems {
                outcome.problems.push(problem);
            }
        }
    }
    outcome
}

/// Imports a roster file: see the crate documentation for the rules.
///
/// Returns a report for every outcome where the file was looked at — applied, unchanged,
/// skipped, rejected (problems in the file), refused (deactivation guard) — and an error
/// when the import could not run: the file is missing ([`SyncError::FileNotFound`]),
/// another import holds the lock ([`SyncError::Busy`], recorded as BUSY) or the database
/// failed ([`SyncError::Failed`], recorded as FAILED when possible). Either way nothing
/// is half-applied.
#[tracing::instrument(skip_all, fields(trigger = ?options.trigger, dry_run = options.dry_run, force = options.force))]
pub async fn import_roster(
    db: &DatabaseConnection,
    source: RosterSource,
    options: &ImportOptions,
) -> Result<SyncReport, SyncError> {
    options.report_progress(Phase::Reading, 0, 1);
    let (file_name, bytes) = match source {
        RosterSource::Path(path) => {
            let file_name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let metadata = match tokio::fs::metadata(&path).await {
                Ok(metadata) => metadata,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(SyncError::FileNotFound(path));
                }
                Err(e) => {
                    return Err(SyncError::io(
                        format!("impossible de lire {}", path.display()),
                        e,
                    ));
                }
            };
            if !metadata.is_file() {
                return Err(SyncError::NotAFile(path));
            }
            if metadata.len() > options.max_file_size {
                return reject_too_large(db, options, file_name, metadata.len()).await;
            }
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| SyncError::io(format!("impossible de lire {}", path.display()), e))?;
            (file_name, bytes)
        }
        RosterSource::Bytes { file_name, bytes } => (file_name, bytes),
    };
    if bytes.len() as u64 > options.max_file_size {
        return reject_too_large(db, options, file_name, bytes.len() as u64).await;
    }
    let sha = sha256_hex(&bytes);
    // Kept before reading, whatever the outcome: the console applies a dry run's plan
    // from this copy and a refused file can be forced again from its history entry. A
    // failure to keep it does not stop the import (the database failing stops it anyway).
    if let Err(error) =
        crate::kept::keep_file(db, &sha, &file_name, &bytes, &options.actor, Utc::now()).await
    {
        tracing::warn!(%error, "the roster file could not be kept");
    }
    if db.get_database_backend() == DbBackend::Postgres {
        return import_postgres(db, options, file_name, sha, bytes).await;
    }

    // A dry run writes no roster data: it needs no lock and never blocks a real import.
    let held = if options.dry_run {
        None
    } else {
        match lock::try_acquire(db, options.lock_stale_after).await {
            Ok(Some(held)) => Some(held),
            Ok(None) => {
                let run_id = record_busy(db, options, file_name, sha)
                    .await
                    .ok()
                    .and_then(|r| r.run_id);
                return Err(SyncError::Busy { run_id });
            }
            Err(error) => return Err(fail(db, options, file_name, sha, None, error.into()).await),
        }
    };
    if held.is_some() {
        // Holding the lock, this import is the only one: a non-dry run still RUNNING
        // belongs to a process that is gone (its lock was stale or taken over).
        if let Err(error) = running::fail_orphans_of_lock(db).await {
            tracing::warn!(%error, "cannot mark abandoned runs FAILED");
        }
    }
    if held.is_some()
        && let Err(error) = still_current(db, options).await
    {
        if let Some(held) = held {
            held.release().await;
        }
        return Err(error);
    }
    let (started, options) = match Started::record(db, options, &file_name, &sha).await {
        Ok(started) => started,
        Err(error) => {
            if let Some(held) = held {
                held.release().await;
            }
            return Err(fail(db, options, file_name, sha, None, error.into()).await);
        }
    };
    let begun = (started.run_id, started.started_at);
    let result = run_import(
        db,
        &options,
        file_name.clone(),
        sha.clone(),
        bytes,
        Some(started),
    )
    .await;
    if let Some(held) = held {
        held.release().await;
    }
    match result {
        Ok(report) => Ok(report),
        Err(error) => Err(fail(db, &options, file_name, sha, Some(begun), error).await),
    }
}

/// The import on PostgreSQL: one connection and one transaction from the first query
/// to the commit, holding the import lock (a transaction-level advisory lock) throughout
/// — see [`crate::pg`].
async fn import_postgres(
    db: &DatabaseConnection,
    options: &ImportOptions,
    file_name: String,
    sha: String,
    bytes: Vec<u8>,
) -> Result<SyncReport, SyncError> {
    let session = match PgSession::begin(db).await {
        Ok(session) => session,
        Err(error) => return Err(fail(db, options, file_name, sha, None, error.into()).await),
    };
    // A dry run writes no roster data: it takes no lock and never blocks a real import.
    let held = match session.try_lock(!options.dry_run).await {
        Ok(held) => held,
        Err(error) => {
            drop(session);
            return Err(fail(db, options, file_name, sha, None, error.into()).await);
        }
    };
    let Some(held) = held else {
        // Recorded on this connection, which holds no lock and writes nothing else.
        let recorded = record_busy(&session, options, file_name, sha).await;
        let run_id = match recorded {
            Ok(report) => session.commit().await.ok().and(report.run_id),
            Err(_) => None,
        };
        return Err(SyncError::Busy { run_id });
    };
    if !options.dry_run {
        // Holding the lock, this import is the only one: a non-dry run still RUNNING
        // belongs to a process that is gone (its connection, lock and transaction with it).
        if let Err(error) = running::fail_orphans_of_lock(db).await {
            tracing::warn!(%error, "cannot mark abandoned runs FAILED");
        }
        // Read committed: this sees every import committed before the lock was granted.
        if let Err(error) = still_current(&session, options).await {
            drop(session);
            return Err(error);
        }
    }
    let (started, options) = match Started::record(db, options, &file_name, &sha).await {
        Ok(started) => started,
        Err(error) => {
            drop(session);
            return Err(fail(db, options, file_name, sha, None, error.into()).await);
        }
    };
    let begun = Some((started.run_id, started.started_at));
    let result = run_import(
        &session,
        &options,
        file_name.clone(),
        sha.clone(),
        bytes,
        Some(started),
    )
    .await;
    match result {
        Ok(mut report) => {
            let clock = Instant::now();
            let committed = session.commit().await;
            held.release().await;
            match committed {
                Ok(()) => {
                    if report.status == SyncStatus::Applied && !report.dry_run {
                        report.timings.applying_ms += millis(clock.elapsed());
                    }
                    Ok(report)
                }
                Err(error) => Err(fail(db, &options, file_name, sha, begun, error.into()).await),
            }
        }
        Err(error) => {
            drop(session);
            Err(fail(db, &options, file_name, sha, begun, error).await)
        }
    }
}

/// Refuses to go on when the data moved since the plan being applied was computed: a
/// hook of [`ImportOptions::expecting_data_version`], called holding the import lock.
async fn still_current(
    db: &impl ConnectionTrait,
    options: &ImportOptions,
) -> Result<(), SyncError> {
    let Some(expected) = options.expected_data_version else {
        return Ok(());
    };
    let current = entity::data_version::current(db).await?;
    if current == expected {
        Ok(())
    } else {
        Err(SyncError::Stale { expected, current })
    }
}

/// Records a FAILED run (best effort: the database may be what failed): the run
/// recorded at the start (`begun`: its id and start) if there is one.
async fn fail(
    db: &DatabaseConnection,
    options: &ImportOptions,
    file_name: String,
    sha: String,
    begun: Option<(i32, DateTime<Utc>)>,
    error: SyncError,
) -> SyncError {
    tracing::error!(%error, "roster import failed");
    let started = begun.map(|(run_id, started_at)| Started {
        run_id,
        started_at,
        writer: None,
    });
    let run = Run::continuing(options, Some(file_name), Some(sha), started);
    let run_id = run
        .finish(db, SyncStatus::Failed, Some(error.to_string()))
        .await
        .ok()
        .and_then(|r| r.run_id);
    SyncError::Failed {
        run_id,
        source: Box::new(error),
    }
}

async fn reject_too_large(
    db: &DatabaseConnection,
    options: &ImportOptions,
    file_name: String,
    size: u64,
) -> Result<SyncReport, SyncError> {
    let mut run = Run::new(options, Some(file_name), None);
    run.report.problems.push(Problem::new(
        ProblemCode::FileTooLarge,
        format!(
            "Le fichier pèse {} Kio, au-delà de la limite de {} Kio : il n'a pas été lu. \
             Vérifiez qu'il s'agit bien de la liste des coordonnateurs.",
            size.div_ceil(1024),
            options.max_file_size / 1024
        ),
    ));
    Ok(run.finish(db, SyncStatus::Rejected, None).await?)
}

/// Records a REJECTED run for a file that could not be read at all (the drop folder's
/// unreadable files: no permission, a dangling link, not a regular file), so the failure
/// is visible like any rejected file instead of stopping the drop folder.
pub(crate) async fn reject_unreadable(
    db: &DatabaseConnection,
    options: &ImportOptions,
    file_name: String,
    problem: Problem,
) -> Result<SyncReport, SyncError> {
    let mut run = Run::new(options, Some(file_name), None);
    run.report.problems.push(problem);
    Ok(run.finish(db, SyncStatus::Rejected, None).await?)
}

/// Where an import reads, and how it writes its plan: the seam between SQLite (reads on
/// the pool, the writes in a write transaction of their own) and PostgreSQL (everything
/// on the import's own connection, in one transaction its caller commits).
trait ImportConnection: ConnectionTrait + Sync {
    /// Writes the plan of `run` and records the run as APPLIED, atomically.
    fn apply<'a>(
        &'a self,
        run: Run<'a>,
        context: ApplyContext<'a>,
    ) -> impl Future<Output = Result<SyncReport, DbErr>> + Send + 'a;
}

/// SQLite: the pool.
impl ImportConnection for DatabaseConnection {
    async fn apply<'a>(
        &'a self,
        mut run: Run<'a>,
        context: ApplyContext<'a>,
    ) -> Result<SyncReport, DbErr> {
        // SQLite has one writer: the progress writer would wait for this transaction,
        // so it stops here, after saying the writes begin.
        run.stop_progress().await;
        run.record_applying(self).await?;
        let txn = entity::transaction::begin_write(self).await?;
        let report = run.write_and_finish(&txn, context).await?;
        txn.commit().await?;
        Ok(report)
    }
}

/// PostgreSQL: the import's session, committed by [`import_postgres`].
impl ImportConnection for PgSession {
    fn apply<'a>(
        &'a self,
        run: Run<'a>,
        context: ApplyContext<'a>,
    ) -> impl Future<Output = Result<SyncReport, DbErr>> + Send + 'a {
        run.write_and_finish(self, context)
    }
}

/// Reads, validates, plans and applies, on `conn` (see [`ImportConnection`]).
async fn run_import<C: ImportConnection>(
    conn: &C,
    options: &ImportOptions,
    file_name: String,
    sha: String,
    bytes: Vec<u8>,
    started: Option<Started>,
) -> Result<SyncReport, SyncError> {
    let mut run = Run::continuing(options, Some(file_name.clone()), Some(sha.clone()), started);

    if !options.force && last_applied_sha(conn).await?.as_deref() == Some(sha.as_str()) {
        return Ok(run.finish(conn, SyncStatus::Skipped, None).await?);
    }
    let (read, reference, current) =
        read_while_loading(conn, &mut run, file_name, bytes, options.max_rows).await?;
    let Some(plan) = check(&mut run, read, &reference, &current) else {
        return Ok(run.finish(conn, SyncStatus::Rejected, None).await?);
    };
    if let Some(status) = decide(&plan, options) {
        run.report.plan = Some(plan);
        return Ok(run.finish(conn, status, None).await?);
    }
    run.report.plan = Some(plan);

    // One transaction: the changes, their audit, the data version and the run itself
    // commit together, so readers see the old roster or the new one, never a mix.
    let clock = Instant::now();
    let progress = |done: u64, total: u64| options.report_progress(Phase::Applying, done, total);
    let context = ApplyContext {
        current: &current,
        reference: &reference,
        now: Utc::now(),
        person: options.person.as_ref(),
        progress: &progress,
    };
    let mut report = conn.apply(run, context).await?;
    report.timings.applying_ms = millis(clock.elapsed());
    Ok(report)
}

/// What the read of a file left: its rows, and when reading ended.
struct Read {
    outcome: ReadOutcome,
    at: Instant,
}

/// Reads the file on a blocking thread (CPU work), where a panic in a parser fed a
/// hostile file is caught and reported as an unreadable file; the reference data and
/// the current roster load meanwhile.
async fn read_while_loading(
    conn: &impl ConnectionTrait,
    run: &mut Run<'_>,
    file_name: String,
    bytes: Vec<u8>,
    max_rows: usize,
) -> Result<(Read, Reference, Current), DbErr> {
    let started = Instant::now();
    let reading = tokio::task::spawn_blocking(move || {
        let outcome = read_rows(&bytes, &file_name, max_rows);
        (outcome, Instant::now())
    });
    let reference = Reference::load(conn).await?;
    let current = Current::load(conn, &reference).await?;
    let (outcome, at) = match reading.await {
        Ok(read) => read,
        Err(error) => {
            tracing::error!(%error, "the spreadsheet reader failed");
            (ReadOutcome::unreadable(), Instant::now())
        }
    };
    run.report.timings.reading_ms = millis(at.saturating_duration_since(started));
    run.options.report_progress(Phase::Reading, 1, 1);
    run.report.sheet = outcome.sheet_name.clone();
    run.report.header_row = outcome.columns.as_ref().map(|c| c.header_row);
    Ok((Read { outcome, at }, reference, current))
}

/// Checks every row and plans; `None` when the file is rejected (its problems are then
/// in `run`).
fn check(run: &mut Run<'_>, read: Read, reference: &Reference, current: &Current) -> Option<Plan> {
    let options = run.options;
    let Read {
        outcome:
            ReadOutcome {
                mut problems,
                columns,
                rows,
                ..
            },
        at: read_at,
    } = read;
    // Cells found wrong while reading do not stop here: the checks of every row run too,
    // so that one error never hides another. Only a file without rows to check stops.
    let Some(columns) = columns.filter(|_| !rows.is_empty()) else {
        run.set_problems(problems);
        return None;
    };

    let total = rows.len() as u64;
    options.report_progress(Phase::Validating, 0, total);
    let roster: ValidRoster = validate(&rows, &columns, reference, &mut problems, |done| {
        options.report_progress(Phase::Validating, done as u64, total);
    });
    if problems.has_errors() {
        run.report.timings.validating_ms = millis(read_at.elapsed());
        run.set_problems(problems);
        return None;
    }
    let mut plan = crate::plan::plan(&roster, current, reference);
    plan.vacated_territories = crate::plan::vacated_territories(&roster, current, reference);
    // Hundreds of thousands of small strings: freed on another thread, off the path.
    drop(tokio::task::spawn_blocking(move || drop((rows, roster))));
    // A stored person's matricule (or e-mail) changed is an error unless forced: a
    // mistyped matricule must not split a person in two.
    for change in &plan.identity_changes {
        problems.push(crate::identity::problem(change, &columns, options.force));
    }
    run.report.timings.validating_ms = millis(read_at.elapsed());
    run.set_problems(problems);
    (run.report.error_count() == 0).then_some(plan)
}

/// The outcome of a valid file that is not applied, if it is not: refused by a guard,
/// unchanged, or planned only (a dry run).
fn decide(plan: &Plan, options: &ImportOptions) -> Option<SyncStatus> {
    // Two guards against a truncated file: too many deactivations, or a territory that
    // has a coordinator today left with none (a single missing last line can do that
    // while staying under the ratio).
    let refused = !options.force
        && (plan.deactivation_ratio() > options.max_deactivation_ratio
            || !plan.vacated_territories.is_empty());
    if refused {
        Some(SyncStatus::Refused)
    } else if plan.is_empty() {
        Some(SyncStatus::Unchanged)
    } else if options.dry_run {
        Some(SyncStatus::Planned)
    } else {
        None
    }
}

/// Warnings count as problems too: used by reports.
pub(crate) fn severity_label(severity: ProblemSeverity) -> &'static str {
    match severity {
        ProblemSeverity::Error => "Erreur",
        ProblemSeverity::Warning => "Avertissement",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The hex digest stored for files and tokens: lower case, two digits a byte.
    #[test]
    fn sha256_hex_is_the_usual_spelling() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex(&[]).len(), 64);
    }

    /// Where reading and planning time goes, on a roster file named by
    /// `ROSTER_BENCH_FILE` (e.g. bench/out/roster-20000.xlsx):
    /// `ROSTER_BENCH_FILE=… cargo test --release -p territoires-sync phase_timings -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, run by hand"]
    fn phase_timings() {
        let Ok(path) = std::env::var("ROSTER_BENCH_FILE") else {
            return;
        };
        let bytes = std::fs::read(&path).unwrap();
        for _ in 0..5 {
            let clock = Instant::now();
            let sheets = read::read_sheets(&bytes, &path).unwrap();
            let sheets_ms = millis(clock.elapsed());
            let outcome = read_rows(&bytes, &path, usize::MAX);
            let read_ms = millis(clock.elapsed()) - sheets_ms;
            drop(sheets);
            let reference = Reference::new(
                (1..=7)
                    .map(|n| crate::reference::TerritoryRef {
                        id: n,
                        number: n,
                        name: format!("Territoire {n}"),
                    })
                    .collect(),
                Vec::new(),
                &[],
            );
            let columns = outcome.columns.unwrap();
            let mut problems = outcome.problems;
            let clock = Instant::now();
            let roster = validate(&outcome.rows, &columns, &reference, &mut problems, |_| {});
            let validate_ms = millis(clock.elapsed());
            let clock = Instant::now();
            let plan = crate::plan::plan(&roster, &Current::default(), &reference);
            let plan_ms = millis(clock.elapsed());
            let clock = Instant::now();
            let json = serde_json::to_string(&plan).unwrap();
            let json_ms = millis(clock.elapsed());
            println!(
                "sheets {sheets_ms:.1} ms, read_rows {read_ms:.1} ms, validate {validate_ms:.1} ms \
                 ({} errors), plan {plan_ms:.1} ms, plan JSON {json_ms:.1} ms ({} bytes)",
                problems.error_count(),
                json.len()
            );
        }
    }
}
