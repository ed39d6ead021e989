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
    /// The data changed since the plan this import was to apply was computed (see
    /// [`ImportOptions::expecting_data_version`](crate::ImportOptions::expecting_data_version)):
    /// nothing was run or recorded.
    #[error(
        "the data changed since the plan was computed (version {expected}, now {current}): nothing was applied"
    )]
    Stale {
        /// The data version the plan was computed against.
        expected: i64,
        /// The data version found under the import lock.
        current: i64,
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

    /// The message for an administrator (command line, console), in French; `Display`
    /// stays English for the logs.
    pub fn in_french(&self) -> String {
        match self {
            Self::FileNotFound(path) => format!("fichier introuvable : {}", path.display()),
            Self::NotAFile(path) => format!(
                "{} n'est pas un fichier (un dossier ou un périphérique ?)",
                path.display()
            ),
            Self::Io { context, source } => format!("{context} : {}", io_error_in_french(source)),
            Self::Database(error) => format!("erreur de la base de données : {error}"),
            Self::Busy { run_id } => format!(
                "un autre import de la liste est en cours ; cette tentative n'a rien changé{}",
                recorded_as(*run_id)
            ),
            Self::Stale { .. } => "les données ont changé depuis le calcul du plan : rien n'a \
                                   été appliqué ; calculez le plan à nouveau"
                .to_owned(),
            Self::Failed { run_id, source } => format!(
                "l'import de la liste a échoué et a été annulé{} : {}",
                recorded_as(*run_id),
                source.in_french()
            ),
            Self::Config { setting, reason } => format!("réglage {setting} invalide : {reason}"),
            Self::Spreadsheet(error) => format!("impossible d'écrire le classeur : {error}"),
            Self::Scheduler(detail) => format!("erreur de la planification : {detail}"),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// " (exécution n° 12)" when the failed attempt was recorded.
fn recorded_as(run_id: Option<i32>) -> String {
    run_id.map_or_else(String::new, |id| format!(" (exécution n° {id})"))
}

/// What went wrong with a file, in French: the operating system's own text is English.
pub fn io_error_in_french(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let what = match error.kind() {
        ErrorKind::NotFound => "introuvable",
        ErrorKind::PermissionDenied => "permission refusée",
        ErrorKind::AlreadyExists => "existe déjà",
        ErrorKind::AddrInUse => "adresse déjà utilisée par un autre programme",
        ErrorKind::AddrNotAvailable => "adresse indisponible sur cette machine",
        ErrorKind::IsADirectory => "c'est un dossier",
        ErrorKind::NotADirectory => "ce n'est pas un dossier",
        ErrorKind::StorageFull => "disque plein",
        ErrorKind::ReadOnlyFilesystem => "système de fichiers en lecture seule",
        ErrorKind::InvalidData => "contenu illisible",
        ErrorKind::TimedOut => "délai dépassé",
        ErrorKind::Interrupted => "interrompu",
        _ => return format!("erreur système ({error})"),
    };
    what.to_owned()
}
