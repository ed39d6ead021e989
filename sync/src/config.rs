//! The roster sync settings, with their documented defaults.
//!
//! A plain struct: the binary fills it from the environment (clap `env`), tests build it
//! by hand. Nothing in this crate reads environment variables.

use std::path::PathBuf;
use std::time::Duration;

/// Default folder of the dropped roster files (relative to the working directory).
pub const DEFAULT_DROP_DIR: &str = "data/inbox";
/// Whether a process runs the nightly import by default.
pub const DEFAULT_SCHEDULED: bool = true;
/// Default cron expression: every day at 03:30 local time (6 fields, seconds first),
/// outside the daylight-saving gap (02:00–03:00 in March) and overlap (02:00–03:00 in
/// October) of Europe/Paris.
pub const DEFAULT_CRON: &str = "0 30 3 * * *";
/// Default time zone of the schedule.
pub const DEFAULT_TIMEZONE: &str = "Europe/Paris";
/// Default maximum file size: 10 MiB, far above a roster of thousands of people.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Default maximum number of data rows.
pub const DEFAULT_MAX_ROWS: usize = 50_000;
/// Default share of active coordinators a file may deactivate without `force`.
pub const DEFAULT_MAX_DEACTIVATION_RATIO: f64 = 0.3;
/// Default number of days a deactivated coordinator's phone and e-mail are kept.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;
/// Default number of days archived and rejected files are kept.
pub const DEFAULT_ARCHIVE_DAYS: u32 = 90;
/// Default time a dropped file must stay unchanged before it is taken.
pub const DEFAULT_SETTLE_TIME: Duration = Duration::from_secs(10);
/// Default age after which an import lock row (SQLite) is considered abandoned.
pub const DEFAULT_LOCK_STALE_AFTER: Duration = Duration::from_secs(30 * 60);

/// Settings of the roster sync.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    /// `SYNC_DROP_DIR`: the folder administrators drop roster files into; `archive/` and
    /// `rejected/` are created inside it. Default [`DEFAULT_DROP_DIR`].
    pub drop_dir: PathBuf,
    /// `SYNC_CRON`: when the nightly job runs, 6 fields with seconds first, interpreted in
    /// [`timezone`](Self::timezone). Default [`DEFAULT_CRON`].
    pub cron: String,
    /// `SYNC_TIMEZONE`: an IANA time zone name. Default [`DEFAULT_TIMEZONE`].
    pub timezone: String,
    /// `SYNC_SCHEDULE`: whether this process runs the nightly import (`false` on all but
    /// one replica, or where imports are only started by hand). Default
    /// [`DEFAULT_SCHEDULED`].
    pub scheduled: bool,
    /// `SYNC_MAX_DEACTIVATION_RATIO`: a file that would deactivate more than this share of
    /// the active coordinators is refused unless forced. Default
    /// [`DEFAULT_MAX_DEACTIVATION_RATIO`].
    pub max_deactivation_ratio: f64,
    /// `ROSTER_RETENTION_DAYS`: a deactivated coordinator's phone and e-mail are erased
    /// this many days after deactivation. Default [`DEFAULT_RETENTION_DAYS`].
    pub retention_days: u32,
    /// `SYNC_ARCHIVE_DAYS`: archived and rejected files (and their reports) are deleted
    /// after this many days. Default [`DEFAULT_ARCHIVE_DAYS`].
    pub archive_days: u32,
    /// `SYNC_ALERT_WEBHOOK`: an `http(s)://` URL that receives a JSON POST when a
    /// scheduled import is rejected, refused or fails. Default none.
    pub alert_webhook: Option<String>,
    /// `SYNC_MAX_FILE_SIZE`: larger files are rejected unread. Default [`DEFAULT_MAX_FILE_SIZE`].
    pub max_file_size: u64,
    /// Larger files (in data rows) are rejected. Default [`DEFAULT_MAX_ROWS`].
    pub max_rows: usize,
    /// A dropped file is taken only once unchanged for this long, so a file still being
    /// copied is never read half-written. Default [`DEFAULT_SETTLE_TIME`]; tests use 0.
    pub settle_time: Duration,
    /// On SQLite (no advisory locks), an import lock older than this is taken to belong
    /// to a crashed process and is taken over. Default [`DEFAULT_LOCK_STALE_AFTER`].
    pub lock_stale_after: Duration,
    /// `SYNC_NOTIFY`: after which scheduled runs the e-mail and the webhook are sent.
    /// Default [`NotifyWhen::Problems`].
    pub notify: NotifyWhen,
    /// `SMTP_URL`: the mail relay, in lettre's syntax (`smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` for STARTTLS, `smtps://host:465`).
    /// Default none: no e-mail.
    pub smtp_url: Option<String>,
    /// `SYNC_NOTIFY_TO`: who receives the e-mail (comma-separated addresses).
    pub notify_to: Vec<String>,
    /// `SYNC_NOTIFY_FROM`: the sender address. Default `territoires@` the host of
    /// [`public_url`](Self::public_url), or `territoires@localhost`.
    pub notify_from: Option<String>,
    /// `SMTP_CA_FILE`: a PEM file of the certificate authority of an internal relay,
    /// trusted besides the usual public ones.
    pub smtp_ca_file: Option<PathBuf>,
    /// `PUBLIC_URL`: the address people reach the service at, for the console link of
    /// notifications (`{PUBLIC_URL}/admin/historique/{id}`). Default none: no link.
    pub public_url: Option<String>,
}

/// After which scheduled runs notifications (e-mail and webhook) are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NotifyWhen {
    /// After every scheduled run that processed a file, successful ones included.
    Always,
    /// Only when something needs the administrator: a file rejected, refused or set
    /// aside, or a technical failure.
    #[default]
    Problems,
}

impl NotifyWhen {
    /// The word `SYNC_NOTIFY` takes.
    pub fn code(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Problems => "problems",
        }
    }
}

impl std::fmt::Display for NotifyWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for NotifyWhen {
    type Err = crate::error::SyncError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let word = value.trim().to_ascii_lowercase();
        [Self::Always, Self::Problems]
            .into_iter()
            .find(|when| when.code() == word)
            .ok_or_else(|| crate::error::SyncError::Config {
                setting: "SYNC_NOTIFY",
                reason: format!("{value:?} is neither \"always\" nor \"problems\""),
            })
    }
}

impl SyncConfig {
    /// The time zone people read times in: [`timezone`](Self::timezone), or
    /// Europe/Paris if it does not parse (the scheduler refuses such a setting at start,
    /// so this only matters where no schedule was built).
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.timezone
            .trim()
            .parse()
            .unwrap_or(chrono_tz::Europe::Paris)
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            drop_dir: PathBuf::from(DEFAULT_DROP_DIR),
            cron: DEFAULT_CRON.to_owned(),
            timezone: DEFAULT_TIMEZONE.to_owned(),
            scheduled: DEFAULT_SCHEDULED,
            max_deactivation_ratio: DEFAULT_MAX_DEACTIVATION_RATIO,
            retention_days: DEFAULT_RETENTION_DAYS,
            archive_days: DEFAULT_ARCHIVE_DAYS,
            alert_webhook: None,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_rows: DEFAULT_MAX_ROWS,
            settle_time: DEFAULT_SETTLE_TIME,
            lock_stale_after: DEFAULT_LOCK_STALE_AFTER,
            notify: NotifyWhen::default(),
            smtp_url: None,
            notify_to: Vec::new(),
            notify_from: None,
            smtp_ca_file: None,
            public_url: None,
        }
    }
}
