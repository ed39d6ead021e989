//! The crate's error type.
//!
//! A rejected or refused file is *not* an error: [`import_roster`](crate::import_roster)
//! returns it as a [`SyncReport`](crate::SyncReport). Errors are what prevented an
//! import from running at all: a missing file, the database, another import holding the
//! lock. [`SyncError::exit_code`] maps them to the command line's exit codes.

use std::path::PathBuf;

use sea_orm::DbErr;
use thiserror::Error;

/// Why the roster sync could not do its work.
#[derive(Debug, Error)]
pub enum SyncError {
    /// The file to import does not exist (a usage error on the command line).
    #[error("file not found: {}", .0.display())]
    FileNotFound(PathBuf),
    /// The path exists but cannot be imported (a folder, a device…).
    #[error("not a regular file: {}", .0.display())]
    NotAFile(PathBuf),
    /// Reading or writing a file or folder failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A database statement failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Another import was running: this attempt was recorded as BUSY and did nothing.
    #[error("another roster import is running (recorded as sync run {run_id:?})")]
    Busy {
        /// The BUSY sync run, if it could be recorded.
        run_id: Option<i32>,
    },
    /// The import failed while running and was rolled back; recorded as FAILED.
    #[error("the roster import failed (recorded as sync run {run_id:?}): {source}")]
    Failed {
        /// The FAILED sync run, if it could be recorded.
        run_id: Option<i32>,
        /// What failed.
        #[source]
        source: Box<SyncError>,
    },
    /// A setting is invalid (cron expression, time zone, webhook URL).
    #[error("invalid setting {setting}: {reason}")]
    Config {
        /// The setting, named as its environment variable.
        setting: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// Writing a spreadsheet (template or export) failed.
    #[error("cannot write the spreadsheet: {0}")]
    Spreadsheet(#[from] rust_xlsxwriter::XlsxError),
    /// The scheduler could not be started or stopped.
    #[error("scheduler error: {0}")]
    Scheduler(String),
}

impl SyncError {
    /// The command line's exit code for this error: 2 for usage errors (missing file,
    /// invalid setting), 3 for runtime failures (database, I/O, another import running).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::FileNotFound(_) | Self::NotAFile(_) | Self::Config { .. } => 2,
            Self::Failed { source, .. } => match source.exit_code() {
                2 => 2,
                _ => 3,
            },
            _ => 3,
        }
    }

    /// The sync run recorded for this failure, if any.
    pub fn run_id(&self) -> Option<i32> {
        match self {
            Self::Busy { run_id } | Self::Failed { run_id, .. } => *run_id,
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
