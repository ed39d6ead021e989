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

/// Imports `file`; prints the report (French table, or JSON); the exit code says how it
/// went (0 done, 1 rejected or refused).
pub async fn sync(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    file: &Path,
    dry_run: bool,
    force: bool,
    json: bool,
) -> Result<ExitCode> {
    let mut options = settings
        .to_config()
        .import_options(SyncTrigger::Cli, "cli")
        .dry_run(dry_run)
        .force(force);
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
    let report = import_roster(db, RosterSource::path(file), &options).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report?;
    if json {
        println!("{}", report.to_json());
    } else {
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
/// recorded sync runs).
pub async fn start_schedule(db: DatabaseConnection, config: SyncConfig) -> Result<SchedulerHandle> {
    let hook = Arc::new(|outcome: &NightlyOutcome| {
        let status = outcome
            .drop
            .as_ref()
            .and_then(|drop| drop.as_ref().ok())
            .and_then(|drop| drop.processed.as_ref())
            .map(|file| file.report.status);
        match &outcome.drop {
            Some(Err(error)) => tracing::error!(%error, "nightly roster import failed"),
            _ => tracing::info!(
                ?status,
                purged_files = outcome.purged_files,
                erased_contacts = outcome.erased_contacts,
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
