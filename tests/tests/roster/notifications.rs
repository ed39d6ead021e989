//! Notifications after a scheduled run: real e-mail through lettre to an SMTP server the
//! test starts on 127.0.0.1, and the webhook's JSON received by a real HTTP server. A
//! relay or webhook that fails never fails the import.

use std::io::Cursor;
use std::time::Duration;

use axum::routing::post;
use calamine::{Reader, Xlsx};
use territoires_sync::{
    Delivery, NightlyHook, NightlyOutcome, NotificationOutcome, NotifyWhen, SyncConfig, SyncError,
    SyncStatus, start_scheduler,
};
use territoires_tests::TestDb;
use territoires_tests::smtp::{SmtpCertificate, SmtpMode, SmtpSink, SmtpTls, tls_fixtures};
use tokio::sync::mpsc;

use crate::helpers::*;
use territoires_tests::workbook::notes;

const TO: &str = "referent.roster@hauts-de-seine.fr";

fn every_second(dir: &std::path::Path) -> SyncConfig {
    SyncConfig {
        drop_dir: dir.to_path_buf(),
        cron: "* * * * * *".to_owned(),
        settle_time: Duration::ZERO,
        public_url: Some("https://territoires.example.fr".to_owned()),
        ..SyncConfig::default()
    }
}

/// A webhook on 127.0.0.1: the JSON bodies it receives.
async fn webhook() -> (String, mpsc::UnboundedReceiver<serde_json::Value>) {
    let (sender, received) = mpsc::unbounded_channel::<serde_json::Value>();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), received)
}

/// A hook passing on the notifications of each run that processed a file.
fn outcomes() -> (NightlyHook, mpsc::UnboundedReceiver<NotificationOutcome>) {
    let (sender, received) = mpsc::unbounded_channel();
    let hook: NightlyHook = std::sync::Arc::new(move |outcome: &NightlyOutcome| {
        let processed = outcome
            .drop
            .as_ref()
            .and_then(|d| d.as_ref().ok())
            .is_some_and(|d| d.processed.is_some());
        if processed {
            let _ = sender.send(outcome.notifications);
        }
    });
    (hook, received)
}

async fn first<T>(receiver: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), receiver.recv())
        .await
        .expect("in time")
        .expect("a value")
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_night_is_mailed_with_the_report_and_the_annotated_file() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut sink = SmtpSink::start(SmtpMode::Accept).await;
    let (url, mut alerts) = webhook().await;
    let inbox = tempfile::tempdir().unwrap();
    let mut rows = seeded_rows();
    rows[0][3] = "Territoire 12";
    std::fs::write(inbox.path().join("liste.xlsx"), roster(&rows)).unwrap();
    let config = SyncConfig {
        smtp_url: Some(sink.url()),
        notify_to: vec![TO.to_owned()],
        alert_webhook: Some(url),
        ..every_second(inbox.path())
    };
    let (hook, mut delivered) = outcomes();
    let handle = start_scheduler(db.clone(), config, Some(hook))
        .await
        .unwrap();
    let notifications = first(&mut delivered).await;
    let mail = sink.next(Duration::from_secs(5)).await.expect("a mail");
    let alert = first(&mut alerts).await;
    handle.stop(Duration::from_secs(10)).await.unwrap();
    assert_eq!(notifications.mail, Delivery::Sent);
    assert_eq!(notifications.webhook, Delivery::Sent);

    let run = runs(&db).await.remove(0);
    assert_eq!(mail.to, vec![TO.to_owned()]);
    assert_eq!(mail.from, "territoires@territoires.example.fr");
    let subject = mail.subject();
    assert_eq!(
        subject,
        "[Territoires] Import planifié des coordonnateurs : Rejeté — liste.xlsx"
    );
    let body = mail.text();
    let console = format!("https://territoires.example.fr/admin/historique/{}", run.id);
    for expected in [
        "Statut : Rejeté (REJECTED)".to_owned(),
        format!("Import n° {}", run.id),
        "Fichier rejeté : 1 erreur ; rien n'a été modifié.".to_owned(),
        "[Erreur] Ligne 2, colonne « Territoire » — UNKNOWN_TERRITORY".to_owned(),
        "Territoires sans coordonnateur actif aujourd'hui : aucun".to_owned(),
        format!("Détail dans la console d'administration : {console}"),
        "En pièces jointes".to_owned(),
    ] {
        assert!(body.contains(&expected), "{expected:?} not in:\n{body}");
    }
    assert!(
        body.contains("+01:00") || body.contains("+02:00"),
        "Paris time with its offset:\n{body}"
    );

    let parts = mail.parts();
    let report = parts
        .iter()
        .find(|p| {
            p.filename
                .as_deref()
                .is_some_and(|f| f.ends_with("-liste.xlsx.rapport.txt"))
        })
        .unwrap_or_else(|| panic!("no report attached: {parts:?}"));
    let report = String::from_utf8(report.body.clone()).unwrap();
    assert!(report.contains("Statut : Rejeté (REJECTED)"), "{report}");
    let annotated = parts
        .iter()
        .find(|p| {
            p.filename
                .as_deref()
                .is_some_and(|f| f.ends_with("-liste.xlsx.annote.xlsx"))
        })
        .expect("the annotated file attached");
    assert_eq!(
        annotated.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let book: Xlsx<_> = Xlsx::new(Cursor::new(annotated.body.clone())).unwrap();
    assert_eq!(book.sheet_names(), vec!["Résumé", "Coordonnateurs"]);
    let notes = notes(&annotated.body);
    assert!(
        notes
            .get("D2")
            .is_some_and(|n| n.contains("UNKNOWN_TERRITORY")),
        "{notes:?}"
    );

    // The webhook keeps its fields and adds the summary: exactly these keys (the
    // e-mail's facts are flattened into it; its finish time and files are not).
    let mut keys: Vec<&str> = alert
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "consoleUrl",
            "counts",
            "errors",
            "event",
            "fileName",
            "moreProblems",
            "problems",
            "runId",
            "setAside",
            "status",
            "summary",
            "text",
            "vacantTerritories",
            "warnings",
            "wouldVacate",
        ]
    );
    assert_eq!(alert["event"], "roster_sync");
    assert_eq!(alert["status"], "REJECTED");
    assert_eq!(alert["fileName"], "liste.xlsx");
    assert_eq!(alert["errors"], 1);
    assert_eq!(alert["runId"], run.id);
    assert_eq!(alert["consoleUrl"], console.as_str());
    assert_eq!(alert["counts"]["unchanged"], 0);
    assert_eq!(alert["vacantTerritories"], serde_json::json!([]));
    assert_eq!(alert["problems"][0]["code"], "UNKNOWN_TERRITORY");
    assert_eq!(alert["problems"][0]["row"], 2);
    assert!(
        alert["text"].as_str().unwrap().contains("Fichier rejeté"),
        "{alert}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_night_is_notified_only_when_always_is_asked() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let mut sink = SmtpSink::start(SmtpMode::Accept).await;
    let (url, mut alerts) = webhook().await;
    let inbox = tempfile::tempdir().unwrap();
    let mut rows = seeded_rows();
    rows[1][2] = "Coordonnateur principal";
    let (hook, mut delivered) = outcomes();
    std::fs::write(inbox.path().join("lundi.xlsx"), roster(&rows)).unwrap();
    let quiet = SyncConfig {
        smtp_url: Some(sink.url()),
        notify_to: vec![TO.to_owned()],
        alert_webhook: Some(url.clone()),
        ..every_second(inbox.path())
    };
    let handle = start_scheduler(db.clone(), quiet, Some(hook))
        .await
        .unwrap();
    let notifications = first(&mut delivered).await;
    handle.stop(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        (notifications.mail, notifications.webhook),
        (Delivery::NotNeeded, Delivery::NotNeeded)
    );
    assert!(sink.try_next().is_none(), "no mail for a good night");
    assert!(alerts.try_recv().is_err(), "no webhook for a good night");

    rows[1][2] = "Coordonnateur adjoint";
    std::fs::write(inbox.path().join("mardi.xlsx"), roster(&rows)).unwrap();
    let (hook, mut delivered) = outcomes();
    let always = SyncConfig {
        smtp_url: Some(sink.url()),
        notify_to: vec![TO.to_owned(), "second@hauts-de-seine.fr".to_owned()],
        alert_webhook: Some(url),
        notify: NotifyWhen::Always,
        public_url: None,
        ..every_second(inbox.path())
    };
    let handle = start_scheduler(db.clone(), always, Some(hook))
        .await
        .unwrap();
    let notifications = first(&mut delivered).await;
    let mail = sink.next(Duration::from_secs(5)).await.expect("a mail");
    let alert = first(&mut alerts).await;
    handle.stop(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        (notifications.mail, notifications.webhook),
        (Delivery::Sent, Delivery::Sent)
    );
    assert_eq!(mail.to.len(), 2);
    assert_eq!(
        mail.subject(),
        "[Territoires] Import planifié des coordonnateurs : Appliqué — mardi.xlsx"
    );
    let body = mail.text();
    assert!(
        body.contains("Import appliqué : 0 ajout, 1 modification"),
        "{body}"
    );
    assert!(
        !body.contains("/admin/historique/"),
        "no PUBLIC_URL, no link"
    );
    assert_eq!(alert["status"], "APPLIED");
    assert_eq!(alert["counts"]["updated"], 1);
    assert_eq!(alert["consoleUrl"], serde_json::Value::Null);
    assert_eq!(alert["problems"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_or_unreachable_relay_never_fails_the_import() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let sink = SmtpSink::start(SmtpMode::RefuseRecipients).await;
    let closed = closed_port().await;
    let inbox = tempfile::tempdir().unwrap();
    let mut rows = seeded_rows();

    for (day, smtp_url, title) in [
        ("lundi.xlsx", sink.url(), "Titre refusé"),
        (
            "mardi.xlsx",
            format!("smtp://127.0.0.1:{closed}"),
            "Titre injoignable",
        ),
    ] {
        rows[0][2] = title;
        std::fs::write(inbox.path().join(day), roster(&rows)).unwrap();
        let (hook, mut delivered) = outcomes();
        let config = SyncConfig {
            smtp_url: Some(smtp_url),
            notify_to: vec![TO.to_owned()],
            alert_webhook: Some(format!("http://127.0.0.1:{closed}/hook")),
            notify: NotifyWhen::Always,
            ..every_second(inbox.path())
        };
        let handle = start_scheduler(db.clone(), config, Some(hook))
            .await
            .unwrap();
        let notifications = first(&mut delivered).await;
        handle.stop(Duration::from_secs(10)).await.unwrap();
        assert_eq!(
            (notifications.mail, notifications.webhook),
            (Delivery::Failed, Delivery::Failed),
            "{day}"
        );
        // The import went through all the same.
        assert_eq!(
            by_last_name(&db, "LARA").await.title.as_deref(),
            Some(title),
            "{day}"
        );
        let last = runs(&db).await.pop().unwrap();
        assert_eq!(last.status, SyncStatus::Applied);
    }
}

#[tokio::test]
async fn notification_settings_are_checked_at_start() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let not_pem = inbox.path().join("ca.pem");
    std::fs::write(&not_pem, "pas un certificat").unwrap();
    // A PEM-looking file: with plain SMTP, the CA file has nothing to secure.
    std::fs::write(
        not_pem.with_file_name("plain.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let huge = inbox.path().join("huge.pem");
    let mut content = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    content.resize(2 * 1024 * 1024, b'A');
    std::fs::write(&huge, content).unwrap();
    // PEM armour around what is no certificate: bytes that are not DER, text that is
    // not base64; a key where the CA should be; an empty file.
    let not_der = inbox.path().join("not-der.pem");
    std::fs::write(
        &not_der,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let not_base64 = inbox.path().join("not-base64.pem");
    std::fs::write(
        &not_base64,
        "-----BEGIN CERTIFICATE-----\n!!!! pas du base64 !!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let key = tls_fixtures().join("server.key.pem");
    let empty = inbox.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let base = || SyncConfig {
        smtp_url: Some("smtp://127.0.0.1:25".to_owned()),
        notify_to: vec![TO.to_owned()],
        ..every_second(inbox.path())
    };
    let cases: Vec<(SyncConfig, &str, &str)> = vec![
        (
            SyncConfig {
                smtp_url: Some("http://relay:25".to_owned()),
                ..base()
            },
            "SMTP_URL",
            "neither smtp nor smtps",
        ),
        (
            SyncConfig {
                smtp_url: Some("pas une adresse".to_owned()),
                ..base()
            },
            "SMTP_URL",
            "not a URL",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtp://relay:25?tls=peut-etre".to_owned()),
                ..base()
            },
            "SMTP_URL",
            "tls=",
        ),
        (
            SyncConfig {
                notify_to: Vec::new(),
                ..base()
            },
            "SYNC_NOTIFY_TO",
            "nobody receives",
        ),
        (
            SyncConfig {
                notify_to: vec!["pas-une-adresse".to_owned()],
                ..base()
            },
            "SYNC_NOTIFY_TO",
            "not an e-mail address",
        ),
        (
            SyncConfig {
                smtp_url: None,
                ..base()
            },
            "SMTP_URL",
            "SYNC_NOTIFY_TO is set",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtps://relay:465".to_owned()),
                smtp_ca_file: Some(inbox.path().join("absent.pem")),
                ..base()
            },
            "SMTP_CA_FILE",
            "cannot read",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtps://relay:465".to_owned()),
                smtp_ca_file: Some(not_pem.clone()),
                ..base()
            },
            "SMTP_CA_FILE",
            "holds no PEM certificate",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtp://relay:587?tls=required".to_owned()),
                smtp_ca_file: Some(huge.clone()),
                ..base()
            },
            "SMTP_CA_FILE",
            "larger than 1 MiB",
        ),
        (
            SyncConfig {
                smtp_ca_file: Some(not_pem.with_file_name("plain.pem")),
                ..base()
            },
            "SMTP_CA_FILE",
            "uses no TLS",
        ),
        (
            SyncConfig {
                smtp_ca_file: Some(inbox.path().to_path_buf()),
                ..base()
            },
            "SMTP_CA_FILE",
            "not a regular file",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtps://relay:465".to_owned()),
                smtp_ca_file: Some(not_der),
                ..base()
            },
            "SMTP_CA_FILE",
            "not-der.pem: certificate 1 is not an X.509 certificate rustls accepts as an authority (BadEncoding)",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtp://relay:587?tls=required".to_owned()),
                smtp_ca_file: Some(not_base64),
                ..base()
            },
            "SMTP_CA_FILE",
            "not-base64.pem: certificate 1 is not valid PEM (base64 decode error",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtps://relay:465".to_owned()),
                smtp_ca_file: Some(key),
                ..base()
            },
            "SMTP_CA_FILE",
            "server.key.pem: holds no PEM certificate",
        ),
        (
            SyncConfig {
                smtp_url: Some("smtps://relay:465".to_owned()),
                smtp_ca_file: Some(empty),
                ..base()
            },
            "SMTP_CA_FILE",
            "empty.pem: holds no PEM certificate",
        ),
    ];
    for (config, setting, reason) in cases {
        let error = start_scheduler(db.clone(), config, None).await.err();
        match error {
            Some(SyncError::Config {
                setting: found,
                reason: why,
            }) => {
                assert_eq!(found, setting, "{why}");
                assert!(why.contains(reason), "{setting}: {why}");
                assert!(!why.contains("password"), "{why}");
            }
            other => panic!("{setting}: {other:?}"),
        }
    }
    // A relay's password is never repeated in an error.
    let error = start_scheduler(
        db.clone(),
        SyncConfig {
            smtp_url: Some("smtp://user:s3cret@relay:25?tls=jamais".to_owned()),
            ..base()
        },
        None,
    )
    .await
    .err()
    .unwrap();
    assert!(!error.to_string().contains("s3cret"), "{error}");
    assert!("sometimes".parse::<NotifyWhen>().is_err());
    assert_eq!(
        "ALWAYS".parse::<NotifyWhen>().ok(),
        Some(NotifyWhen::Always)
    );
}

/// The time the body says the run ended (`terminé le 03/12/2026 16:10:36 +01:00`).
fn finished_at_in_body(body: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let after = body
        .split("terminé le ")
        .nth(1)
        .unwrap_or_else(|| panic!("no end time in:\n{body}"));
    let text: String = after
        .chars()
        .take("03/12/2026 16:10:36 +01:00".len())
        .collect();
    chrono::DateTime::parse_from_str(&text, "%d/%m/%Y %H:%M:%S %:z")
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_through_starttls_and_implicit_tls_to_a_relay_of_the_internal_ca() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let certificates = tls_fixtures();
    // A CA file may hold several authorities: each one is trusted, not only the first.
    let bundle = inbox.path().join("bundle.pem");
    std::fs::write(
        &bundle,
        [
            std::fs::read(certificates.join("other-ca.pem")).unwrap(),
            std::fs::read(certificates.join("ca.pem")).unwrap(),
        ]
        .concat(),
    )
    .unwrap();
    let ca = certificates.join("ca.pem");
    let mut rows = seeded_rows();
    // `at`: the host in SMTP_URL (a name the certificate holds), or `opportunistic`
    // for 127.0.0.1 with ?tls=opportunistic.
    for (day, tls, at, ca_file, title) in [
        (
            "lundi.xlsx",
            SmtpTls::StartTls,
            "127.0.0.1",
            &ca,
            "Titre STARTTLS",
        ),
        (
            "mardi.xlsx",
            SmtpTls::Implicit,
            "127.0.0.1",
            &ca,
            "Titre TLS",
        ),
        (
            "mercredi.xlsx",
            SmtpTls::StartTls,
            "localhost",
            &bundle,
            "Titre nom",
        ),
        (
            "jeudi.xlsx",
            SmtpTls::Implicit,
            "localhost",
            &bundle,
            "Titre liasse",
        ),
        // Opportunistic STARTTLS takes the CA file too (the relay requires the upgrade).
        (
            "vendredi.xlsx",
            SmtpTls::StartTls,
            "opportunistic",
            &ca,
            "Titre opportuniste",
        ),
    ] {
        let case = format!("{tls:?} at {at}, {}", ca_file.display());
        let mut sink = SmtpSink::start_with(SmtpMode::Accept, tls).await;
        let url = match at {
            "opportunistic" => sink.url().replace("tls=required", "tls=opportunistic"),
            host => sink.url_at(host),
        };
        rows[0][2] = title;
        std::fs::write(inbox.path().join(day), roster(&rows)).unwrap();
        let (hook, mut delivered) = outcomes();
        let config = SyncConfig {
            smtp_url: Some(url),
            notify_to: vec![TO.to_owned()],
            smtp_ca_file: Some(ca_file.clone()),
            notify: NotifyWhen::Always,
            ..every_second(inbox.path())
        };
        let handle = start_scheduler(db.clone(), config, Some(hook))
            .await
            .unwrap();
        let notifications = first(&mut delivered).await;
        handle.stop(Duration::from_secs(10)).await.unwrap();
        assert_eq!(notifications.mail, Delivery::Sent, "{case}");
        let mail = sink.next(Duration::from_secs(5)).await.expect("a mail");
        assert!(mail.tls, "{case}: the message came over TLS");
        assert!(
            sink.tls_failures().is_empty(),
            "{case}: {:?}",
            sink.tls_failures()
        );
        assert_eq!(mail.to, vec![TO.to_owned()], "{case}");

        // French, with the time in Paris.
        assert_eq!(
            mail.subject(),
            format!("[Territoires] Import planifié des coordonnateurs : Appliqué — {day}"),
            "{case}"
        );
        let body = mail.text();
        let run = runs(&db).await.pop().unwrap();
        for expected in [
            "Bonjour,".to_owned(),
            "Statut : Appliqué (APPLIED)".to_owned(),
            format!("Import n° {}", run.id),
            "Import appliqué : 0 ajout, 1 modification".to_owned(),
            "— Territoires (message automatique, ne pas répondre)".to_owned(),
        ] {
            assert!(
                body.contains(&expected),
                "{case}: {expected:?} not in:\n{body}"
            );
        }
        let finished = finished_at_in_body(&body);
        let paris = finished.with_timezone(&chrono_tz::Europe::Paris);
        assert_eq!(
            finished.offset().local_minus_utc(),
            chrono::Offset::fix(paris.offset()).local_minus_utc(),
            "{case}: Paris's offset on that day:\n{body}"
        );
        assert!(
            finished >= run.started_at - chrono::Duration::seconds(1)
                && finished <= chrono::Utc::now(),
            "{case}: {finished} is when run {} ended",
            run.id
        );

        assert_eq!(run.status, SyncStatus::Applied, "{case}");
        assert_eq!(
            by_last_name(&db, "LARA").await.title.as_deref(),
            Some(title),
            "{case}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_the_ca_does_not_vouch_for_gets_no_mail_and_the_import_still_applies() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    let other = tls_fixtures().join("other-ca.pem");
    let mut rows = seeded_rows();
    // The other CA, and no CA file at all: the public authorities do not know the
    // relay's internal CA either. And the right CA, but a relay reached at an address
    // its certificate is not for.
    let ca = tls_fixtures().join("ca.pem");
    for (day, ip, tls, ca_file, title, why) in [
        (
            "lundi.xlsx",
            "127.0.0.1",
            SmtpTls::StartTls,
            Some(&other),
            "Titre STARTTLS refusé",
            "UnknownIssuer); SMTP_CA_FILE must hold",
        ),
        (
            "mardi.xlsx",
            "127.0.0.1",
            SmtpTls::Implicit,
            Some(&other),
            "Titre TLS refusé",
            "UnknownIssuer); SMTP_CA_FILE must hold",
        ),
        (
            "mercredi.xlsx",
            "127.0.0.1",
            SmtpTls::StartTls,
            None,
            "Titre sans autorité",
            "UnknownIssuer); SMTP_CA_FILE must hold",
        ),
        (
            "jeudi.xlsx",
            "127.0.0.1",
            SmtpTls::Implicit,
            None,
            "Titre TLS sans autorité",
            "UnknownIssuer); SMTP_CA_FILE must hold",
        ),
        (
            "vendredi.xlsx",
            "127.0.0.2",
            SmtpTls::StartTls,
            Some(&ca),
            "Titre autre adresse",
            "not valid for name \"127.0.0.2\"; certificate is only valid for IpAddress(127.0.0.1) or DnsName(\"localhost\")); SMTP_URL must name",
        ),
        (
            "samedi.xlsx",
            "127.0.0.2",
            SmtpTls::Implicit,
            Some(&ca),
            "Titre TLS autre adresse",
            "not valid for name \"127.0.0.2\"; certificate is only valid for IpAddress(127.0.0.1) or DnsName(\"localhost\")); SMTP_URL must name",
        ),
    ] {
        let case = format!("{tls:?} at {ip} with {ca_file:?}");
        let mut sink = SmtpSink::start_at(ip, SmtpMode::Accept, tls).await;
        rows[0][2] = title;
        std::fs::write(inbox.path().join(day), roster(&rows)).unwrap();
        let (hook, mut delivered) = outcomes();
        let config = SyncConfig {
            smtp_url: Some(sink.url()),
            notify_to: vec![TO.to_owned()],
            smtp_ca_file: ca_file.cloned(),
            notify: NotifyWhen::Always,
            ..every_second(inbox.path())
        };
        let handle = start_scheduler(db.clone(), config.clone(), Some(hook))
            .await
            .unwrap();
        let notifications = first(&mut delivered).await;
        handle.stop(Duration::from_secs(10)).await.unwrap();

        // Reported as failed (logged, counted by the service's metrics)...
        assert_eq!(notifications.mail, Delivery::Failed, "{case}");
        // ...never sent: the client broke off at the relay's certificate.
        assert!(
            sink.next(Duration::from_millis(500)).await.is_none(),
            "{case}: nothing delivered"
        );
        let failures = sink.tls_failures_within(Duration::from_secs(5)).await;
        assert!(
            failures.iter().any(|f| f.contains("received fatal alert")),
            "{case}: the client broke off the handshake with an alert: {failures:?}"
        );
        // The import went through all the same.
        let run = runs(&db).await.pop().unwrap();
        assert_eq!(run.status, SyncStatus::Applied, "{case}");
        assert_eq!(
            by_last_name(&db, "LARA").await.title.as_deref(),
            Some(title),
            "{case}"
        );

        // What the log line says: the certificate, and where to look.
        let error = refused_send(&config, run.id, day).await;
        for expected in ["certificate was refused", why] {
            assert!(
                error.contains(expected),
                "{case}: {expected:?} not in {error}"
            );
        }
        assert!(sink.try_next().is_none(), "{case}: nothing delivered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_an_expired_certificate_gets_no_mail_and_the_import_still_applies() {
    let database = TestDb::new().await;
    let db = database.connect().await;
    let inbox = tempfile::tempdir().unwrap();
    // The right CA and the right name: only the dates are wrong (valid in 2000 only).
    let ca = tls_fixtures().join("ca.pem");
    let mut rows = seeded_rows();
    for (day, tls, title) in [
        ("lundi.xlsx", SmtpTls::StartTls, "Titre STARTTLS expiré"),
        ("mardi.xlsx", SmtpTls::Implicit, "Titre TLS expiré"),
    ] {
        let case = format!("{tls:?} with an expired certificate");
        let mut sink = SmtpSink::start_presenting(
            "127.0.0.1",
            SmtpMode::Accept,
            tls,
            SmtpCertificate::Expired,
        )
        .await;
        rows[0][2] = title;
        std::fs::write(inbox.path().join(day), roster(&rows)).unwrap();
        let (hook, mut delivered) = outcomes();
        let config = SyncConfig {
            smtp_url: Some(sink.url()),
            notify_to: vec![TO.to_owned()],
            smtp_ca_file: Some(ca.clone()),
            notify: NotifyWhen::Always,
            ..every_second(inbox.path())
        };
        let handle = start_scheduler(db.clone(), config.clone(), Some(hook))
            .await
            .unwrap();
        let notifications = first(&mut delivered).await;
        handle.stop(Duration::from_secs(10)).await.unwrap();

        // Reported as failed (logged, counted by the service's metrics)...
        assert_eq!(notifications.mail, Delivery::Failed, "{case}");
        // ...never sent: the client broke off at the certificate's dates.
        assert!(
            sink.next(Duration::from_millis(500)).await.is_none(),
            "{case}: nothing delivered"
        );
        let failures = sink.tls_failures_within(Duration::from_secs(5)).await;
        assert!(
            failures
                .iter()
                .any(|f| f.contains("received fatal alert: CertificateExpired")),
            "{case}: the client broke off the handshake with the expiry alert: {failures:?}"
        );
        // The import went through all the same.
        let run = runs(&db).await.pop().unwrap();
        assert_eq!(run.status, SyncStatus::Applied, "{case}");
        assert_eq!(
            by_last_name(&db, "LARA").await.title.as_deref(),
            Some(title),
            "{case}"
        );

        // What the log line says: expired, when, and that the relay's side must act.
        let error = refused_send(&config, run.id, day).await;
        for expected in [
            "certificate was refused (certificate expired",
            "the relay's certificate expired on 2001-01-01T00:00:00Z: whoever runs the relay must renew it",
        ] {
            assert!(
                error.contains(expected),
                "{case}: {expected:?} not in {error}"
            );
        }
        assert!(sink.try_next().is_none(), "{case}: nothing delivered");
    }
}

/// What sending a notice through `config`'s relay fails with, for a relay whose
/// certificate the client refuses: the text the service logs.
async fn refused_send(config: &SyncConfig, run_id: i32, day: &str) -> String {
    let mailer = territoires_sync::Mailer::from_config(config)
        .unwrap()
        .unwrap();
    let notice = territoires_sync::RunNotice {
        facts: territoires_sync::RunFacts {
            status: SyncStatus::Applied,
            run_id: Some(run_id),
            file_name: Some(day.to_owned()),
            summary: "Import appliqué.".to_owned(),
            errors: 0,
            warnings: 0,
            counts: territoires_sync::Counts::default(),
            problems: Vec::new(),
            more_problems: 0,
            vacant_territories: Vec::new(),
            would_vacate: Vec::new(),
            set_aside: Vec::new(),
            console_url: None,
        },
        finished_at: chrono::Utc::now(),
        report_text: None,
        annotated: None,
    };
    mailer
        .send(&notice, chrono_tz::Europe::Paris)
        .await
        .expect_err("refused")
        .to_string()
}
