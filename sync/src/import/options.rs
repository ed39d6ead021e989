//! How to run an import: the file to read, the options and the progress callback.

use std::path::PathBuf;
use std::sync::Arc;

use entity::SyncTrigger;
use entity::audit_log::Person;
use serde::Serialize;

use crate::config::SyncConfig;

/// Which part of the import is running, for progress bars (stored with a running
/// run, see [`crate::running`]).
pub use entity::SyncPhase as Phase;

/// A progress report: `done` out of `total` units (rows or people) of `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Units done.
    pub done: u64,
    /// Units in the phase.
    pub total: u64,
}

/// Called as the import progresses (from the import's task; keep it quick).
pub type ProgressHook = Arc<dyn Fn(Progress) + Send + Sync>;

/// The file to import.
#[derive(Debug, Clone)]
pub enum RosterSource {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes already in memory (an upload), with the file's name as given.
    Bytes {
        /// The name, for the report and to word format errors.
        file_name: String,
        /// The content.
        bytes: Vec<u8>,
    },
}

impl RosterSource {
    /// A file on disk.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::Path(path.into())
    }

    /// An uploaded file.
    pub fn bytes(file_name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self::Bytes {
            file_name: file_name.into(),
            bytes,
        }
    }
}

/// How to run one import.
#[derive(Clone)]
pub struct ImportOptions {
    /// What started it.
    pub trigger: SyncTrigger,
    /// Who started it: a token name, a person's name, `cli` or `schedule`.
    pub actor: String,
    /// The person who started it, with an identity provider's access token.
    pub person: Option<Person>,
    /// Plan and record, change nothing.
    pub dry_run: bool,
    /// Import even past the deactivation guard or when the file was already imported.
    pub force: bool,
    /// Larger files are rejected unread.
    pub max_file_size: u64,
    /// Files with more data rows are rejected.
    pub max_rows: usize,
    /// Share of active coordinators a file may deactivate without `force`.
    pub max_deactivation_ratio: f64,
    /// SQLite lock rows older than this are taken over.
    pub lock_stale_after: std::time::Duration,
    /// Progress callback.
    pub progress: Option<ProgressHook>,
    /// Go on only if the data version is still this one once the import lock is held.
    pub expected_data_version: Option<i64>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("trigger", &self.trigger)
            .field("actor", &self.actor)
            .field("dry_run", &self.dry_run)
            .field("force", &self.force)
            .field("max_file_size", &self.max_file_size)
            .field("max_rows", &self.max_rows)
            .field("max_deactivation_ratio", &self.max_deactivation_ratio)
            .field("expected_data_version", &self.expected_data_version)
            .finish_non_exhaustive()
    }
}

impl ImportOptions {
    /// Options with the default limits of [`SyncConfig`].
    pub fn new(trigger: SyncTrigger, actor: impl Into<String>) -> Self {
        SyncConfig::default().import_options(trigger, actor)
    }

    /// The same options as a dry run (or not).
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// The same options, started by `person` (recorded on the run).
    pub fn person(mut self, person: Option<Person>) -> Self {
        self.person = person;
        self
    }

    /// The same options, forced (or not).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The same options, applying a plan computed at data version `version` (the
    /// console's "Appliquer"): the import checks it holding the import lock, so of two
    /// applies of one plan only the first runs; the other ends in [`crate::SyncError::Stale`]
    /// with nothing run or recorded. `None`: no check.
    pub fn expecting_data_version(mut self, version: Option<i64>) -> Self {
        self.expected_data_version = version;
        self
    }

    /// The same options with a progress callback.
    pub fn with_progress(mut self, progress: ProgressHook) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(crate) fn report_progress(&self, phase: Phase, done: u64, total: u64) {
        if let Some(progress) = &self.progress {
            progress(Progress { phase, done, total });
        }
    }
}

impl SyncConfig {
    /// Import options carrying this configuration's limits.
    pub fn import_options(&self, trigger: SyncTrigger, actor: impl Into<String>) -> ImportOptions {
        ImportOptions {
            trigger,
            actor: actor.into(),
            person: None,
            dry_run: false,
            force: false,
            max_file_size: self.max_file_size,
            max_rows: self.max_rows,
            max_deactivation_ratio: self.max_deactivation_ratio,
            lock_stale_after: self.lock_stale_after,
            progress: None,
            expected_data_version: None,
        }
    }
}
