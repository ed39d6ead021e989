//! Recording an import as a sync run: recorded `RUNNING` at its start, its outcome and
//! problems at its end (in the import's transaction when it applies), and the last
//! applied file, which a forced-free import of the same file skips.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{SyncStatus, sync_run, sync_run_problem};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::{ImportOptions, Phase, Progress, SyncReport, Timings};
use crate::apply::{ApplyContext, RosterWriter};
use crate::plan::Counts;
use crate::problem::Problems;
use crate::running::{self, ProgressWriter};

/// A run recorded `RUNNING` at its start, and the writer of its progress.
pub(crate) struct Started {
    pub(super) run_id: i32,
    pub(super) started_at: DateTime<Utc>,
    pub(super) writer: Option<ProgressWriter>,
}

impl Started {
    /// Records the run of an import that starts (on the pool: visible at once to every
    /// process) and starts writing its progress; `options` then carries the writer's
    /// hook besides the caller's.
    pub(super) async fn record(
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
pub(super) struct Run<'a> {
    pub(super) options: &'a ImportOptions,
    pub(super) report: SyncReport,
    /// The last progress reported, recorded with the outcome.
    progress: Option<Arc<tokio::sync::watch::Sender<Option<Progress>>>>,
    /// The progress writer of a run recorded at its start, stopped before the outcome
    /// is written.
    writer: Option<ProgressWriter>,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        options: &'a ImportOptions,
        file_name: Option<String>,
        sha: Option<String>,
    ) -> Self {
        Self::continuing(options, file_name, sha, None)
    }

    /// A run, continuing the one recorded at its start if any.
    pub(super) fn continuing(
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
    pub(super) fn set_problems(&mut self, problems: Problems) {
        let reported = problems.into_reported();
        self.report.problems = reported.items;
        self.report.omitted_problems = reported.omitted;
        self.report.omitted_errors = reported.omitted_errors;
    }

    /// Stops writing progress (before the import's own writes on SQLite, where the
    /// writer would wait for the import's transaction, and before the outcome).
    pub(super) async fn stop_progress(&mut self) {
        if let Some(writer) = self.writer.take() {
            writer.stop().await;
        }
    }

    /// Records in the run that the writes begin (SQLite, whose progress writer has
    /// stopped: it would wait for the import's transaction).
    pub(super) async fn record_applying(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let Some(run_id) = self.report.run_id else {
            return Ok(());
        };
        let total = self
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
        Ok(())
    }

    /// Writes the run's plan with `writer`, then records the run as APPLIED in the same
    /// transaction.
    pub(super) async fn write_and_finish(
        self,
        writer: &impl RosterWriter,
        context: ApplyContext<'_>,
    ) -> Result<SyncReport, DbErr> {
        let plan = self
            .report
            .plan
            .as_ref()
            .ok_or_else(|| DbErr::Custom("plan missing".into()))?;
        writer.write_plan(plan, context).await?;
        self.finish(writer, SyncStatus::Applied, None).await
    }

    /// Sets the outcome and records the run (in `db`, a connection or a transaction):
    /// updates the run recorded at the start, or inserts it.
    pub(super) async fn finish(
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
        // What the rebuilt report and annotated copy need to note the right cells.
        sheet: Set(report.sheet.clone()),
        header_row: Set(report.header_row.map(to_i32)),
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
        entity::data_version::bump(db, entity::DataChangeKind::Roster).await?;
    }
    Ok(run_id)
}

/// The SHA-256 of the last import that left the roster equal to its file: a non-dry run
/// that was applied or found nothing to change.
pub(super) async fn last_applied_sha(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    let sha = sync_run::successful_newest_first()
        .select_only()
        .column(sync_run::Column::FileSha256)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?;
    Ok(sha.flatten())
}

/// Records an attempt that found another import running (nothing was read or written).
pub(super) async fn record_busy(
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
