//! Notifications after a scheduled run: an e-mail through the Département's SMTP relay
//! and the webhook's JSON, both built from one [`RunNotice`].
//!
//! After a night, administrators should not have to look for a report in a folder they
//! may not reach: the e-mail carries the summary, the first problems, the territories
//! without a coordinator, the console link, the report and the annotated file. Sending is
//! best effort: a relay or webhook that fails is logged and counted
//! ([`NotificationOutcome`]), never the import's failure.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{Labelled, SyncStatus, coordinator, coordinator_assignment, territory};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::config::{NotifyWhen, SyncConfig};
use crate::drop_folder::{NightlyOutcome, ProcessedFile};
use crate::error::SyncError;
use crate::import::severity_label;
use crate::plan::Counts;
use crate::problem::{Problem, thousands};
use crate::report::local_time_in;

/// Problems listed in a notification; the report and the annotated file hold the rest.
pub const NOTIFIED_PROBLEMS: usize = 50;
/// Largest attachment sent: a relay refuses large messages, and the console has the file.
const MAX_ATTACHMENT_BYTES: u64 = 8 * 1024 * 1024;
/// Largest `SMTP_CA_FILE` read: a few certificates.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;
/// Time given to the relay for a whole message.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What happened to one channel's notification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// The channel is not configured.
    #[default]
    NotConfigured,
    /// Configured, but this run needed no notification (`SYNC_NOTIFY`).
    NotNeeded,
    /// Sent and accepted.
    Sent,
    /// Sending failed (logged); the import is unaffected.
    Failed,
}

/// The notifications of one scheduled run, for the logs and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationOutcome {
    /// The e-mail.
    pub mail: Delivery,
    /// The webhook.
    pub webhook: Delivery,
}

/// What notifications tell of a scheduled run: the same facts in the e-mail, in the
/// webhook's JSON (flattened into its object) and in the logs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunFacts {
    /// The outcome: the imported file's status, or FAILED.
    pub status: SyncStatus,
    /// The sync run, if recorded.
    pub run_id: Option<i32>,
    /// The file.
    pub file_name: Option<String>,
    /// One-line French summary.
    pub summary: String,
    /// Blocking problems, kept or only counted.
    pub errors: u64,
    /// Warnings kept.
    pub warnings: u64,
    /// What the file changed (or would have).
    pub counts: Counts,
    /// The first problems, in file order (at most [`NOTIFIED_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Problems not listed here (in the report and the annotated file).
    pub more_problems: u64,
    /// Territories without an active coordinator once the run is over.
    pub vacant_territories: Vec<String>,
    /// Territories the file would have left without a coordinator (why it was refused).
    pub would_vacate: Vec<String>,
    /// Newer files set aside as unreadable or not a roster.
    pub set_aside: Vec<String>,
    /// The run in the console, when `PUBLIC_URL` is set.
    pub console_url: Option<String>,
}

/// A scheduled run as notifications tell it: its facts, and the files the e-mail
/// attaches.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunNotice {
    /// What the e-mail and the webhook tell.
    #[serde(flatten)]
    pub facts: RunFacts,
    /// When the run ended (UTC).
    pub finished_at: DateTime<Utc>,
    /// The text report beside the filed file.
    #[serde(skip)]
    pub report_text: Option<PathBuf>,
    /// The annotated copy beside the filed file.
    #[serde(skip)]
    pub annotated: Option<PathBuf>,
}

impl RunNotice {
    /// The notice of a scheduled run: the imported file's report, else that of a file set
    /// aside, else the failure. `None` when there is nothing to tell (no file waiting,
    /// or another import was running).
    pub fn from_run(
        outcome: &NightlyOutcome,
        failure: Option<&SyncError>,
        public_url: Option<&str>,
        vacant_territories: Vec<String>,
    ) -> Option<Self> {
        let console_url = |run_id: Option<i32>| {
            let base = public_url?.trim_end_matches('/');
            run_id.map(|id| format!("{base}/admin/historique/{id}"))
        };
        if let Some(error) = failure {
            if matches!(error, SyncError::Busy { .. }) {
                return None;
            }
            return Some(Self {
                facts: RunFacts {
                    status: SyncStatus::Failed,
                    run_id: error.run_id(),
                    file_name: None,
                    summary: "Échec technique de l'import planifié de la liste des \
                          coordonnateurs : rien n'a été modifié, le fichier reste dans le \
                          dossier de dépôt."
                        .to_owned(),
                    errors: 0,
                    warnings: 0,
                    counts: Counts::default(),
                    problems: Vec::new(),
                    more_problems: 0,
                    vacant_territories,
                    would_vacate: Vec::new(),
                    set_aside: Vec::new(),
                    console_url: console_url(error.run_id()),
                },
                finished_at: Utc::now(),
                report_text: None,
                annotated: None,
            });
        }
        let drop = outcome.drop.as_ref()?.as_ref().ok()?;
        let processed: &ProcessedFile = drop.processed.as_ref()?;
        let report = &processed.report;
        let listed = report.problems.len().min(NOTIFIED_PROBLEMS);
        let more = (report.problems.len() - listed) as u64 + report.omitted_problems;
        Some(Self {
            facts: RunFacts {
                status: report.status,
                run_id: report.run_id,
                file_name: report.file_name.clone(),
                summary: report.summary.clone(),
                errors: report.error_count(),
                warnings: report.warnings().count() as u64,
                counts: report.counts,
                problems: report.problems.iter().take(listed).cloned().collect(),
                more_problems: more,
                vacant_territories,
                would_vacate: report
                    .plan
                    .iter()
                    .flat_map(|p| p.vacated_territories.iter().map(|t| t.name.clone()))
                    .collect(),
                set_aside: drop
                    .rejected
                    .iter()
                    .filter_map(|f| f.report.file_name.clone())
                    .collect(),
                console_url: console_url(report.run_id),
            },
            finished_at: report.finished_at,
            report_text: processed.report_text.clone(),
            annotated: processed.annotated.clone(),
        })
    }

    /// Whether the administrator must act: the file was not taken, or one was set aside,
    /// or the run failed.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self.facts.status,
            SyncStatus::Rejected | SyncStatus::Refused | SyncStatus::Failed
        ) || !self.facts.set_aside.is_empty()
    }

    /// Whether `when` asks for this notice to be sent.
    pub fn wanted(&self, when: NotifyWhen) -> bool {
        when == NotifyWhen::Always || self.needs_attention()
    }

    /// The e-mail's subject, in French.
    pub fn subject(&self) -> String {
        let file = self
            .facts
            .file_name
            .as_deref()
            .map(|f| format!(" — {f}"))
            .unwrap_or_default();
        format!(
            "[Territoires] Import planifié des coordonnateurs : {}{file}",
            self.facts.status.label()
        )
    }

    /// The e-mail's body, in French, times in `timezone` with their offset.
    pub fn body(&self, timezone: Tz) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line("Bonjour,".to_owned());
        line(String::new());
        line(format!(
            "Voici le résultat de l'import planifié de la liste des coordonnateurs, terminé \
             le {}.",
            local_time_in(self.finished_at, timezone)
        ));
        line(String::new());
        if let Some(file) = &self.facts.file_name {
            line(format!("Fichier : {file}"));
        }
        line(format!(
            "Statut : {} ({})",
            self.facts.status.label(),
            self.facts.status.code()
        ));
        if let Some(id) = self.facts.run_id {
            line(format!("Import n° {id}"));
        }
        line(format!("Résumé : {}", self.facts.summary));
        let c = self.facts.counts;
        if self.facts.file_name.is_some() {
            line(String::new());
            line(format!(
                "Changements : {} ajout(s), {} modification(s), {} changement(s) de \
                 territoire, {} désactivation(s), {} réactivation(s), {} inchangé(s), {} \
                 commune(s) changeant de territoire.",
                c.added,
                c.updated,
                c.moved,
                c.deactivated,
                c.reactivated,
                c.unchanged,
                c.communes_moved
            ));
        }
        if !self.facts.would_vacate.is_empty() {
            line(format!(
                "Territoires que le fichier laisserait sans coordonnateur actif : {}",
                self.facts.would_vacate.join(", ")
            ));
        }
        line(format!(
            "Territoires sans coordonnateur actif aujourd'hui : {}",
            if self.facts.vacant_territories.is_empty() {
                "aucun".to_owned()
            } else {
                self.facts.vacant_territories.join(", ")
            }
        ));
        if !self.facts.set_aside.is_empty() {
            line(format!(
                "Fichiers plus récents écartés (illisibles ou sans liste de coordonnateurs, \
                 placés dans rejected/) : {}",
                self.facts.set_aside.join(", ")
            ));
        }
        if !self.facts.problems.is_empty() {
            line(String::new());
            let total = self.facts.problems.len() as u64 + self.facts.more_problems;
            if self.facts.more_problems > 0 {
                line(format!(
                    "Problèmes ({} erreur(s), {} au total ; les {} premiers) :",
                    thousands(self.facts.errors),
                    thousands(total),
                    self.facts.problems.len()
                ));
            } else {
                line(format!(
                    "Problèmes ({} erreur(s), {} au total) :",
                    thousands(self.facts.errors),
                    thousands(total)
                ));
            }
            for problem in &self.facts.problems {
                line(format!(
                    "  [{}] {} — {} : {}",
                    severity_label(problem.severity),
                    problem.location(),
                    problem.code,
                    problem.message
                ));
            }
        }
        line(String::new());
        if let Some(url) = &self.facts.console_url {
            line(format!("Détail dans la console d'administration : {url}"));
        }
        if self.report_text.is_some() || self.annotated.is_some() {
            line(
                "En pièces jointes : le rapport complet et votre fichier annoté (.annote.xlsx), \
                 où chaque cellule en cause est surlignée et porte une note avec le message."
                    .to_owned(),
            );
        }
        line(String::new());
        line("— Territoires (message automatique, ne pas répondre)".to_owned());
        out
    }

    /// One French line for chat tools (the webhook's `text`).
    pub fn text(&self) -> String {
        let mut text = format!(
            "Territoires — import de la liste des coordonnateurs : {}",
            self.facts.summary
        );
        if !self.facts.set_aside.is_empty() {
            text.push_str(&format!(
                " Fichiers plus récents écartés : {}.",
                self.facts.set_aside.join(", ")
            ));
        }
        if let Some(url) = &self.facts.console_url {
            text.push_str(&format!(" ({url})"));
        }
        text
    }
}

/// The territories without an active coordinator now, by number. A failure is logged and
/// gives an empty list: it must not stop the notification.
pub(crate) async fn vacant_territories(db: &DatabaseConnection) -> Vec<String> {
    let query = async {
        let active: HashSet<i32> = coordinator::Entity::find()
            .select_only()
            .column(coordinator::Column::Id)
            .filter(coordinator::Column::Active.eq(true))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let covered: HashSet<i32> = coordinator_assignment::Entity::find()
            .filter(coordinator_assignment::Column::EndedAt.is_null())
            .all(db)
            .await?
            .into_iter()
            .filter(|a| active.contains(&a.coordinator_id))
            .map(|a| a.territory_id)
            .collect();
        let mut territories = territory::Entity::find().all(db).await?;
        territories.sort_by_key(|t| t.number);
        Ok::<_, sea_orm::DbErr>(
            territories
                .into_iter()
                .filter(|t| !covered.contains(&t.id))
                .map(|t| t.name)
                .collect(),
        )
    };
    match query.await {
        Ok(vacant) => vacant,
        Err(error) => {
            tracing::warn!(%error, "cannot list the vacant territories for the notification");
            Vec::new()
        }
    }
}

/// The e-mail channel: the relay and the addresses, checked once at start.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the relay's password.
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

fn invalid(setting: &'static str, reason: impl Into<String>) -> SyncError {
    SyncError::Config {
        setting,
        reason: reason.into(),
    }
}

impl Mailer {
    /// The mailer of `config`, `None` when `SMTP_URL` is not set. Every setting is
    /// checked here, so a mistake stops the service at start with a clear message
    /// rather than losing the first night's mail.
    pub fn from_config(config: &SyncConfig) -> Result<Option<Self>, SyncError> {
        let url = config
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let Some(url) = url else {
            if !config.notify_to.is_empty() {
                return Err(invalid(
                    "SMTP_URL",
                    "SYNC_NOTIFY_TO is set but SMTP_URL is not: set the mail relay (smtp://host:25)",
                ));
            }
            return Ok(None);
        };
        // The URL may hold a password: never repeat it in an error.
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            invalid(
                "SMTP_URL",
                format!("not a URL ({e}); expected smtp://host:port or smtps://host:port"),
            )
        })?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("SMTP_URL", "the URL has no host"))?
            .to_owned();
        let tls_mode = parsed
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        enum Mode {
            Plain,
            Opportunistic,
            StartTls,
            Wrapper,
        }
        let mode = match (parsed.scheme(), tls_mode.as_deref()) {
            ("smtps", _) => Mode::Wrapper,
            ("smtp", None) => Mode::Plain,
            ("smtp", Some("required")) => Mode::StartTls,
            ("smtp", Some("opportunistic")) => Mode::Opportunistic,
            ("smtp", Some(other)) => {
                return Err(invalid(
                    "SMTP_URL",
                    format!(
                        "tls={other:?} is neither \"required\" (STARTTLS) nor \"opportunistic\""
                    ),
                ));
            }
            (scheme, _) => {
                return Err(invalid(
                    "SMTP_URL",
                    format!("the scheme {scheme:?} is neither smtp nor smtps"),
                ));
            }
        };
        if config.notify_to.is_empty() {
            return Err(invalid(
                "SYNC_NOTIFY_TO",
                "SMTP_URL is set but nobody receives the mail: list the addresses, comma-separated",
            ));
        }
        let to = config
            .notify_to
            .iter()
            .map(|address| {
                address.trim().parse::<Mailbox>().map_err(|e| {
                    invalid(
                        "SYNC_NOTIFY_TO",
                        format!("{address:?} is not an e-mail address: {e}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let from = match &config.notify_from {
            Some(from) => from.trim().to_owned(),
            None => {
                let domain = config
                    .public_url
                    .as_deref()
                    .and_then(|u| reqwest::Url::parse(u).ok())
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| "localhost".to_owned());
                format!("Territoires <territoires@{domain}>")
            }
        };
        let from = from.parse::<Mailbox>().map_err(|e| {
            invalid(
                "SYNC_NOTIFY_FROM",
                format!("{from:?} is not an e-mail address: {e}"),
            )
        })?;

        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            invalid(
                "SMTP_URL",
                format!("not a mail relay URL lettre accepts: {e}"),
            )
        })?;
        if let Some(ca_file) = &config.smtp_ca_file {
            let pem = read_ca_file(ca_file)?;
            if matches!(mode, Mode::Plain) {
                return Err(invalid(
                    "SMTP_CA_FILE",
                    "set, but SMTP_URL uses no TLS: use smtps://, or smtp://…?tls=required for STARTTLS",
                ));
            }
            let certificates = ca_certificates(ca_file, &pem)?;
            let mut parameters = TlsParameters::builder(host);
            for certificate in certificates {
                parameters = parameters.add_root_certificate(certificate);
            }
            let parameters = parameters
                .build_rustls()
                .map_err(|e| invalid("SMTP_CA_FILE", format!("TLS setup: {e}")))?;
            builder = match mode {
                Mode::Plain => builder,
                Mode::Opportunistic => builder.tls(Tls::Opportunistic(parameters)),
                Mode::StartTls => builder.tls(Tls::Required(parameters)),
                Mode::Wrapper => builder.tls(Tls::Wrapper(parameters)),
            };
        }
        let transport = builder.timeout(Some(SMTP_TIMEOUT)).build();
        Ok(Some(Self {
            transport,
            from,
            to,
        }))
    }

    /// Sends `notice` with its attachments.
    pub async fn send(&self, notice: &RunNotice, timezone: Tz) -> Result<(), SyncError> {
        let message = self.message(notice, timezone).await?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            // A refused certificate is a setting to fix, not a relay that is down: say
            // which one.
            let context = match certificate_error(&e) {
                Some(refused) => {
                    let fix = match refused {
                        rustls::CertificateError::UnknownIssuer => {
                            "SMTP_CA_FILE must hold the PEM of the authority that signed it"
                                .to_owned()
                        }
                        rustls::CertificateError::NotValidForName
                        | rustls::CertificateError::NotValidForNameContext { .. } => {
                            "SMTP_URL must name the relay as its certificate does".to_owned()
                        }
                        // Nothing to change here: the relay's certificate must be renewed.
                        rustls::CertificateError::ExpiredContext { not_after, .. } => {
                            let expired = i64::try_from(not_after.as_secs())
                                .ok()
                                .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                                .map_or_else(String::new, |at| {
                                    format!(" on {}", at.format("%Y-%m-%dT%H:%M:%SZ"))
                                });
                            format!(
                                "the relay's certificate expired{expired}: whoever runs \
                                 the relay must renew it"
                            )
                        }
                        rustls::CertificateError::Expired => "the relay's certificate \
                            expired: whoever runs the relay must renew it"
                            .to_owned(),
                        _ => "check the relay's certificate and SMTP_CA_FILE".to_owned(),
                    };
                    format!(
                        "cannot send the notification e-mail: the mail relay's TLS \
                         certificate was refused ({refused}); {fix}"
                    )
                }
                None => "cannot send the notification e-mail".to_owned(),
            };
            SyncError::io(context, std::io::Error::other(e))
        })
    }

    async fn message(&self, notice: &RunNotice, timezone: Tz) -> Result<Message, SyncError> {
        let mut body = notice.body(timezone);
        let mut attachments = Vec::new();
        let xlsx =
            ContentType::parse("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .map_err(|e| SyncError::io("mail content type", std::io::Error::other(e)))?;
        for (path, content_type) in [
            (&notice.report_text, ContentType::TEXT_PLAIN),
            (&notice.annotated, xlsx),
        ] {
            let Some(path) = path else { continue };
            let name = path.file_name().map_or_else(
                || "piece-jointe".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
            let file = path.clone();
            match tokio::task::spawn_blocking(move || read_attachment(&file)).await {
                Ok(Some(bytes)) => {
                    attachments.push(Attachment::new(name).body(bytes, content_type))
                }
                _ => body.push_str(&format!(
                    "\n(La pièce jointe {name} n'a pas pu être ajoutée : trop grande ou \
                     illisible ; elle se trouve dans le dossier de dépôt.)\n"
                )),
            }
        }
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(notice.subject());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
        for attachment in attachments {
            parts = parts.singlepart(attachment);
        }
        builder.multipart(parts).map_err(|e| {
            SyncError::io(
                "cannot build the notification e-mail",
                std::io::Error::other(e),
            )
        })
    }
}

/// The certificate check that failed in `error`'s chain, if that is why it failed. The
/// TLS error travels inside an `io::Error`, whose `source` skips it: look inside.
fn certificate_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::CertificateError> {
    let mut next = Some(error);
    while let Some(current) = next {
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for candidate in [Some(current), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(refused)) =
                candidate.downcast_ref::<rustls::Error>()
            {
                return Some(refused);
            }
        }
        next = inner
            .and_then(std::error::Error::source)
            .or(current.source());
    }
    None
}

/// The certificates of `SMTP_CA_FILE`, each checked as rustls will take it, so a file
/// that is not what it should be stops the service at start with the file and the
/// certificate named (rustls alone would speak of a "peer certificate").
fn ca_certificates(path: &Path, pem: &[u8]) -> Result<Vec<Certificate>, SyncError> {
    let bad = |reason: String| invalid("SMTP_CA_FILE", format!("{}: {reason}", path.display()));
    let mut certificates = Vec::new();
    for (index, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let n = index + 1;
        let der = der.map_err(|e| bad(format!("certificate {n} is not valid PEM ({e})")))?;
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| {
                let why = match e {
                    rustls::Error::InvalidCertificate(why) => why.to_string(),
                    other => other.to_string(),
                };
                bad(format!(
                    "certificate {n} is not an X.509 certificate rustls accepts as an \
                     authority ({why})"
                ))
            })?;
        certificates.push(
            Certificate::from_der(der.to_vec())
                .map_err(|e| bad(format!("certificate {n}: {e}")))?,
        );
    }
    if certificates.is_empty() {
        return Err(bad(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(certificates)
}

fn read_ca_file(path: &Path) -> Result<Vec<u8>, SyncError> {
    let unreadable = |reason: String| {
        invalid(
            "SMTP_CA_FILE",
            format!("cannot read {}: {reason}", path.display()),
        )
    };
    let metadata = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
    if !metadata.is_file() {
        return Err(unreadable("not a regular file".to_owned()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(unreadable(
            "larger than 1 MiB: not a certificate file".to_owned(),
        ));
    }
    Ok(bytes)
}

/// A report or annotated file to attach, if it is a regular file under the bound.
fn read_attachment(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_ATTACHMENT_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ATTACHMENT_BYTES + 1).read_to_end(&mut bytes))
        .ok()?;
    (bytes.len() as u64 <= MAX_ATTACHMENT_BYTES).then_some(bytes)
}

/// Both channels, ready to send; built (and checked) when the schedule starts.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    pub mailer: Option<Mailer>,
    pub webhook: Option<(reqwest::Client, String)>,
}

impl Notifier {
    /// Sends `notice` on every configured channel if `when` wants it.
    pub async fn notify(
        &self,
        notice: Option<&RunNotice>,
        when: NotifyWhen,
        timezone: Tz,
    ) -> NotificationOutcome {
        let mut outcome = NotificationOutcome {
            mail: if self.mailer.is_some() {
                Delivery::NotNeeded
            } else {
                Delivery::NotConfigured
            },
            webhook: if self.webhook.is_some() {
                Delivery::NotNeeded
            } else {
                Delivery::NotConfigured
            },
        };
        let Some(notice) = notice.filter(|n| n.wanted(when)) else {
            return outcome;
        };
        if let Some((client, url)) = &self.webhook {
            outcome.webhook =
                if crate::schedule::send_alert(client, url, &crate::schedule::Alert::from(notice))
                    .await
                {
                    Delivery::Sent
                } else {
                    Delivery::Failed
                };
        }
        if let Some(mailer) = &self.mailer {
            outcome.mail = match mailer.send(notice, timezone).await {
                Ok(()) => {
                    tracing::info!(status = ?notice.facts.status, "roster sync e-mail sent");
                    Delivery::Sent
                }
                Err(error) => {
                    tracing::warn!(%error, "the roster sync e-mail was not sent");
                    Delivery::Failed
                }
            };
        }
        outcome
    }
}
