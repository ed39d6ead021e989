//! The nightly schedule inside `serve`, correct across daylight-saving changes.
//!
//! tokio-cron-scheduler 0.15 stores a time zone's UTC offset once, when a job is created,
//! so a Europe/Paris job drifts by an hour after each change (upstream #87, #107). Here
//! the next run is computed by a pure function — the cron expression evaluated on local
//! wall-clock time, mapped to an instant with chrono-tz — and armed as a one-shot job,
//! re-armed after each run.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::SyncConfig;
use crate::drop_folder::{NightlyOutcome, run_nightly};
use crate::error::SyncError;
use crate::notify::{Mailer, Notifier, RunFacts, RunNotice, vacant_territories};

/// A cron expression in a time zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    timezone: Tz,
}

impl CronSchedule {
    /// Parses a 6-field cron expression (seconds first, as tokio-cron-scheduler reads it)
    /// and an IANA time zone name.
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, SyncError> {
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expression.trim())
            .map_err(|e| SyncError::Config {
                setting: "SYNC_CRON",
                reason: format!(
                    "{expression:?} is not a 6-field cron expression (seconds first): {e}"
                ),
            })?;
        let timezone: Tz = timezone.trim().parse().map_err(|_| SyncError::Config {
            setting: "SYNC_TIMEZONE",
            reason: format!("{timezone:?} is not an IANA time zone such as Europe/Paris"),
        })?;
        Ok(Self { cron, timezone })
    }

    /// The time zone.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The first run strictly after `after`. See [`next_run`].
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_run(&self.cron, self.timezone, after)
    }
}

/// The first instant strictly after `after` at which `cron`, read on the wall clock of
/// `timezone`, fires.
///
/// Daylight saving: a wall-clock time skipped in spring (02:30 on the last Sunday of
/// March in Paris) runs when the clocks jump (03:00 CEST); a time repeated in autumn runs
/// once, at its first occurrence (or the second, if `after` lies between them).
pub fn next_run(cron: &Cron, timezone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Cron is evaluated on naive local times, carried in a `DateTime<Utc>` only because
    // croner wants a zoned value: UTC has no transitions, so nothing is shifted.
    let mut local = after.with_timezone(&timezone).naive_local();
    // Each step moves to a later wall-clock match; a few suffice, the bound only guards
    // against a pathological expression.
    for _ in 0..10_000 {
        let next = cron
            .find_next_occurrence(&Utc.from_utc_datetime(&local), false)
            .ok()?
            .naive_utc();
        let instants: Vec<DateTime<Utc>> = match timezone.from_local_datetime(&next) {
            LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
            LocalResult::Ambiguous(first, second) => {
                vec![first.with_timezone(&Utc), second.with_timezone(&Utc)]
            }
            LocalResult::None => gap_end(timezone, next).into_iter().collect(),
        };
        if let Some(found) = instants.into_iter().find(|t| *t > after) {
            return Some(found);
        }
        local = next;
    }
    None
}

/// The first instant after a wall-clock time that does not exist (spring-forward gap):
/// the moment the clocks jump.
fn gap_end(timezone: Tz, missing: NaiveDateTime) -> Option<DateTime<Utc>> {
    let start = missing.with_second(0)?.with_nanosecond(0)?;
    (1..=24 * 60)
        .find_map(|minutes| {
            timezone
                .from_local_datetime(&(start + chrono::Duration::minutes(minutes)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// Called after each scheduled run (e.g. to update metrics).
pub type NightlyHook = Arc<dyn Fn(&NightlyOutcome) + Send + Sync>;

struct State {
    db: DatabaseConnection,
    config: SyncConfig,
    schedule: CronSchedule,
    stopping: AtomicBool,
    /// Held while a run is in progress, so stopping can wait for it.
    running: tokio::sync::Mutex<()>,
    notifier: Notifier,
    timezone: Tz,
    hook: Option<NightlyHook>,
}

/// The running schedule; [`SchedulerHandle::stop`] ends it.
pub struct SchedulerHandle {
    scheduler: JobScheduler,
    state: Arc<State>,
}

impl std::fmt::Debug for SchedulerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerHandle").finish_non_exhaustive()
    }
}

impl SchedulerHandle {
    /// The next scheduled run.
    pub fn next_run(&self) -> Option<DateTime<Utc>> {
        self.state.schedule.next_after(Utc::now())
    }

    /// Stops the schedule, waiting (up to `grace`) for a run in progress to finish; an
    /// import cut short is rolled back by the database.
    pub async fn stop(mut self, grace: Duration) -> Result<(), SyncError> {
        self.state.stopping.store(true, Ordering::SeqCst);
        let _ = tokio::time::timeout(grace, self.state.running.lock()).await;
        self.scheduler
            .shutdown()
            .await
            .map_err(|e| SyncError::Scheduler(e.to_string()))
    }
}

/// Starts the nightly job: at each `config.cron` time in `config.timezone`, process the
/// drop folder, purge old archived files and expired contacts, then notify by e-mail and
/// webhook as `config.notify` says. Every setting (cron, time zone, webhook, mail relay,
/// recipients, CA file) is checked first, with a clear error. Needs a multi-thread tokio
/// runtime.
pub async fn start_scheduler(
    db: DatabaseConnection,
    config: SyncConfig,
    hook: Option<NightlyHook>,
) -> Result<SchedulerHandle, SyncError> {
    let schedule = CronSchedule::parse(&config.cron, &config.timezone)?;
    // Every notification setting is checked now: a mistake stops the start, it does not
    // lose the first night's notification.
    let notifier = Notifier {
        mailer: Mailer::from_config(&config)?,
        webhook: match &config.alert_webhook {
            Some(url) => Some((webhook_client(url)?, url.clone())),
            None => None,
        },
    };
    let timezone = schedule.timezone();
    let scheduler = JobScheduler::new()
        .await
        .map_err(|e| SyncError::Scheduler(e.to_string()))?;
    let state = Arc::new(State {
        db,
        config,
        schedule,
        stopping: AtomicBool::new(false),
        running: tokio::sync::Mutex::new(()),
        notifier,
        timezone,
        hook,
    });
    arm(scheduler.clone(), state.clone(), Utc::now())
        .await
        .map_err(SyncError::Scheduler)?;
    scheduler
        .start()
        .await
        .map_err(|e| SyncError::Scheduler(e.to_string()))?;
    tracing::info!(
        cron = %state.config.cron,
        timezone = %state.config.timezone,
        next = ?state.schedule.next_after(Utc::now()),
        "roster sync scheduled"
    );
    Ok(SchedulerHandle { scheduler, state })
}

type Armed = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// Adds a one-shot job for the first run after `after`; the job re-arms itself.
fn arm(scheduler: JobScheduler, state: Arc<State>, after: DateTime<Utc>) -> Armed {
    Box::pin(async move {
        if state.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(at) = state.schedule.next_after(after) else {
            tracing::warn!(cron = %state.config.cron, "the roster sync schedule never fires again");
            return Ok(());
        };
        let delay = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        let job_state = state.clone();
        let job = Job::new_one_shot_async(delay, move |_id, scheduler| {
            let state = job_state.clone();
            Box::pin(async move {
                // The scheduler counts whole seconds: wait for the exact instant, so the
                // next computation (strictly after it) cannot find this run again.
                if let Ok(rest) = (at - Utc::now()).to_std() {
                    tokio::time::sleep(rest).await;
                }
                if !state.stopping.load(Ordering::SeqCst) {
                    let _running = state.running.lock().await;
                    run_once(&state).await;
                }
                let after = at.max(Utc::now());
                if let Err(error) = arm(scheduler, state, after).await {
                    tracing::error!(%error, "cannot schedule the next roster sync");
                }
            })
        })
        .map_err(|e| e.to_string())?;
        scheduler.add(job).await.map_err(|e| e.to_string())?;
        tracing::debug!(%at, "next roster sync armed");
        Ok(())
    })
}

async fn run_once(state: &State) {
    let (mut outcome, failure) = run_nightly(&state.db, &state.config).await;
    let busy = matches!(failure, Some(SyncError::Busy { .. }));
    let vacant = if busy {
        Vec::new()
    } else {
        vacant_territories(&state.db).await
    };
    let notice = RunNotice::from_run(
        &outcome,
        failure.as_ref(),
        state.config.public_url.as_deref(),
        vacant,
    );
    outcome.notifications = state
        .notifier
        .notify(notice.as_ref(), state.config.notify, state.timezone)
        .await;
    if let Some(hook) = &state.hook {
        hook(&outcome);
    }
}

/// The JSON posted to `SYNC_ALERT_WEBHOOK` after a scheduled run (as `SYNC_NOTIFY`
/// says). `text` makes it readable as is by Slack, Mattermost or Teams incoming
/// webhooks; the fields after `text` carry the same summary as the e-mail.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Always `roster_sync`.
    pub event: &'static str,
    /// One-line French message for chat tools.
    pub text: String,
    /// The run's facts, as in the e-mail (status, runId, fileName, summary, errors,
    /// warnings, counts, problems, moreProblems, vacantTerritories, wouldVacate, setAside,
    /// consoleUrl).
    #[serde(flatten)]
    pub facts: RunFacts,
}

impl From<&RunNotice> for Alert {
    fn from(notice: &RunNotice) -> Self {
        Self {
            event: "roster_sync",
            text: notice.text(),
            facts: notice.facts.clone(),
        }
    }
}

/// An HTTP client for the webhook, trusting Mozilla's root certificates.
fn webhook_client(url: &str) -> Result<reqwest::Client, SyncError> {
    let invalid = |reason: String| SyncError::Config {
        setting: "SYNC_ALERT_WEBHOOK",
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            "the URL must start with http:// or https://".into(),
        ));
    }
    crate::https::https_client("SYNC_ALERT_WEBHOOK", Vec::new())
}

/// Posts `alert`; whether the webhook accepted it. A failure is logged, never raised.
pub(crate) async fn send_alert(client: &reqwest::Client, url: &str, alert: &Alert) -> bool {
    match client.post(url).json(alert).send().await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(status = ?alert.facts.status, "roster sync alert sent");
            true
        }
        Ok(response) => {
            tracing::warn!(http_status = %response.status(), "the alert webhook refused the alert");
            false
        }
        // The URL may hold a secret token: log the error kind, not the URL.
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "cannot reach the alert webhook");
            false
        }
    }
}

/// Sends one alert now (for the API's "test the webhook" needs and for tests).
pub async fn send_test_alert(url: &str, alert: &Alert) -> Result<(), SyncError> {
    let client = webhook_client(url)?;
    client
        .post(url)
        .json(alert)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map(|_| ())
        .map_err(|e| SyncError::io("alert webhook", std::io::Error::other(e.without_url())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn schedule(cron: &str) -> CronSchedule {
        CronSchedule::parse(cron, "Europe/Paris").unwrap()
    }

    #[test]
    fn the_default_schedule_follows_paris_time_across_march_change() {
        let nightly = schedule(crate::config::DEFAULT_CRON);
        // Saturday 28 March 2026, winter time (UTC+1): 03:30 local is 02:30 UTC.
        assert_eq!(
            nightly.next_after(utc("2026-03-28T00:00:00Z")),
            Some(utc("2026-03-28T02:30:00Z"))
        );
        // Sunday 29 March: clocks jump 02:00 → 03:00; 03:30 CEST is 01:30 UTC.
        assert_eq!(
            nightly.next_after(utc("2026-03-28T02:30:00Z")),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            nightly.next_after(utc("2026-03-29T01:30:00Z")),
            Some(utc("2026-03-30T01:30:00Z"))
        );
    }

    #[test]
    fn the_default_schedule_follows_paris_time_across_october_change() {
        let nightly = schedule(crate::config::DEFAULT_CRON);
        // Saturday 24 October 2026, summer time: 03:30 CEST is 01:30 UTC.
        assert_eq!(
            nightly.next_after(utc("2026-10-24T00:00:00Z")),
            Some(utc("2026-10-24T01:30:00Z"))
        );
        // Sunday 25 October: clocks go back 03:00 → 02:00; 03:30 CET is 02:30 UTC.
        assert_eq!(
            nightly.next_after(utc("2026-10-24T01:30:00Z")),
            Some(utc("2026-10-25T02:30:00Z"))
        );
        assert_eq!(
            nightly.next_after(utc("2026-10-25T02:30:00Z")),
            Some(utc("2026-10-26T02:30:00Z"))
        );
    }

    #[test]
    fn a_time_skipped_in_spring_runs_when_the_clocks_jump() {
        let at_0230 = schedule("0 30 2 * * *");
        // 02:30 does not exist on 29 March 2026: the run happens at 03:00 CEST (01:00 UTC).
        assert_eq!(
            at_0230.next_after(utc("2026-03-28T12:00:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            at_0230.next_after(utc("2026-03-29T01:00:00Z")),
            Some(utc("2026-03-30T00:30:00Z"))
        );
    }

    #[test]
    fn a_time_repeated_in_autumn_runs_once() {
        let at_0230 = schedule("0 30 2 * * *");
        // 02:30 happens twice on 25 October 2026: 00:30 UTC (CEST) and 01:30 UTC (CET).
        let first = at_0230.next_after(utc("2026-10-24T12:00:00Z"));
        assert_eq!(first, Some(utc("2026-10-25T00:30:00Z")));
        assert_eq!(
            at_0230.next_after(utc("2026-10-25T00:30:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        // Started between the two: the second one is still ahead.
        assert_eq!(
            at_0230.next_after(utc("2026-10-25T01:10:00Z")),
            Some(utc("2026-10-25T01:30:00Z"))
        );
    }

    #[test]
    fn the_upstream_drift_does_not_happen() {
        // Armed in winter for a summer date, the run stays at 03:30 local.
        let nightly = schedule(crate::config::DEFAULT_CRON);
        let july = nightly.next_after(utc("2026-07-01T00:00:00Z")).unwrap();
        assert_eq!(
            july.with_timezone(&chrono_tz::Europe::Paris)
                .format("%H:%M")
                .to_string(),
            "03:30"
        );
        let january = nightly.next_after(utc("2027-01-10T00:00:00Z")).unwrap();
        assert_eq!(
            january
                .with_timezone(&chrono_tz::Europe::Paris)
                .format("%H:%M")
                .to_string(),
            "03:30"
        );
    }

    #[test]
    fn invalid_settings_name_their_variable() {
        let error = CronSchedule::parse("30 3 * * *", "Europe/Paris").unwrap_err();
        assert!(
            matches!(
                error,
                SyncError::Config {
                    setting: "SYNC_CRON",
                    ..
                }
            ),
            "{error}"
        );
        let error = CronSchedule::parse("0 30 3 * * *", "Paris").unwrap_err();
        assert!(
            matches!(
                error,
                SyncError::Config {
                    setting: "SYNC_TIMEZONE",
                    ..
                }
            ),
            "{error}"
        );
        assert!(webhook_client("ftp://x").is_err());
        assert!(webhook_client("not a url").is_err());
        assert!(webhook_client("https://hooks.example.org/abc").is_ok());
    }
}
