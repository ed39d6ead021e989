//! Roster sync: the import of the HR spreadsheet of coordinators.
//!
//! Reads the file (.xlsx, .xls, .ods or .csv), finds the header row and the columns by
//! name, checks every row, compares it with the stored roster and, if the whole file is
//! valid, applies the changes in one transaction — or rejects it, changing nothing.
//! Every attempt is recorded as a sync run with its plan and problems.
//!
//! Entry points, all plain functions:
//! - [`import_roster`]: import one file (command line, upload, tests);
//! - [`process_drop_folder`] / [`run_nightly`]: the drop folder and the nightly job;
//! - [`start_scheduler`]: the schedule inside `serve`, correct across daylight saving;
//! - [`write_template`] / [`export_roster`]: the spreadsheets administrators start from;
//! - [`annotate`]: the administrator's file with a note on each problem cell;
//! - [`keep_file`] / [`kept_file`]: every file read, kept by its SHA-256 (see `kept`);
//! - [`purge_expired_contacts`] / [`purge_archive`] / [`purge_kept_files`]: retention of
//!   personal data.
//!
//! Outcomes that concern the file (applied, unchanged, skipped, rejected, refused) are
//! [`SyncReport`]s; only what prevented an import from running is a [`SyncError`].

mod annotate;
mod apply;
mod config;
mod drop_folder;
mod error;
mod field;
pub mod fuzzing;
mod https;
mod identity;
mod import;
mod kept;
mod lock;
mod notify;
mod pg;
mod plan;
mod problem;
mod read;
mod reference;
mod report;
mod retention;
mod running;
mod schedule;
mod validate;
mod workbook;

pub use annotate::{ANNOTATED_SUFFIX, annotate};
pub use apply::AUDIT_ACTOR;
pub use config::*;
pub use drop_folder::{
    ARCHIVE_DIR, DropOutcome, NightlyOutcome, ProcessedFile, REJECTED_DIR, is_ignored_name,
    process_drop_folder, purge_archive, run_nightly, waiting_files,
};
pub use error::{SyncError, io_error_in_french};
pub use field::{CoordinatorField, HEADERS};
pub use https::https_client;
pub use identity::{IdentityChange, IdentityChangeKind};
pub use import::{
    ImportOptions, Phase, Progress, ProgressHook, RosterSource, SyncReport, Timings, import_roster,
    sha256_hex,
};
pub use kept::{is_kept, keep_file, kept_file, purge_kept_files};
pub use notify::{Delivery, Mailer, NOTIFIED_PROBLEMS, NotificationOutcome, RunFacts, RunNotice};
pub use plan::{
    ChangeKind, CommuneMove, CompactPlan, Counts, FieldCount, FieldDiff, PersonChange, Plan,
    StoredPlan, VacatedTerritory,
};
pub use problem::{MAX_KEPT_PROBLEMS, Problem, ProblemCode};
pub use report::{local_time, local_time_in};
pub use retention::purge_expired_contacts;
pub use running::{
    ABANDONED_AFTER, ABANDONED_MESSAGE, HEARTBEAT, PROGRESS_INTERVAL, fail_abandoned_runs,
};
pub use schedule::{
    Alert, CronSchedule, NightlyHook, SchedulerHandle, next_run, send_test_alert, start_scheduler,
};
pub use workbook::{ExportSummary, export_bytes, export_roster, template_bytes, write_template};

/// Re-exported so callers need not depend on `entity` for the outcome types.
pub use entity::{ProblemSeverity, SyncPhase, SyncStatus, SyncTrigger};
