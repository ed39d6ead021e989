//! What administrators read about roster imports: the runs (filtered, paginated, one
//! with its plan and problems), the last import whatever its outcome, the recent
//! failures, the files waiting in the drop folder and the next scheduled run.
//!
//! The public `overview.lastRosterImport` shows only applied imports; an administrator
//! must also see the rejected night, hence these queries of their own.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use entity::{SyncStatus, SyncTrigger, sync_run, sync_run_problem};
use sea_orm::entity::prelude::DerivePartialModel;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use territoires_sync::{
    Counts, CronSchedule, Problem, ProblemCode, StoredPlan, SyncConfig, SyncReport, Timings,
    annotate,
};

use crate::directory::IdWindow;
use crate::error::{Error, Result};

/// A run as listed: everything but its plan (a large roster's plan weighs megabytes).
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "sync_run::Entity")]
pub struct RunSummary {
    /// Its id.
    pub id: i32,
    /// What started it.
    pub trigger: SyncTrigger,
    /// Who started it.
    pub actor: String,
    /// The file's name.
    pub file_name: Option<String>,
    /// A dry run changes nothing.
    pub dry_run: bool,
    /// Forced past the guards.
    pub forced: bool,
    /// How the import ended (or `RUNNING`).
    pub status: SyncStatus,
    /// People added.
    pub added: i32,
    /// People whose details changed.
    pub updated: i32,
    /// People who changed territory.
    pub moved: i32,
    /// People deactivated.
    pub deactivated: i32,
    /// People reactivated.
    pub reactivated: i32,
    /// People unchanged.
    pub unchanged: i32,
    /// The French summary (or what prevented the import).
    pub message: Option<String>,
    /// When the import started.
    pub started_at: DateTime<Utc>,
    /// When it ended; `None` while it runs.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which runs to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunFilter {
    /// Only runs with this outcome.
    pub status: Option<SyncStatus>,
}

impl RunFilter {
    fn select(self) -> Select<sync_run::Entity> {
        let mut select = sync_run::Entity::find();
        if let Some(status) = self.status {
            select = select.filter(sync_run::Column::Status.eq(status));
        }
        select
    }

    /// Page `page` (from 1) of `size` runs, newest first, and the number of runs.
    pub async fn page(
        self,
        db: &DatabaseConnection,
        page: u64,
        size: u64,
    ) -> Result<(Vec<RunSummary>, u64)> {
        let total = self.select().count(db).await?;
        let runs = self
            .select()
            .order_by_desc(sync_run::Column::Id)
            .offset(page.saturating_sub(1).saturating_mul(size))
            .limit(size)
            .into_partial_model::<RunSummary>()
            .all(db)
            .await?;
        Ok((runs, total))
    }

    /// The runs of `window` (in the order it reads them), whole, and the number of runs.
    pub async fn window(
        self,
        db: &DatabaseConnection,
        window: &IdWindow,
    ) -> Result<(Vec<sync_run::Model>, u64)> {
        let total = self.select().count(db).await?;
        let runs = window
            .apply(self.select(), sync_run::Column::Id)
            .all(db)
            .await?;
        Ok((runs, total))
    }
}

/// The last import that was not a dry run, whatever its outcome.
pub async fn last_import(db: &DatabaseConnection) -> Result<Option<RunSummary>> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::DryRun.eq(false))
        .order_by_desc(sync_run::Column::Id)
        .into_partial_model::<RunSummary>()
        .one(db)
        .await?)
}

/// Imports (not dry runs) since `since` that did not go through: rejected, refused, busy
/// or failed, newest first.
pub async fn failures_since(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> Result<Vec<RunSummary>> {
    Ok(sync_run::Entity::find()
        .filter(sync_run::Column::DryRun.eq(false))
        .filter(sync_run::Column::StartedAt.gte(since))
        .filter(sync_run::Column::Status.is_in([
            SyncStatus::Rejected,
            SyncStatus::Refused,
            SyncStatus::Busy,
            SyncStatus::Failed,
        ]))
        .order_by_desc(sync_run::Column::Id)
        .limit(20)
        .into_partial_model::<RunSummary>()
        .all(db)
        .await?)
}

/// One run in full: its row, its plan (when the file was valid) and its problems in file
/// order.
#[derive(Debug, Clone)]
pub struct RunDetails {
    /// The stored run.
    pub run: sync_run::Model,
    /// The plan, read back from its JSON: full, or compact for an applied run.
    pub plan: Option<StoredPlan>,
    /// The problems found.
    pub problems: Vec<sync_run_problem::Model>,
    /// Whether the run's file is kept (for download, or to force it again).
    pub file_kept: bool,
}

/// Run `id` with its plan and problems; `None` if there is none.
pub async fn run_details(db: &DatabaseConnection, id: i32) -> Result<Option<RunDetails>> {
    let Some(run) = sync_run::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let problems = sync_run_problem::Entity::find()
        .filter(sync_run_problem::Column::SyncRunId.eq(id))
        .order_by_asc(sync_run_problem::Column::Id)
        .all(db)
        .await?;
    let plan = run.plan.as_deref().and_then(StoredPlan::parse);
    let file_kept = match run.file_sha256.as_deref() {
        Some(sha) => territoires_sync::is_kept(db, sha).await?,
        None => false,
    };
    Ok(Some(RunDetails {
        run,
        plan,
        problems,
        file_kept,
    }))
}

/// When the nightly import runs next, from `SYNC_CRON` in `SYNC_TIMEZONE`; `None` when
/// this process does not run it (`SYNC_SCHEDULE=false`) or the settings are invalid.
pub fn next_scheduled_run(config: &SyncConfig, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !config.scheduled {
        return None;
    }
    CronSchedule::parse(&config.cron, &config.timezone)
        .ok()?
        .next_after(now)
}

/// A roster file waiting in the drop folder.
#[derive(Debug, Clone)]
pub struct WaitingFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it last changed.
    pub modified: Option<DateTime<Utc>>,
    /// Unchanged for `SYNC_SETTLE_SECS`: the next run takes it (if it is the newest).
    pub settled: bool,
}

/// Most waiting files listed; a folder holding more is summarised by its count.
pub const MAX_LISTED_FILES: usize = 100;

/// The roster files waiting in the drop folder (names the nightly job would consider),
/// newest first, at most [`MAX_LISTED_FILES`], and how many there are in all.
pub async fn waiting_files(config: &SyncConfig) -> Result<(Vec<WaitingFile>, usize)> {
    let dir = config.drop_dir.clone();
    let settle = config.settle_time;
    tokio::task::spawn_blocking(move || list_waiting(&dir, settle))
        .await
        .map_err(|e| Error::Internal(format!("listing the drop folder stopped: {e}")))?
}

/// The drop folder as the nightly job lists it ([`territoires_sync::waiting_files`]), so
/// the dashboard shows exactly the files the job would consider.
fn list_waiting(dir: &Path, settle: Duration) -> Result<(Vec<WaitingFile>, usize)> {
    if !dir.exists() {
        return Ok((Vec::new(), 0));
    }
    let mut files = Vec::new();
    let mut total = 0;
    // An entry that cannot be read is skipped here: the job says what is wrong.
    for file in territoires_sync::waiting_files(dir, settle)?.flatten() {
        total += 1;
        files.push(WaitingFile {
            name: file.name,
            size: file.size,
            modified: (file.modified != SystemTime::UNIX_EPOCH)
                .then(|| DateTime::<Utc>::from(file.modified)),
            settled: file.settled,
        });
        // Keep the newest ones only, so a folder of thousands costs little memory.
        if files.len() > 4 * MAX_LISTED_FILES {
            keep_newest(&mut files);
        }
    }
    keep_newest(&mut files);
    Ok((files, total))
}

fn keep_newest(files: &mut Vec<WaitingFile>) {
    files.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| a.name.cmp(&b.name))
    });
    files.truncate(MAX_LISTED_FILES);
}

impl RunDetails {
    /// The run's report as the import wrote it, rebuilt from what the run stored: the
    /// text and JSON reports and the annotated copy offered in the console's history
    /// are made from it on demand, for every run, whichever way it was started.
    ///
    /// What a run does not store is left out: the timings, the count of problems beyond
    /// those kept (the last kept problem counts them in its message), and the sheet and
    /// header row for runs recorded before they were kept (the annotated copy then
    /// takes the first sheet). The deactivation threshold is the one configured now.
    pub fn report(&self, max_deactivation_ratio: f64) -> SyncReport {
        let run = &self.run;
        let full_plan = match &self.plan {
            Some(StoredPlan::Full(plan)) => Some(plan.clone()),
            _ => None,
        };
        let counts = match &self.plan {
            Some(StoredPlan::Full(plan)) => plan.counts,
            Some(StoredPlan::Compact(plan)) => plan.counts,
            None => Counts {
                added: count(run.added),
                updated: count(run.updated),
                moved: count(run.moved),
                deactivated: count(run.deactivated),
                reactivated: count(run.reactivated),
                unchanged: count(run.unchanged),
                communes_moved: 0,
            },
        };
        let problems = self
            .problems
            .iter()
            // Every stored code is one of ours; a row written by a newer version with
            // a code this one does not know is left out rather than misnamed.
            .filter_map(|p| {
                let code = ProblemCode::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == p.code)?;
                Some(Problem {
                    severity: p.severity,
                    row: p.row_number.and_then(|r| u32::try_from(r).ok()),
                    column: p.column_name.clone(),
                    code,
                    message: p.message.clone(),
                })
            })
            .collect();
        SyncReport {
            run_id: Some(run.id),
            status: run.status,
            trigger: run.trigger,
            actor: run.actor.clone(),
            person: None,
            file_name: run.file_name.clone(),
            file_sha256: run.file_sha256.clone(),
            dry_run: run.dry_run,
            forced: run.forced,
            max_deactivation_ratio,
            sheet: run.sheet.clone(),
            header_row: run.header_row.and_then(|row| u32::try_from(row).ok()),
            counts,
            plan: full_plan,
            problems,
            omitted_problems: 0,
            omitted_errors: 0,
            summary: run.message.clone().unwrap_or_default(),
            started_at: run.started_at,
            finished_at: run.finished_at.unwrap_or(run.started_at),
            timings: Timings::default(),
        }
    }

    /// The name a download made from this run goes by: the file's own name (or
    /// `import-<id>` when it had none) followed by `suffix`.
    pub fn download_name(&self, suffix: &str) -> String {
        match self.run.file_name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => format!("{name}{suffix}"),
            _ => format!("import-{}{suffix}", self.run.id),
        }
    }
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// The annotated copy of run `details`' file (`….annote.xlsx`), built from the file kept
/// in `roster_files` and the run's report; `None` when the file is not kept.
pub async fn annotated_copy(
    db: &DatabaseConnection,
    details: &RunDetails,
    config: &SyncConfig,
) -> Result<Option<Vec<u8>>> {
    let Some(sha) = details.run.file_sha256.as_deref() else {
        return Ok(None);
    };
    let Some(file) = territoires_sync::kept_file(db, sha).await? else {
        return Ok(None);
    };
    let report = details.report(config.max_deactivation_ratio);
    let timezone = config.time_zone();
    let name = details.run.file_name.clone().unwrap_or(file.file_name);
    // Reading a workbook again is seconds of CPU for a large one: off the async workers.
    tokio::task::spawn_blocking(move || annotate(&name, &file.bytes, &report, timezone))
        .await
        .map_err(|e| Error::Internal(format!("annotating stopped: {e}")))?
        .map(Some)
        .map_err(Error::from)
}
