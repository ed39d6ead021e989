//! The outcome of an import: the report recorded as a sync run and shown to people.

use chrono::{DateTime, Utc};
use entity::audit_log::Person;
use entity::{SyncStatus, SyncTrigger};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::plan::{Counts, Plan};
use crate::problem::Problem;

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
    /// How the import ended: applied, unchanged, skipped, rejected, refused or busy.
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
    /// People added, updated, moved, deactivated, reactivated and unchanged.
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
    /// When the import started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
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
