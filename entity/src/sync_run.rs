//! One roster import attempt, whatever its outcome.

use sea_orm::QueryOrder;
use sea_orm::entity::prelude::*;

use crate::{SyncPhase, SyncStatus, SyncTrigger};

/// A sync run row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What started the import.
    pub trigger: SyncTrigger,
    /// Who started it: a token name, a person's name, `cli`, or `schedule`.
    pub actor: String,
    /// The person who started it, by the identity provider's subject (`sub`); null for
    /// API tokens, the command line and the schedule.
    pub author_subject: Option<String>,
    /// The person's name as their token gave it at the time.
    pub author_name: Option<String>,
    /// The person's e-mail as their token gave it at the time.
    pub author_email: Option<String>,
    /// The file's name as dropped or uploaded.
    pub file_name: Option<String>,
    /// SHA-256 of the file's bytes, hex.
    pub file_sha256: Option<String>,
    /// A dry run plans without writing.
    pub dry_run: bool,
    /// Forced past the deactivation guard and the same-file check.
    pub forced: bool,
    /// How the import ended (`RUNNING` while it runs).
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
    /// The detailed plan (JSON), for the report.
    pub plan: Option<String>,
    /// Short technical summary for failures (never shown to the public).
    pub message: Option<String>,
    /// Start time.
    pub started_at: DateTimeUtc,
    /// End time.
    pub finished_at: Option<DateTimeUtc>,
    /// The part of the import running (last reported), while `RUNNING`.
    pub phase: Option<SyncPhase>,
    /// Units of `phase` done (rows checked, people written).
    pub progress_done: Option<i64>,
    /// Units in `phase`.
    pub progress_total: Option<i64>,
    /// When the running import last reported (its heartbeat): a `RUNNING` run silent for
    /// long belongs to a process that is gone.
    pub progress_at: Option<DateTimeUtc>,
    /// The process running the import (`pid.start machine unique host`, as the SQLite
    /// import lock names its holder), to tell a crashed run from a slow one.
    pub holder: Option<String>,
    /// The sheet read, by its name in the workbook: kept so that the report and the
    /// annotated copy rebuilt later note the same sheet. Null when the file was not read
    /// as far as a header, and for runs recorded before it was kept.
    pub sheet: Option<String>,
    /// The header's row number as people see it (from 1), with `sheet`.
    pub header_row: Option<i32>,
}

/// Relations of a sync run.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The problems found in the file.
    #[sea_orm(has_many = "super::sync_run_problem::Entity")]
    Problem,
}

impl Related<super::sync_run_problem::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Problem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// The runs that left the roster equal to their file, newest first: imports (not dry
/// runs) applied or that found nothing to change. `.one(db)` is the last successful
/// import — the directory's overview, the `last_success` metric and the same-file check
/// of the next import all read it here.
pub fn successful_newest_first() -> Select<Entity> {
    Entity::find()
        .filter(Column::DryRun.eq(false))
        .filter(Column::Status.is_in([SyncStatus::Applied, SyncStatus::Unchanged]))
        .order_by_desc(Column::Id)
}
