//! Roster imports from the API (ADMIN token): process the drop folder now, or import an
//! uploaded file (GraphQL multipart request).

use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject, Upload};
use entity::{Role, SyncTrigger, sync_run};
use sea_orm::{DatabaseConnection, EntityTrait};
use territoires_sync::{RosterSource, SyncConfig, SyncError, SyncReport};

use super::{Writer, writer};
use crate::error::Error;
use crate::graphql::types::SyncRun;
use crate::http::guards::UploadSlot;

/// What processing the drop folder did.
#[derive(SimpleObject)]
pub struct RosterSyncResult {
    /// The import of the newest complete file; null when no file was waiting.
    pub run: Option<SyncRun>,
    /// Older files archived unread (superseded by the newer one).
    pub superseded: Vec<String>,
    /// Files left in place because they changed too recently (still being copied?).
    pub waiting: Vec<String>,
}

/// The recorded run of an import that ran, or of one refused as BUSY or FAILED; other
/// failures are errors.
async fn recorded(
    db: &DatabaseConnection,
    outcome: Result<SyncReport, SyncError>,
) -> crate::error::Result<SyncRun> {
    let run_id = match &outcome {
        Ok(report) => report.run_id,
        Err(error) => error.run_id(),
    };
    if let (Err(error), None) = (&outcome, run_id) {
        return Err(Error::Internal(format!("roster import failed: {error}")));
    }
    let run_id =
        run_id.ok_or_else(|| Error::Internal("an import without a recorded run".to_owned()))?;
    if let Err(error) = &outcome {
        tracing::warn!(%error, run_id, "roster import did not run");
    }
    sync_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .map(SyncRun::summary)
        .ok_or_else(|| Error::Internal(format!("sync run {run_id} missing")))
}

/// Roster mutations.
#[derive(Default)]
pub struct RosterMutation;

#[Object]
impl RosterMutation {
    /// Processes the drop folder now, as the nightly job would: imports the newest
    /// complete file and archives older ones. With `force`, a file refused for
    /// deactivating too many people (or already imported) is imported anyway. ADMIN token.
    async fn run_roster_sync(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Plan and report without changing anything (the file stays in place).",
            default_with = "Some(false)"
        )]
        dry_run: Option<bool>,
        #[graphql(
            desc = "Import past the deactivation guard and the same-file check.",
            default_with = "Some(false)"
        )]
        force: Option<bool>,
    ) -> Result<RosterSyncResult> {
        let (dry_run, force) = (dry_run.unwrap_or(false), force.unwrap_or(false));
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let db = db.clone();
        let config = ctx.data::<Arc<SyncConfig>>()?.clone();
        let options = config
            .import_options(SyncTrigger::Manual, author.name)
            .person(author.person)
            .dry_run(dry_run)
            .force(force);
        // Its own task: a client that goes away does not cut an import short.
        let task_db = db.clone();
        let outcome = tokio::spawn(async move {
            territoires_sync::process_drop_folder(&task_db, &config, &options).await
        })
        .await
        .map_err(|e| Error::Internal(format!("roster import task: {e}")))?;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) if error.run_id().is_some() => {
                return Ok(RosterSyncResult {
                    run: Some(recorded(&db, Err(error)).await?),
                    superseded: Vec::new(),
                    waiting: Vec::new(),
                });
            }
            Err(error) => return Err(Error::from(error).into()),
        };
        let run = match outcome.processed {
            Some(file) => Some(recorded(&db, Ok(file.report)).await?),
            None => None,
        };
        let names = |paths: Vec<std::path::PathBuf>| {
            paths
                .into_iter()
                .map(|p| {
                    p.file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                })
                .collect()
        };
        Ok(RosterSyncResult {
            run,
            superseded: names(outcome.superseded),
            waiting: names(outcome.waiting),
        })
    }

    /// Imports an uploaded roster file (.xlsx, .xls, .ods, .csv), sent as a GraphQL
    /// multipart request; the file size is limited (SYNC_MAX_FILE_SIZE). Returns the
    /// recorded run, whatever its outcome (REJECTED with its problems, BUSY when another
    /// import is running…). ADMIN token.
    async fn import_roster(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The roster file.")] file: Upload,
        #[graphql(
            desc = "Plan and report without changing anything.",
            default_with = "Some(false)"
        )]
        dry_run: Option<bool>,
        #[graphql(
            desc = "Import past the deactivation guard and the same-file check.",
            default_with = "Some(false)"
        )]
        force: Option<bool>,
    ) -> Result<SyncRun> {
        let (dry_run, force) = (dry_run.unwrap_or(false), force.unwrap_or(false));
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let db = db.clone();
        let config = ctx.data::<Arc<SyncConfig>>()?.clone();
        let upload = file.value(ctx)?;
        let name = upload.filename.clone();
        // The upload waits in a temporary file (already bounded by the body limit):
        // reading it is blocking I/O, kept off the request workers.
        let bytes = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut upload.into_read(), &mut bytes).map(|_| bytes)
        })
        .await
        .map_err(|e| Error::Internal(format!("the upload reader stopped: {e}")))?
        .map_err(|e| Error::io("cannot read the uploaded file", e))?;
        let options = config
            .import_options(SyncTrigger::Upload, author.name)
            .person(author.person)
            .dry_run(dry_run)
            .force(force);
        // The upload slot stays taken until the import has run, even if the client goes
        // away: otherwise `MAX_CONCURRENT_UPLOADS` would bound receipts, not imports.
        let slot = ctx.data_opt::<UploadSlot>().cloned();
        let task_db = db.clone();
        let outcome = tokio::spawn(async move {
            let outcome = territoires_sync::import_roster(
                &task_db,
                RosterSource::bytes(name, bytes),
                &options,
            )
            .await;
            drop(slot);
            outcome
        })
        .await
        .map_err(|e| Error::Internal(format!("roster import task: {e}")))?;
        Ok(recorded(&db, outcome).await?)
    }
}
