//! `territoires sync`, `territoires roster template|export`, and the nightly schedule
//! inside `serve`: thin wrappers over the roster sync library.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use entity::SyncTrigger;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::DatabaseConnection;
use territoires_sync::{
    NightlyOutcome, Phase, Progress, RosterSource, SchedulerHandle, SyncConfig, import_roster,
};

use super::RosterCommand;
use crate::config::SyncSettings;
use crate::error::Result;

/// What `territoires sync` was asked to do.
pub struct SyncRequest<'a> {
    /// The roster file.
    pub file: &'a Path,
    /// The database imported into, as [`crate::db::describe`] names it (no password).
    pub database: &'a str,
    /// Plan and report only.
    pub dry_run: bool,
    /// Past the guards and the same-file check.
    pub force: bool,
    /// The report as JSON.
    pub json: bool,
}

/// Imports the file; prints the report (French table, or JSON), naming the database it
/// went into; the exit code says how it went (0 done, 1 rejected or refused).
pub async fn sync(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    request: SyncRequest<'_>,
) -> Result<ExitCode> {
    let mut options = settings
        .to_config()
        .import_options(SyncTrigger::Cli, "cli")
        .dry_run(request.dry_run)
        .force(request.force);
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    if let Some(bar) = &bar {
        let bar = bar.clone();
        options = options.with_progress(Arc::new(move |progress: Progress| {
            bar.set_length(progress.total.max(1));
            bar.set_position(progress.done);
            bar.set_message(match progress.phase {
                Phase::Reading => "lecture",
                Phase::Validating => "vérification",
                Phase::Applying => "enregistrement",
            });
        }));
    }
    let report = import_roster(db, RosterSource::path(request.file), &options).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report?;
    if request.json {
        let mut json = serde_json::to_value(&report).unwrap_or_default();
        if let Some(object) = json.as_object_mut() {
            object.insert("database".to_owned(), request.database.into());
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| report.to_json())
        );
    } else {
        println!("Base de données : {}", request.database);
        print!("{}", report.to_text());
    }
    Ok(ExitCode::from(
        u8::try_from(report.exit_code()).unwrap_or(1),
    ))
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Writes the template or the export.
pub async fn spreadsheet(db: &DatabaseConnection, command: RosterCommand) -> Result<()> {
    match command {
        RosterCommand::Template { file } => {
            territoires_sync::write_template(db, &file).await?;
            eprintln!("Modèle écrit dans {}.", file.display());
        }
        RosterCommand::Export { file } => {
            let summary = territoires_sync::export_roster(db, &file).await?;
            eprintln!(
                "Annuaire exporté dans {} : {} coordonnateurs, {} lignes.",
                file.display(),
                summary.coordinators,
                summary.rows
            );
        }
    }
    Ok(())
}

/// Starts the nightly import; its outcome is logged (and in the metrics, read from the
/// recorded sync runs; failed notifications counted by channel).
pub async fn start_schedule(db: DatabaseConnection, config: SyncConfig) -> Result<SchedulerHandle> {
    let hook = Arc::new(|outcome: &NightlyOutcome| {
        let status = outcome
            .drop
            .as_ref()
            .and_then(|drop| drop.as_ref().ok())
            .and_then(|drop| drop.processed.as_ref())
            .map(|file| file.report.status);
        let notifications = outcome.notifications;
        crate::metrics::global().record_notifications(&notifications);
        match &outcome.drop {
            Some(Err(error)) => tracing::error!(%error, "nightly roster import failed"),
            _ => tracing::info!(
                ?status,
                purged_files = outcome.purged_files,
                purged_kept_files = outcome.purged_kept_files,
                erased_contacts = outcome.erased_contacts,
                mail = ?notifications.mail,
                webhook = ?notifications.webhook,
                "nightly roster job done"
            ),
        }
    });
    let handle = territoires_sync::start_scheduler(db, config, Some(hook)).await?;
    if let Some(next) = handle.next_run() {
        tracing::info!(%next, "nightly roster import scheduled");
    }
    Ok(handle)
}
