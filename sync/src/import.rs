//! The import itself: one plain function, called by the command line, the schedule, the
//! upload mutation and the tests alike. It reads, validates, plans, guards and applies,
//! and records every attempt as a sync run, whatever its outcome.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::audit_log::Person;
use entity::{ProblemSeverity, SyncStatus, SyncTrigger, sync_run, sync_run_problem};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, ExecResult,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, Statement,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::SyncConfig;
use crate::error::SyncError;
use crate::lock;
use crate::pg::{BoxFuture, PgSession};
use crate::plan::{Counts, Current, Plan};
use crate::problem::{Problem, ProblemCode, Problems};
use crate::read::{self, Columns, RawRow};
use crate::reference::Reference;
use crate::running::{self, ProgressWriter};
use crate::validate::{ValidRoster, validate};

/// Which part of the import is running, for progress bars (stored with a running
/// run, see [`crate::running`]).
pub use entity::SyncPhase as Phase;

/// A progress report: `done` out of `total` units (rows or people) of `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Units done.
    pub done: u64,
    /// Units in the phase.
    pub total: u64,
}

/// Called as the import progresses (from the import's task; keep it quick).
pub type ProgressHook = Arc<dyn Fn(Progress) + Send + Sync>;

/// The file to import.
#[derive(Debug, Clone)]
pub enum RosterSource {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes already in memory (an upload), with the file's name as given.
    Bytes {
        /// The name, for the report and to word format errors.
        file_name: String,
        /// The content.
        bytes: Vec<u8>,
    },
}

impl RosterSource {
    /// A file on disk.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// An uploaded file.
    pub fn bytes(file_name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self::Bytes {
            file_name: file_name.into(),
            bytes,
        }
    }
}

/// How to run one import.
#[derive(Clone)]
pub struct ImportOptions {
    /// What started it.
    pub trigger: SyncTrigger,
    /// Who started it: a token name, a person's name, `cli` or `schedule`.
    pub actor: String,
    /// The person who started it, with an identity provider's access token.
    pub person: Option<Person>,
    /// Plan and record, change nothing.
    pub dry_run: bool,
    /// Import even past the deactivation guard or when the file was already imported.
    pub force: bool,
    /// Larger files are rejected unread.
    pub max_file_size: u64,
    /// Files with more data rows are rejected.
    pub max_rows: usize,
    /// Share of active coordinators a file may deactivate without `force`.
    pub max_deactivation_ratio: f64,
    /// SQLite lock rows older than this are taken over.
    pub lock_stale_after: std::time::Duration,
    /// Progress callback.
    pub progress: Option<ProgressHook>,
    /// Go on only if the data version is still this one once the import lock is held.
    pub expected_data_version: Option<i64>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("trigger", &self.trigger)
            .field("actor", &self.actor)
            .field("dry_run", &self.dry_run)
            .field("force", &self.force)
            .field("max_file_size", &self.max_file_size)
            .field("max_rows", &self.max_rows)
            .field("max_deactivation_ratio", &self.max_deactivation_ratio)
            .field("expected_data_version", &self.expected_data_version)
            .finish_non_exhaustive()
    }
}

impl ImportOptions {
    /// Options with the default limits of [`SyncConfig`].
    pub fn new(trigger: SyncTrigger, actor: impl Into<String>) -> Self {
        SyncConfig::default().import_options(trigger, actor)
    }

    /// The same options as a dry run (or not).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The same options, started by `person` (recorded on the run).
    pub fn person(mut self, person: Option<Person>) -> Self {
        self.person = person;
        self
    }

    /// The same options, forced (or not).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The same options, applying a plan computed at data version `version` (the
    /// console's "Appliquer"): the import checks it holding the import lock, so of two
    /// applies of one plan only the first runs; the other ends in [`SyncError::Stale`]
    /// with nothing run or recorded. `None`: no check.
    pub fn expecting_data_version(mut self, version: Option<i64>) -> Self {
        self.expected_data_version = version;
        self
    }

    /// The same options with a progress callback.
    pub fn with_progress(mut self, progress: ProgressHook) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(crate) fn report_progress(&self, phase: Phase, done: u64, total: u64) {
        if let Some(progress) = &self.progress {
            progress(Progress { phase, done, total });
        }
    }
}

impl SyncConfig {
    /// Import options carrying this configuration's limits.
    pub fn import_options(&self, trigger: SyncTrigger, actor: impl Into<String>) -> ImportOptions {
        ImportOptions {
            trigger,
            actor: actor.into(),
            person: None,
            dry_run: false,
            force: false,
            max_file_size: self.max_file_size,
            max_rows: self.max_rows,
            max_deactivation_ratio: self.max_deactivation_ratio,
            lock_stale_after: self.lock_stale_after,
            progress: None,
            expected_data_version: None,
        }
    }
}

/// Time spent in each part of the import, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    /// Reading the file into rows (the current roster loads meanwhile).
    pub reading_ms: f64,
    /// Checking rows and planning, after the read (and any wait for the current roster).
    pub validating_ms: f64,
    /// Writing the changes and the run, commit included (one transaction).
    pub applying_ms: f64,
}

/// The outcome of an import, recorded as a sync run: also the report shown to people
/// (see [`SyncReport::to_text`]) and serialised as JSON.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The sync run recording this import.
    pub run_id: Option<i32>,
    /// Outcome.
    pub status: SyncStatus,
    /// What started it.
    pub trigger: SyncTrigger,
    /// Who started it.
    pub actor: String,
    /// The person who started it, with an identity provider's access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// The file's name.
    pub file_name: Option<String>,
    /// SHA-256 of the file, hex.
    pub file_sha256: Option<String>,
    /// A dry run changes nothing.
    pub dry_run: bool,
    /// Forced past the guards and the same-file check.
    pub forced: bool,
    /// The deactivation guard's threshold this import ran with: the share of active
    /// coordinators a file may deactivate without being forced.
    pub max_deactivation_ratio: f64,
    /// The sheet read.
    pub sheet: Option<String>,
    /// The header row found (as people see it).
    pub header_row: Option<u32>,
    /// Counts.
    pub counts: Counts,
    /// The plan, when the file was valid.
    pub plan: Option<Plan>,
    /// Problems found (errors and warnings), in file order: at most
    /// [`crate::MAX_KEPT_PROBLEMS`], the last of them counting the others if any.
    pub problems: Vec<Problem>,
    /// Problems found but not kept in `problems` (counted only).
    pub omitted_problems: u64,
    /// Errors among the omitted problems.
    pub omitted_errors: u64,
    /// A one-line French summary.
    pub summary: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Where the time went.
    pub timings: Timings,
}

impl SyncReport {
    /// Whether the import is "done" for the command line (exit 0): applied, planned (a
    /// dry run), unchanged or skipped. Rejected and refused files exit 1.
    pub fn is_success(&self) -> bool {
        matches!(
            self.status,
            SyncStatus::Applied | SyncStatus::Planned | SyncStatus::Unchanged | SyncStatus::Skipped
        )
    }

    /// The command line's exit code: 0 done, 1 rejected or refused, 3 busy or failed.
    pub fn exit_code(&self) -> i32 {
        match self.status {
            SyncStatus::Applied
            | SyncStatus::Planned
            | SyncStatus::Unchanged
            | SyncStatus::Skipped => 0,
            SyncStatus::Rejected | SyncStatus::Refused => 1,
            SyncStatus::Busy | SyncStatus::Failed | SyncStatus::Running => 3,
        }
    }

    /// Every error found, kept in `problems` or only counted.
    pub fn error_count(&self) -> u64 {
        self.errors().count() as u64 + self.omitted_errors
    }

    /// Errors only (the kept ones).
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }

    /// Warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| !p.is_error())
    }

    /// The whole report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A run recorded `RUNNING` at its start, and the writer of its progress.
pub(crate) struct Started {
    run_id: i32,
    started_at: DateTime<Utc>,
    writer: Option<ProgressWriter>,
}

impl Started {
    /// Records the run of an import that starts (on the pool: visible at once to every
    /// process) and starts writing its progress; `options` then carries the writer's
    /// hook besides the caller's.
    async fn record(
        db: &DatabaseConnection,
        options: &ImportOptions,
        file_name: &str,
        sha: &str,
    ) -> Result<(Self, ImportOptions), DbErr> {
        let started_at = Utc::now();
        let run_id = running::insert(db, options, file_name, sha, started_at).await?;
        let writer = ProgressWriter::spawn(db.clone(), run_id);
        let mut options = options.clone();
        options.progress = Some(running::both(options.progress.take(), writer.hook()));
        let started = Self {
            run_id,
            started_at,
            writer: Some(writer),
        };
        Ok((started, options))
    }
}

/// A run being built.
struct Run<'a> {
    options: &'a ImportOptions,
    report: SyncReport,
    /// The last progress reported, recorded with the outcome.
    progress: Option<Arc<tokio::sync::watch::Sender<Option<Progress>>>>,
    /// The progress writer of a run recorded at its start, stopped before the outcome
    /// is written.
    writer: Option<ProgressWriter>,
}

impl<'a> Run<'a> {
    fn new(options: &'a ImportOptions, file_name: Option<String>, sha: Option<String>) -> Self {
        Self::continuing(options, file_name, sha, None)
    }

    /// A run, continuing the one recorded at its start if any.
    fn continuing(
        options: &'a ImportOptions,
        file_name: Option<String>,
        sha: Option<String>,
        started: Option<Started>,
    ) -> Self {
        let now = Utc::now();
        let (run_id, started_at, writer) = match started {
            Some(started) => (Some(started.run_id), started.started_at, started.writer),
            None => (None, now, None),
        };
        Self {
            options,
            progress: writer.as_ref().map(ProgressWriter::latest),
            writer,
            report: SyncReport {
                run_id,
                status: SyncStatus::Failed,
                trigger: options.trigger,
                actor: options.actor.clone(),
                person: options.person.clone(),
                file_name,
                file_sha256: sha,
                dry_run: options.dry_run,
                forced: options.force,
                max_deactivation_ratio: options.max_deactivation_ratio,
                sheet: None,
                header_row: None,
                counts: Counts::default(),
                plan: None,
                problems: Vec::new(),
                omitted_problems: 0,
                omitted_errors: 0,
                summary: String::new(),
                started_at,
                finished_at: now,
                timings: Timings::default(),
            },
        }
    }

    /// Keeps the problems found (at most [`crate::MAX_KEPT_PROBLEMS`], in file order).
    fn set_problems(&mut self, problems: Problems) {
        let reported = problems.into_reported();
        self.report.problems = reported.items;
        self.report.omitted_problems = reported.omitted;
        self.report.omitted_errors = reported.omitted_errors;
    }

    /// Stops writing progress (before the import's own writes on SQLite, where the
    /// writer would wait for the import's transaction, and before the outcome).
    async fn stop_progress(&mut self) {
        if let Some(writer) = self.writer.take() {
            writer.stop().await;
        }
    }

    /// Sets the outcome and records the run (in `db`, a connection or a transaction):
    /// updates the run recorded at the start, or inserts it.
    async fn finish(
        mut self,
        db: &impl ConnectionTrait,
        status: SyncStatus,
        message: Option<String>,
    ) -> Result<SyncReport, DbErr> {
        self.stop_progress().await;
        self.report.status = status;
        self.report.finished_at = Utc::now();
        if let Some(plan) = &self.report.plan {
            self.report.counts = plan.counts;
        }
        self.report.summary = crate::report::summary(&self.report);
        let plan_json = self.report.plan.as_ref().and_then(|plan| {
            // An applied run keeps its counts and changed fields only: the audit log
            // holds each change. The others keep every change, for the console's diff.
            if status == SyncStatus::Applied {
                serde_json::to_string(&crate::plan::CompactPlan::of(plan)).ok()
            } else {
                serde_json::to_string(plan).ok()
            }
        });
        let progress = self.progress.as_ref().and_then(|latest| *latest.borrow());
        let run_id = record_run(db, &self.report, message, plan_json, progress).await?;
        self.report.run_id = Some(run_id);
        tracing::info!(
            run_id,
            status = ?status,
            trigger = ?self.options.trigger,
            dry_run = self.options.dry_run,
            added = self.report.counts.added,
            updated = self.report.counts.updated,
            moved = self.report.counts.moved,
            deactivated = self.report.counts.deactivated,
            reactivated = self.report.counts.reactivated,
            errors = self.report.error_count(),
            "roster import finished"
        );
        Ok(self.report)
    }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Records the sync run's outcome (with `plan`, the plan's JSON) and its problems:
/// updates the run recorded at its start (`report.run_id`), or inserts it; returns the
/// run's id.
async fn record_run(
    db: &impl ConnectionTrait,
    report: &SyncReport,
    message: Option<String>,
    plan: Option<String>,
    progress: Option<Progress>,
) -> Result<i32, DbErr> {
    let counts = report.counts;
    let mut run = sync_run::ActiveModel {
        id: NotSet,
        trigger: Set(report.trigger),
        actor: Set(report.actor.clone()),
        author_subject: Set(report.person.as_ref().map(|p| p.subject.clone())),
        author_name: Set(report.person.as_ref().and_then(|p| p.name.clone())),
        author_email: Set(report.person.as_ref().and_then(|p| p.email.clone())),
        file_name: Set(report.file_name.clone()),
        file_sha256: Set(report.file_sha256.clone()),
        dry_run: Set(report.dry_run),
        forced: Set(report.forced),
        status: Set(report.status),
        added: Set(to_i32(counts.added)),
        updated: Set(to_i32(counts.updated)),
        moved: Set(to_i32(counts.moved)),
        deactivated: Set(to_i32(counts.deactivated)),
        reactivated: Set(to_i32(counts.reactivated)),
        unchanged: Set(to_i32(counts.unchanged)),
        plan: Set(plan),
        message: Set(message.or_else(|| Some(report.summary.clone()))),
        started_at: Set(report.started_at),
        finished_at: Set(Some(report.finished_at)),
        phase: NotSet,
        progress_done: NotSet,
        progress_total: NotSet,
        progress_at: NotSet,
        holder: NotSet,
    };
    let run_id = match report.run_id {
        Some(run_id) => {
            run.progress_at = Set(Some(report.finished_at));
            if let Some(progress) = progress {
                run.phase = Set(Some(progress.phase));
                run.progress_done = Set(Some(i64::try_from(progress.done).unwrap_or(i64::MAX)));
                run.progress_total = Set(Some(i64::try_from(progress.total).unwrap_or(i64::MAX)));
            }
            // Not `update`: it would read the row back, plan included (megabytes).
            let result = sync_run::Entity::update_many()
                .set(run)
                .filter(sync_run::Column::Id.eq(run_id))
                .exec(db)
                .await?;
            if result.rows_affected == 0 {
                return Err(DbErr::RecordNotUpdated);
            }
            run_id
        }
        // Only the id comes back: the plan of a large roster weighs megabytes.
        None => sync_run::Entity::insert(run).exec(db).await?.last_insert_id,
    };
    for chunk in report.problems.chunks(500) {
        let problems = chunk.iter().map(|p| sync_run_problem::ActiveModel {
            id: NotSet,
            sync_run_id: Set(run_id),
            severity: Set(p.severity),
            row_number: Set(p.row.map(to_i32)),
            column_name: Set(p.column.clone()),
            code: Set(p.code.as_str().to_owned()),
            message: Set(p.message.clone()),
        });
        sync_run_problem::Entity::insert_many(problems)
            .exec_without_returning(db)
            .await?;
    }
    // The directory shows the last successful import (territory overviews): recording one
    // is a change every process's cache must see. An applied import has bumped the
    // version already, in this same transaction.
    if !report.dry_run && report.status == SyncStatus::Unchanged {
        entity::data_version::bump(db).await?;
    }
    Ok(run_id)
}

/// The SHA-256 of the last import that left the roster equal to its file: a non-dry run
/// that was applied or found nothing to change.
async fn last_applied_sha(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let sha = sync_run::Entity::find()
        .select_only()
        .column(sync_run::Column::FileSha256)
        .filter(sync_run::Column::DryRun.eq(false))
        .filter(sync_run::Column::Status.is_in([SyncStatus::Applied, SyncStatus::Unchanged]))
        .order_by_desc(sync_run::Column::Id)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?;
    Ok(sha.flatten())
}

/// What reading produced.
struct ReadOutcome {
    problems: Problems,
    columns: Option<Columns>,
    sheet_name: Option<String>,
    rows: Vec<RawRow>,
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

/// Where an import's queries go.
#[derive(Clone, Copy)]
enum Conn<'a> {
    /// The pool (SQLite): reads there, the write in a transaction of its own.
    Pool(&'a DatabaseConnection),
    /// PostgreSQL: the import's own connection, in its one transaction.
    Session(&'a PgSession),
}

impl ConnectionTrait for Conn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Conn::Pool(db) => db.get_database_backend(),
            Conn::Session(session) => session.get_database_backend(),
        }
    }

    fn execute_raw<'a, 'b>(&'a self, stmt: Statement) -> BoxFuture<'b, Result<ExecResult, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            Conn::Pool(db) => db.execute_raw(stmt),
            Conn::Session(session) => session.execute_raw(stmt),
        }
    }

    fn execute_unprepared<'a, 'b, 'c>(
        &'a self,
        sql: &'b str,
    ) -> BoxFuture<'c, Result<ExecResult, DbErr>>
    where
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        match self {
            Conn::Pool(db) => db.execute_unprepared(sql),
            Conn::Session(session) => session.execute_unprepared(sql),
        }
    }

    fn query_one_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> BoxFuture<'b, Result<Option<QueryResult>, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            Conn::Pool(db) => db.query_one_raw(stmt),
            Conn::Session(session) => session.query_one_raw(stmt),
        }
    }

    fn query_all_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> BoxFuture<'b, Result<Vec<QueryResult>, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        match self {
            Conn::Pool(db) => db.query_all_raw(stmt),
            Conn::Session(session) => session.query_all_raw(stmt),
        }
    }
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
        Conn::Pool(db),
        &options,
        file_name.clone(),
        sha.clone(),
        bytes,
        false,
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

/// Records an attempt that found another import running (nothing was read or written).
async fn record_busy(
    db: &impl ConnectionTrait,
    options: &ImportOptions,
    file_name: String,
    sha: String,
) -> Result<SyncReport, DbErr> {
    Run::new(options, Some(file_name), Some(sha))
        .finish(
            db,
            SyncStatus::Busy,
            Some("another roster import is running".into()),
        )
        .await
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
    let lock = match session.try_lock(!options.dry_run).await {
        Ok(lock) => lock,
        Err(error) => {
            drop(session);
            return Err(fail(db, options, file_name, sha, None, error.into()).await);
        }
    };
    if !lock.locked {
        // Recorded on this connection, which holds no lock and writes nothing else.
        let recorded = record_busy(&session, options, file_name, sha).await;
        let run_id = match recorded {
            Ok(report) => session.commit().await.ok().and(report.run_id),
            Err(_) => None,
        };
        return Err(SyncError::Busy { run_id });
    }
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
        Conn::Session(&session),
        &options,
        file_name.clone(),
        sha.clone(),
        bytes,
        lock.lz4,
        Some(started),
    )
    .await;
    match result {
        Ok(mut report) => {
            let clock = Instant::now();
            match session.commit().await {
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

/// Reads, validates, plans and applies. On PostgreSQL everything happens in the
/// session's transaction, which the caller commits; `lz4` says the server compresses the
/// plan with LZ4 (several times faster than its default for a plan of megabytes).
async fn run_import(
    conn: Conn<'_>,
    options: &ImportOptions,
    file_name: String,
    sha: String,
    bytes: Vec<u8>,
    lz4: bool,
    started: Option<Started>,
) -> Result<SyncReport, SyncError> {
    let mut run = Run::continuing(options, Some(file_name.clone()), Some(sha.clone()), started);

    if !options.force && last_applied_sha(&conn).await?.as_deref() == Some(sha.as_str()) {
        return Ok(run.finish(&conn, SyncStatus::Skipped, None).await?);
    }

    // Reading: on a blocking thread (CPU work), where a panic in a parser fed a hostile
    // file is caught and reported as an unreadable file. The reference data and the
    // current roster load meanwhile.
    let started = Instant::now();
    let max_rows = options.max_rows;
    let name = file_name.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let outcome = read_rows(&bytes, &name, max_rows);
        (outcome, Instant::now())
    });
    let reference = Reference::load(&conn).await?;
    let current = Current::load(&conn, &reference).await?;
    let outcome = reading.await;
    let read_at = outcome
        .as_ref()
        .map_or_else(|_| Instant::now(), |(_, at)| *at);
    run.report.timings.reading_ms = millis(read_at.saturating_duration_since(started));
    options.report_progress(Phase::Reading, 1, 1);
    let ReadOutcome {
        mut problems,
        columns,
        sheet_name,
        rows,
    } = match outcome {
        Ok((outcome, _)) => outcome,
        Err(error) => {
            tracing::error!(%error, "the spreadsheet reader failed");
            let mut problems = Problems::default();
            problems.push(Problem::new(
                ProblemCode::UnreadableFile,
                "Le fichier n'a pas pu être lu : son contenu est endommagé ou inattendu. \
                 Ouvrez-le dans Excel ou LibreOffice et enregistrez-le à nouveau.",
            ));
            ReadOutcome {
                problems,
                columns: None,
                sheet_name: None,
                rows: Vec::new(),
            }
        }
    };
    run.report.sheet = sheet_name;
    run.report.header_row = columns.as_ref().map(|c| c.header_row);
    // Cells found wrong while reading do not stop here: the checks of every row run too,
    // so that one error never hides another. Only a file without rows to check stops.
    let Some(columns) = columns.filter(|_| !rows.is_empty()) else {
        run.set_problems(problems);
        return Ok(run.finish(&conn, SyncStatus::Rejected, None).await?);
    };

    let total = rows.len() as u64;
    options.report_progress(Phase::Validating, 0, total);
    let roster: ValidRoster = validate(&rows, &columns, &reference, &mut problems, |done| {
        options.report_progress(Phase::Validating, done as u64, total);
    });
    if problems.has_errors() {
        run.report.timings.validating_ms = millis(read_at.elapsed());
        run.set_problems(problems);
        return Ok(run.finish(&conn, SyncStatus::Rejected, None).await?);
    }
    let mut plan = crate::plan::plan(&roster, &current, &reference);
    plan.vacated_territories = crate::plan::vacated_territories(&roster, &current, &reference);
    // Hundreds of thousands of small strings: freed on another thread, off the path.
    drop(tokio::task::spawn_blocking(move || drop((rows, roster))));
    // A stored person's matricule (or e-mail) changed is an error unless forced: a
    // mistyped matricule must not split a person in two.
    for change in &plan.identity_changes {
        problems.push(crate::identity::problem(change, &columns, options.force));
    }
    run.report.timings.validating_ms = millis(read_at.elapsed());
    run.set_problems(problems);
    if run.report.error_count() > 0 {
        return Ok(run.finish(&conn, SyncStatus::Rejected, None).await?);
    }

    // Two guards against a truncated file: too many deactivations, or a territory that
    // has a coordinator today left with none (a single missing last line can do that
    // while staying under the ratio).
    let ratio = plan.deactivation_ratio();
    let refused = !options.force
        && (ratio > options.max_deactivation_ratio || !plan.vacated_territories.is_empty());
    let empty = plan.is_empty();
    run.report.plan = Some(plan);
    if refused {
        return Ok(run.finish(&conn, SyncStatus::Refused, None).await?);
    }
    if empty {
        return Ok(run.finish(&conn, SyncStatus::Unchanged, None).await?);
    }
    if options.dry_run {
        return Ok(run.finish(&conn, SyncStatus::Planned, None).await?);
    }

    // One transaction: the changes, their audit, the data version and the run itself
    // commit together, so readers see the old roster or the new one, never a mix.
    let clock = Instant::now();
    let now = Utc::now();
    let progress = |done: u64, total: u64| options.report_progress(Phase::Applying, done, total);
    match conn {
        Conn::Session(session) => {
            let plan = run
                .report
                .plan
                .as_ref()
                .ok_or_else(|| DbErr::Custom("plan missing".into()))?;
            let author = (now, options.person.as_ref());
            crate::apply::apply_postgres(session, plan, &current, &reference, author, &progress)
                .await?;
            if lz4 {
                session
                    .execute_unprepared("SET LOCAL default_toast_compression = lz4")
                    .await?;
            }
            let mut report = run.finish(session, SyncStatus::Applied, None).await?;
            report.timings.applying_ms = millis(clock.elapsed());
            Ok(report)
        }
        Conn::Pool(db) => {
            // SQLite has one writer: the progress writer would wait for this
            // transaction, so it stops here, after saying the writes begin.
            run.stop_progress().await;
            if let Some(run_id) = run.report.run_id {
                let total = run
                    .report
                    .plan
                    .as_ref()
                    .map_or(0, |plan| plan.changes.len() + plan.commune_moves.len());
                let applying = sync_run::ActiveModel {
                    phase: Set(Some(Phase::Applying)),
                    progress_done: Set(Some(0)),
                    progress_total: Set(Some(i64::try_from(total).unwrap_or(i64::MAX))),
                    progress_at: Set(Some(Utc::now())),
                    ..Default::default()
                };
                sync_run::Entity::update_many()
                    .set(applying)
                    .filter(sync_run::Column::Id.eq(run_id))
                    .exec(db)
                    .await?;
            }
            let txn = entity::transaction::begin_write(db).await?;
            let plan = run
                .report
                .plan
                .as_ref()
                .ok_or_else(|| DbErr::Custom("plan missing".into()))?;
            let author = (now, options.person.as_ref());
            crate::apply::apply_portable(&txn, plan, &current, &reference, author, &progress)
                .await?;
            let mut report = run.finish(&txn, SyncStatus::Applied, None).await?;
            txn.commit().await?;
            report.timings.applying_ms = millis(clock.elapsed());
            Ok(report)
        }
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
