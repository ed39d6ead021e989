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
use territoires_sync::{CronSchedule, StoredPlan, SyncConfig, is_ignored_name};

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
    /// Outcome.
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
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
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

fn list_waiting(dir: &Path, settle: Duration) -> Result<(Vec<WaitingFile>, usize)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(Error::io(format!("cannot list {}", dir.display()), e)),
    };
    let now = SystemTime::now();
    let mut files = Vec::new();
    let mut total = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_ignored_name(&name) {
            continue;
        }
        let Ok(metadata) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if !metadata.is_file() {
            continue;
        }
        total += 1;
        let modified = metadata.modified().ok();
        let age = modified.and_then(|m| now.duration_since(m).ok());
        files.push(WaitingFile {
            name,
            size: metadata.len(),
            modified: modified.map(DateTime::<Utc>::from),
            settled: age.is_some_and(|age| age >= settle),
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
