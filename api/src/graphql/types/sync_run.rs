//! `SyncRun`: one roster import attempt.

use std::collections::HashMap;
use std::sync::Arc;

use crate::graphql::types::{DateTime, Json};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use entity::{
    Labelled, ProblemSeverity, Role, SyncPhase, SyncStatus, SyncTrigger, sync_run, sync_run_problem,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::Error;
use crate::graphql::access::RoleGuard;
use crate::graphql::ids;
use crate::graphql::types::Author;

/// A roster import attempt (*import de l'annuaire RH*), whatever its outcome. Counts and
/// status are public on the territory overview; the file, its author and the problems
/// found need an ADMIN token.
#[derive(Clone)]
pub struct SyncRun {
    /// Boxed: a run is large beside the other `Node`s.
    pub(crate) model: Box<sync_run::Model>,
}

impl SyncRun {
    /// Wraps a stored run.
    pub fn summary(model: sync_run::Model) -> Self {
        Self {
            model: Box::new(model),
        }
    }
}

/// What is wrong in a roster file, as a stable code (the values of
/// `SyncProblem.code`). Errors block the whole file; warnings never do.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "territoires_sync::ProblemCode")]
pub enum SyncProblemCode {
    /// The file cannot be read as a spreadsheet or a CSV file.
    UnreadableFile,
    /// The file is empty or holds no cell at all.
    EmptyFile,
    /// The file ends mid-way (a CSV file whose last line has no line end): probably
    /// taken while it was still being copied.
    IncompleteFile,
    /// The file is larger than the configured limit.
    FileTooLarge,
    /// The file has more data rows than the configured limit.
    TooManyRows,
    /// A sheet's used area (first to last non-empty cell), its columns, its text or an
    /// inflated part of the workbook are beyond what the import reads: refused before
    /// the spreadsheet library allocates them.
    SheetTooLarge,
    /// A required column is missing (or no header row was found).
    MissingColumn,
    /// The header row is there but no coordinator row follows it.
    NoDataRows,
    /// A required cell is empty.
    EmptyCell,
    /// A cell holds a spreadsheet error (`#N/A`, `#REF!`…).
    CellError,
    /// A cell is implausibly long.
    TextTooLong,
    /// A cell holds a date or a true/false value where text, a matricule, a phone number
    /// or a territory is expected (Excel turns "5/3" into a date).
    WrongCellType,
    /// The e-mail address is malformed.
    InvalidEmail,
    /// The phone number is not a phone number.
    InvalidPhone,
    /// The territory cannot be read or does not exist.
    UnknownTerritory,
    /// A commune name matches no commune.
    UnknownCommune,
    /// A commune name matches several communes.
    AmbiguousCommune,
    /// Two rows share a key (matricule or e-mail) but describe different people.
    DuplicateKey,
    /// Two different people share an e-mail address.
    DuplicateEmail,
    /// A commune is listed under two territories.
    CommuneClaimedTwice,
    /// A row's e-mail, or name in the same territory, belongs to a stored person with
    /// another matricule: a matricule change (or an address taken over) to confirm by
    /// forcing the import. A warning in a forced import.
    MatriculeChange,
    /// Without a Matricule column, a row's name in the same territory belongs to a
    /// stored person with another e-mail: an e-mail change to confirm by forcing the
    /// import. A warning in a forced import.
    EmailChange,
    /// (warning) A column is not used by the import.
    IgnoredColumn,
    /// (warning) A column appears twice; the first one is used.
    DuplicateColumn,
    /// (warning) A blank line between coordinator rows.
    BlankLine,
    /// (warning) The same person and territory twice: the repetition is ignored.
    DuplicateRow,
    /// (warning) Two rows of the same person disagree on a detail; the first is kept.
    ConflictingDetails,
    /// (warning) More problems than a run keeps: this one counts the others.
    ProblemsOmitted,
}

/// A problem found in a roster file.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct SyncProblem {
    /// ERROR (blocks the import) or WARNING.
    pub severity: ProblemSeverity,
    /// Spreadsheet row number as the spreadsheet program shows it; null for the file.
    pub row: Option<i32>,
    /// Column header as written in the file; null for the row or the file.
    pub column: Option<String>,
    /// Stable code, e.g. "INVALID_EMAIL".
    pub code: String,
    /// What is wrong and how to fix it, in French.
    pub message: String,
}

#[ComplexObject]
impl SyncProblem {
    /// The code as an enum (the same as `code`); null for a code this version of the
    /// API does not know yet (a run recorded by a newer one).
    async fn code_kind(&self) -> Option<SyncProblemCode> {
        territoires_sync::ProblemCode::ALL
            .iter()
            .find(|known| known.as_str() == self.code)
            .map(|known| SyncProblemCode::from(*known))
    }
}

/// Loads the problems of many runs in one query.
pub struct ProblemsLoader(pub DatabaseConnection);

impl Loader<i32> for ProblemsLoader {
    type Value = Vec<SyncProblem>;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[i32]) -> Result<HashMap<i32, Self::Value>, Self::Error> {
        let rows = sync_run_problem::Entity::find()
            .filter(sync_run_problem::Column::SyncRunId.is_in(keys.iter().copied()))
            .order_by_asc(sync_run_problem::Column::Id)
            .all(&self.0)
            .await
            .map_err(|e| Arc::new(Error::from(e)))?;
        let mut problems: HashMap<i32, Vec<SyncProblem>> = HashMap::new();
        for p in rows {
            problems
                .entry(p.sync_run_id)
                .or_default()
                .push(SyncProblem {
                    severity: p.severity,
                    row: p.row_number,
                    column: p.column_name,
                    code: p.code,
                    message: p.message,
                });
        }
        Ok(problems)
    }
}

/// A roster import attempt (*import de l'annuaire RH*), whatever its outcome. Counts and
/// status are public on the territory overview; the file, its author and the problems
/// found need an ADMIN token.
#[Object]
impl SyncRun {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::SYNC_RUN, self.model.id)
    }

    /// What started it.
    async fn trigger(&self) -> SyncTrigger {
        self.model.trigger
    }

    /// How it ended, or `RUNNING` while it runs (see `phase`, `progressDone`,
    /// `progressTotal`, and the `syncRunProgress` subscription).
    async fn status(&self) -> SyncStatus {
        self.model.status
    }

    /// The outcome in French, e.g. "Rejeté".
    async fn status_label(&self) -> &'static str {
        self.model.status.label()
    }

    /// A dry run plans without changing anything (its status is `PLANNED` when the file
    /// had changes to plan).
    async fn dry_run(&self) -> bool {
        self.model.dry_run
    }

    /// Forced past the deactivation guard and the same-file check.
    async fn forced(&self) -> bool {
        self.model.forced
    }

    /// People added.
    async fn added(&self) -> i32 {
        self.model.added
    }

    /// People whose details changed.
    async fn updated(&self) -> i32 {
        self.model.updated
    }

    /// People who changed territory.
    async fn moved(&self) -> i32 {
        self.model.moved
    }

    /// People who left the roster.
    async fn deactivated(&self) -> i32 {
        self.model.deactivated
    }

    /// People who came back.
    async fn reactivated(&self) -> i32 {
        self.model.reactivated
    }

    /// People unchanged.
    async fn unchanged(&self) -> i32 {
        self.model.unchanged
    }

    /// Start time.
    async fn started_at(&self) -> DateTime {
        self.model.started_at.into()
    }

    /// End time.
    async fn finished_at(&self) -> Option<DateTime> {
        self.model.finished_at.map(DateTime::from)
    }

    /// The part of the import that ran last (`READING`, `VALIDATING`, `APPLYING`); null
    /// for runs recorded before imports reported their progress, or that never started
    /// (busy, file too large).
    async fn phase(&self) -> Option<SyncPhase> {
        self.model.phase
    }

    /// Units of `phase` done: rows checked while `VALIDATING`, people written while
    /// `APPLYING`. Updated at most twice a second while the run is `RUNNING`.
    async fn progress_done(&self) -> Option<i32> {
        self.model
            .progress_done
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// Units in `phase` (see `progressDone`).
    async fn progress_total(&self) -> Option<i32> {
        self.model
            .progress_total
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// When the run last reported (UTC): a `RUNNING` run silent for two minutes belongs
    /// to a process that is gone, and is marked `FAILED`.
    async fn progress_at(&self) -> Option<DateTime> {
        self.model.progress_at.map(DateTime::from)
    }

    /// Who started it: a token's name, a person's name, `cli` or `schedule`. ADMIN
    /// token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn actor(&self) -> &str {
        &self.model.actor
    }

    /// Who started it, in full: a token, a person (with the identity provider's subject
    /// and their e-mail at the time) or the service itself (schedule, command line).
    /// ADMIN.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn author(&self) -> Author {
        Author::of_row(
            &self.model.actor,
            [
                self.model.author_subject.as_deref(),
                self.model.author_name.as_deref(),
                self.model.author_email.as_deref(),
            ],
            Author::system_trigger(self.model.trigger),
        )
    }

    /// The file's name. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn file_name(&self) -> Option<&str> {
        self.model.file_name.as_deref()
    }

    /// SHA-256 of the file, hex. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn file_sha256(&self) -> Option<&str> {
        self.model.file_sha256.as_deref()
    }

    /// The plan, as JSON. Dry (`PLANNED`), refused and rejected runs hold the full plan
    /// (who is added, updated — which fields, before and after —, moved, deactivated…).
    /// An applied run holds a compact one, `{"compact": true, "counts": {…},
    /// "activeBefore": n, "people": n, "fields": [{"field": "email", "people": n}…],
    /// "vacatedTerritories": […]}`: the audit log holds each change it made. ADMIN token.
    #[graphql(
        guard = "RoleGuard(Role::Admin)",
        deprecation = "A string holding JSON: read `planJson`, the same plan as a JSON value."
    )]
    async fn plan(&self) -> Option<&str> {
        self.model.plan.as_deref()
    }

    /// The plan (see `plan`) as a JSON value rather than a string holding JSON. ADMIN
    /// token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn plan_json(&self) -> Option<Json> {
        // Written by this service as JSON; a value that does not parse is no plan.
        serde_json::from_str(self.model.plan.as_deref()?)
            .ok()
            .map(Json)
    }

    /// The problems found in the file, in file order. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn problems(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SyncProblem>> {
        crate::response_cache::mark_uncacheable(ctx);
        let loader = ctx.data::<DataLoader<ProblemsLoader>>()?;
        Ok(loader.load_one(self.model.id).await?.unwrap_or_default())
    }
}
