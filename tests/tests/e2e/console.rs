//! The administration console at `/admin`, over HTTP as a browser uses it (forms,
//! cookies, redirects followed by hand), on a real database.

use chrono::{Duration, Utc};
use entity::{AuditAction, Role, SyncTrigger, audit_log, console_session};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use territoires_sync::{ImportOptions, RosterSource, import_roster};
use territoires_tests::{TestApp, TestDb, spawn_app, spawn_app_configured, spawn_app_with};

/// A browser of the console: no automatic redirects, cookies kept by hand.
pub(super) struct Browser {
    pub(super) app: TestApp,
    pub(super) client: reqwest::Client,
    pub(super) origin: String,
}

/// An answer: status, headers, body.
pub(super) struct Page {
    pub(super) status: u16,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) body: String,
}

impl Page {
    pub(super) fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `Set-Cookie` value for cookie `name`.
    pub(super) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the hidden form secret on the page.
    pub(super) fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form secret")
            + 19;
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }

    pub(super) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// `name=value` of a `Set-Cookie` header.
pub(super) fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

impl Browser {
    pub(super) async fn new() -> Self {
        Self::on(spawn_app().await)
    }

    pub(super) fn on(app: TestApp) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        let origin = app.address.clone();
        Self {
            app,
            client,
            origin,
        }
    }

    pub(super) async fn answer(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    pub(super) async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.app.address));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    /// Posts a form with `cookie`, from `origin` (none: no Origin header).
    pub(super) async fn post_from(
        &self,
        origin: Option<&str>,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut request = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    pub(super) async fn post(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(Some(&self.origin), path, Some(cookie), fields)
            .await
    }

    /// Submits the sign-in form with `token`; returns the answer.
    pub(super) async fn sign_in_with(&self, token: &str) -> Page {
        let form = self.get("/admin/connexion", None).await;
        let cookie = pair(&form.set_cookie("territoires_connexion").unwrap());
        self.post_from(
            Some(&self.origin),
            "/admin/connexion",
            Some(&cookie),
            &[("csrf", &form.csrf()), ("token", token)],
        )
        .await
    }

    /// Signs in with a new ADMIN token; returns the session cookie (`name=value`).
    pub(super) async fn sign_in(&self) -> String {
        let token = self.app.token(Role::Admin).await;
        let answer = self.sign_in_with(&token).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        pair(&answer.set_cookie("territoires_session").unwrap())
    }

    /// The form secret of the signed-in session (read from a page).
    pub(super) async fn csrf(&self, cookie: &str) -> String {
        self.get("/admin/jetons", Some(cookie)).await.csrf()
    }
}

pub(super) async fn audit_entries(app: &TestApp, entity: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq(entity))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_token_opens_a_session_with_a_cookie_scripts_cannot_read() {
    let browser = Browser::new().await;
    let token = browser.app.token(Role::Admin).await;
    let answer = browser.sign_in_with(&token).await;
    assert_eq!((answer.status, answer.location()), (303, "/admin"));
    let set_cookie = answer.set_cookie("territoires_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age=43200"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    // The browser holds the secret; the database only its hash.
    let secret = pair(&set_cookie).split_once('=').unwrap().1.to_owned();
    let stored = console_session::Entity::find()
        .all(&browser.app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].secret_hash, secret);
    assert_eq!(
        stored[0].secret_hash,
        territoires::access::hash_token(&secret)
    );

    let again = browser
        .get("/admin/connexion", Some(&pair(&set_cookie)))
        .await;
    assert_eq!((again.status, again.location()), (303, "/admin"));
    let dashboard = browser.get("/admin", Some(&pair(&set_cookie))).await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("<html lang=\"fr\">"));
    assert!(dashboard.body.contains("Tableau de bord"));
    assert!(dashboard.body.contains("Aller au contenu"));
    let signed_in = audit_entries(&browser.app, "ConsoleSession").await;
    assert_eq!(signed_in.len(), 1);
    assert_eq!(signed_in[0].action, AuditAction::Create);
    assert_eq!(signed_in[0].actor, stored[0].token_name);
}

#[tokio::test]
async fn the_cookie_is_secure_when_users_reach_the_service_over_https() {
    let app = spawn_app_with(TestDb::new().await, |config| {
        config.public_url = Some("https://territoires.example.fr".to_owned());
    })
    .await;
    let mut browser = Browser::on(app);
    // Forms must come from the public address, not from the address the test talks to.
    let token = browser.app.token(Role::Admin).await;
    assert_eq!(browser.sign_in_with(&token).await.status, 403);
    browser.origin = "https://territoires.example.fr".to_owned();
    let answer = browser.sign_in_with(&token).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let set_cookie = answer.set_cookie("territoires_session").unwrap();
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
}

#[tokio::test]
async fn unknown_and_editor_tokens_open_no_session() {
    let browser = Browser::new().await;
    let unknown = browser.sign_in_with("terr_nothing-like-a-real-token").await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("Jeton inconnu, révoqué ou expiré"));
    assert!(unknown.set_cookie("territoires_session").is_none());

    let editor = browser.app.token(Role::Editor).await;
    let refused = browser.sign_in_with(&editor).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("n'a pas le rôle ADMIN"));
    assert!(refused.set_cookie("territoires_session").is_none());

    let empty = browser.sign_in_with("   ").await;
    assert_eq!(empty.status, 401);
    let sessions = console_session::Entity::find()
        .all(&browser.app.db)
        .await
        .unwrap();
    assert!(sessions.is_empty());
}

#[tokio::test]
async fn the_sign_in_form_is_refused_without_its_secret_or_from_elsewhere() {
    let browser = Browser::new().await;
    let token = browser.app.token(Role::Admin).await;
    let form = browser.get("/admin/connexion", None).await;
    let cookie = pair(&form.set_cookie("territoires_connexion").unwrap());
    let secret = form.csrf();
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<(&'a str, &'a str)>);
    let cases: [Case; 5] = [
        // No form secret.
        (
            Some(&browser.origin),
            Some(&cookie),
            vec![("token", &token)],
        ),
        // A wrong one.
        (
            Some(&browser.origin),
            Some(&cookie),
            vec![("csrf", "AAAA"), ("token", &token)],
        ),
        // No cookie to compare it with.
        (
            Some(&browser.origin),
            None,
            vec![("csrf", &secret), ("token", &token)],
        ),
        // Another site.
        (
            Some("https://evil.example"),
            Some(&cookie),
            vec![("csrf", &secret), ("token", &token)],
        ),
        // No origin at all.
        (
            None,
            Some(&cookie),
            vec![("csrf", &secret), ("token", &token)],
        ),
    ];
    for (origin, cookie, fields) in cases {
        let answer = browser
            .post_from(origin, "/admin/connexion", cookie, &fields)
            .await;
        assert_eq!(answer.status, 403, "{origin:?} {fields:?}");
        assert!(answer.body.contains("Requête refusée"));
        assert!(answer.set_cookie("territoires_session").is_none());
    }
}

#[tokio::test]
async fn forms_without_the_session_secret_or_from_another_origin_change_nothing() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let secret = browser.csrf(&cookie).await;
    let tokens_before = territoires::access::list_tokens(&browser.app.db)
        .await
        .unwrap()
        .len();
    let create = |csrf: &'static str| [("csrf", csrf), ("name", "forged"), ("role", "ADMIN")];
    let missing = browser
        .post(
            "/admin/jetons",
            &cookie,
            &[("name", "forged"), ("role", "ADMIN")],
        )
        .await;
    assert_eq!(missing.status, 403);
    let wrong = browser
        .post("/admin/jetons", &cookie, &create("not-the-secret"))
        .await;
    assert_eq!(wrong.status, 403);
    let fields = [
        ("csrf", secret.as_str()),
        ("name", "forged"),
        ("role", "ADMIN"),
    ];
    let foreign = browser
        .post_from(
            Some("https://evil.example"),
            "/admin/jetons",
            Some(&cookie),
            &fields,
        )
        .await;
    assert_eq!(foreign.status, 403);
    let no_origin = browser
        .post_from(None, "/admin/jetons", Some(&cookie), &fields)
        .await;
    assert_eq!(no_origin.status, 403);
    // A Referer from the console stands in for a missing Origin.
    let referred = browser
        .client
        .post(format!("{}/admin/jetons", browser.app.address))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("referer", format!("{}/admin/jetons", browser.origin))
        .header(COOKIE, &cookie)
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status().as_u16(), 200);
    let names: Vec<String> = territoires::access::list_tokens(&browser.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names.len(), tokens_before + 1, "{names:?}");
}

async fn set_session_times(
    app: &TestApp,
    created: chrono::DateTime<Utc>,
    seen: chrono::DateTime<Utc>,
) {
    console_session::Entity::update_many()
        .col_expr(
            console_session::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(created),
        )
        .col_expr(
            console_session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(seen),
        )
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_idle_for_30_minutes_ends() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let now = Utc::now();
    set_session_times(
        &browser.app,
        now - Duration::minutes(40),
        now - Duration::minutes(29),
    )
    .await;
    assert_eq!(browser.get("/admin", Some(&cookie)).await.status, 200);
    set_session_times(
        &browser.app,
        now - Duration::minutes(40),
        now - Duration::minutes(31),
    )
    .await;
    let expired = browser.get("/admin/historique", Some(&cookie)).await;
    assert_eq!(
        (expired.status, expired.location()),
        (303, "/admin/connexion?motif=expiree")
    );
    assert!(
        expired
            .set_cookie("territoires_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    assert!(
        console_session::Entity::find()
            .all(&browser.app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let sign_in = browser.get(expired.location(), None).await;
    assert!(
        sign_in.body.contains("Votre session a expiré"),
        "{}",
        sign_in.body
    );
}

#[tokio::test]
async fn a_session_ends_12_hours_after_sign_in_however_busy() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let now = Utc::now();
    set_session_times(&browser.app, now - Duration::hours(11), now).await;
    assert_eq!(browser.get("/admin", Some(&cookie)).await.status, 200);
    set_session_times(
        &browser.app,
        now - Duration::hours(12) - Duration::minutes(1),
        now,
    )
    .await;
    let expired = browser.get("/admin", Some(&cookie)).await;
    assert_eq!(expired.location(), "/admin/connexion?motif=expiree");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_is_audited() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let secret = browser.csrf(&cookie).await;
    let out = browser
        .post("/admin/deconnexion", &cookie, &[("csrf", &secret)])
        .await;
    assert_eq!(
        (out.status, out.location()),
        (303, "/admin/connexion?motif=deconnexion")
    );
    assert!(
        out.set_cookie("territoires_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = browser.get("/admin", Some(&cookie)).await;
    assert_eq!(after.location(), "/admin/connexion?motif=connexion");
    let page = browser.get(out.location(), None).await;
    assert!(page.body.contains("Vous êtes déconnecté"));
    let actions: Vec<AuditAction> = audit_entries(&browser.app, "ConsoleSession")
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, [AuditAction::Create, AuditAction::Archive]);
}

#[tokio::test]
async fn revoking_the_token_ends_its_console_sessions() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let session = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    territoires::access::revoke_token(&browser.app.db, &session.token_name)
        .await
        .unwrap();
    let answer = browser.get("/admin", Some(&cookie)).await;
    assert_eq!(answer.location(), "/admin/connexion?motif=jeton");
}

#[tokio::test]
async fn every_page_is_uncached_framed_by_no_one_and_strict_about_sources() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    for path in [
        "/admin",
        "/admin/historique",
        "/admin/jetons",
        "/admin/journal",
        "/admin/connexion",
        "/admin/nulle-part",
    ] {
        let page = browser.get(path, Some(&cookie)).await;
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
        let csp = page.header("content-security-policy");
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "script-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
    }
    // The style sheet, embedded and versioned, is cached for long.
    let dashboard = browser.get("/admin", Some(&cookie)).await;
    let start = dashboard.body.find("/admin/static/console-").unwrap();
    let end = dashboard.body[start..].find('"').unwrap() + start;
    let css = browser.get(&dashboard.body[start..end], None).await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("immutable"));
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains(":focus-visible"));
    assert_eq!(
        browser
            .get("/admin/static/console-0.css", None)
            .await
            .status,
        404
    );
}

pub(super) const HEADER: &str = "Nom;Prénom;Courriel;Territoire\n";

pub(super) async fn import(
    app: &TestApp,
    trigger: SyncTrigger,
    csv: &str,
    force: bool,
) -> territoires_sync::SyncReport {
    let options = ImportOptions::new(trigger, "schedule").force(force);
    import_roster(
        &app.db,
        RosterSource::bytes("liste.csv", csv.as_bytes().to_vec()),
        &options,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_dashboard_shows_the_last_import_whatever_its_outcome_and_what_needs_attention() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let quiet = browser.get("/admin", Some(&cookie)).await;
    assert!(quiet.body.contains("Aucun import n'a encore eu lieu"));
    assert!(quiet.body.contains("Aucune alerte"));
    assert!(quiet.body.contains("Aucun fichier en attente"));
    assert!(quiet.body.contains("Prochain import planifié"));

    // One person left: applied by force, six territories are vacant.
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    import(&browser.app, SyncTrigger::Cli, &one, true).await;
    // Then a rejected night.
    let bad = format!("{HEADER}Martin;Paul;pas-un-courriel;2\n");
    let rejected = import(&browser.app, SyncTrigger::Schedule, &bad, false).await;
    assert_eq!(rejected.status, entity::SyncStatus::Rejected);
    std::fs::write(browser.app.inbox.path().join("liste-rh.csv"), "x").unwrap();

    let page = browser.get("/admin", Some(&cookie)).await;
    assert!(page.body.contains("Rejeté"), "{}", page.body);
    assert!(page.body.contains("Territoires sans coordonnateur actif"));
    assert!(page.body.contains("Territoire 7"));
    assert!(!page.body.contains("Territoire 1,"));
    assert!(
        page.body
            .contains(&format!("/admin/historique/{}", rejected.run_id.unwrap()))
    );
    assert!(page.body.contains("liste-rh.csv"));
    // Paris time with its offset.
    assert!(page.body.contains(" +01:00") || page.body.contains(" +02:00"));
}

#[tokio::test]
async fn the_dashboard_says_when_this_server_does_not_run_the_nightly_import() {
    let scheduled = Browser::new().await;
    let cookie = scheduled.sign_in().await;
    let page = scheduled.get("/admin", Some(&cookie)).await;
    assert!(page.body.contains("Planification : "), "{}", page.body);
    assert!(!page.body.contains("SYNC_SCHEDULE=false"));

    let app =
        spawn_app_configured(TestDb::new().await, |_| {}, |sync| sync.scheduled = false).await;
    let unscheduled = Browser::on(app);
    let cookie = unscheduled.sign_in().await;
    std::fs::write(unscheduled.app.inbox.path().join("liste-rh.csv"), "x").unwrap();
    let page = unscheduled.get("/admin", Some(&cookie)).await;
    assert!(
        page.body
            .contains("ce serveur ne lance pas l'import nocturne (SYNC_SCHEDULE=false)"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Planification : "),
        "no next run to promise"
    );
    assert!(page.body.contains("liste-rh.csv"));
}

#[tokio::test]
async fn the_history_lists_runs_25_a_page_filters_by_status_and_shows_each_report() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let bad = format!("{HEADER}Martin;Paul;pas-un-courriel;2\n");
    let rejected = import(&browser.app, SyncTrigger::Upload, &bad, false).await;
    let one = format!("{HEADER}Durand;Alice;alice.durand@hauts-de-seine.fr;1\n");
    let refused = import(&browser.app, SyncTrigger::Schedule, &one, false).await;
    assert_eq!(refused.status, entity::SyncStatus::Refused);
    for _ in 0..27 {
        import(&browser.app, SyncTrigger::Cli, &bad, false).await;
    }
    let first = browser.get("/admin/historique", Some(&cookie)).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body.matches("<tr>").count(), 26, "header and 25 runs");
    assert!(first.body.contains("Page 1 sur 2"));
    let second = browser.get("/admin/historique?page=2", Some(&cookie)).await;
    assert_eq!(second.body.matches("<tr>").count(), 5);
    let only_refused = browser
        .get("/admin/historique?statut=REFUSED", Some(&cookie))
        .await;
    assert_eq!(only_refused.body.matches("<tr>").count(), 2);
    assert!(
        only_refused
            .body
            .contains(&format!("Import n° {}", refused.run_id.unwrap()))
    );

    let report = browser
        .get(
            &format!("/admin/historique/{}", rejected.run_id.unwrap()),
            Some(&cookie),
        )
        .await;
    assert_eq!(report.status, 200);
    assert!(report.body.contains("Fichier rejeté"));
    assert!(report.body.contains("Courriel"), "{}", report.body);
    assert!(
        report.body.contains("<td class=\"num\">2</td>"),
        "the row of the problem"
    );
    let refused_page = browser
        .get(
            &format!("/admin/historique/{}", refused.run_id.unwrap()),
            Some(&cookie),
        )
        .await;
    assert!(
        refused_page
            .body
            .contains("Territoires laissés sans coordonnateur")
    );
    assert!(refused_page.body.contains("Désactivation"));

    for path in [
        "/admin/historique/999999",
        "/admin/historique/abc",
        "/admin/historique/-1",
    ] {
        assert_eq!(browser.get(path, Some(&cookie)).await.status, 404, "{path}");
    }
    for query in [
        "?page=-3",
        "?page=abc",
        "?page=99999999999999999999",
        "?statut=NOPE",
    ] {
        let page = browser
            .get(&format!("/admin/historique{query}"), Some(&cookie))
            .await;
        assert_eq!(page.status, 200, "{query}");
    }

    // An applied run keeps a compact plan: its page shows the counts and changed fields,
    // and sends to the journal for the values.
    let applied = import(&browser.app, SyncTrigger::Cli, &one, true).await;
    assert_eq!(applied.status, entity::SyncStatus::Applied);
    let applied_page = browser
        .get(
            &format!("/admin/historique/{}", applied.run_id.unwrap()),
            Some(&cookie),
        )
        .await;
    assert_eq!(applied_page.status, 200);
    assert!(
        applied_page.body.contains("Détail dans le"),
        "{}",
        applied_page.body
    );
    assert!(applied_page.body.contains("Champ modifié"));
    assert!(applied_page.body.contains("Désactivations"));
    assert!(applied_page.body.contains("/admin/journal"));
    assert!(
        applied_page
            .body
            .contains("Territoires laissés sans coordonnateur")
    );
}

#[tokio::test]
async fn tokens_are_created_shown_once_and_revoked_all_audited() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let author = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap()
        .token_name;
    let secret = browser.csrf(&cookie).await;
    let created = browser
        .post(
            "/admin/jetons",
            &cookie,
            &[
                ("csrf", &secret),
                ("name", "portail-public"),
                ("role", "EDITOR"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let start = created.body.find("terr_").unwrap();
    let end = created.body[start..].find('<').unwrap() + start;
    let token = &created.body[start..end];
    let answer = browser
        .app
        .graphql_as(token, "{ territories { number } }", serde_json::json!({}))
        .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    // Shown once: the list does not show it again.
    let list = browser.get("/admin/jetons", Some(&cookie)).await;
    assert!(list.body.contains("portail-public"));
    assert!(!list.body.contains(token));

    let again = browser
        .post(
            "/admin/jetons",
            &cookie,
            &[
                ("csrf", &secret),
                ("name", "portail-public"),
                ("role", "EDITOR"),
            ],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("existe déjà"));
    let bad_days = browser
        .post(
            "/admin/jetons",
            &cookie,
            &[
                ("csrf", &secret),
                ("name", "x"),
                ("role", "ADMIN"),
                ("days", "0"),
            ],
        )
        .await;
    assert_eq!(bad_days.status, 400);

    let revoked = browser
        .post(
            "/admin/jetons/revocation",
            &cookie,
            &[("csrf", &secret), ("name", "portail-public")],
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert!(revoked.body.contains("est révoqué"));
    let refused = browser
        .app
        .graphql_as(token, "{ territories { number } }", serde_json::json!({}))
        .await;
    assert_eq!(
        territoires_tests::error_code(&refused),
        Some("UNAUTHENTICATED")
    );

    let entries = audit_entries(&browser.app, "ApiToken").await;
    let logged: Vec<(AuditAction, &str)> = entries
        .iter()
        .map(|e| (e.action, e.actor.as_str()))
        .collect();
    assert_eq!(
        logged,
        [
            (AuditAction::Create, author.as_str()),
            (AuditAction::Update, author.as_str())
        ]
    );
    assert!(entries[1].changes.contains("revokedAt"));

    let journal = browser
        .get(
            &format!("/admin/journal?objet=ApiToken&auteur={author}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(journal.status, 200);
    assert!(journal.body.contains("Jeton d&#39;accès") || journal.body.contains("Jeton d'accès"));
    assert_eq!(
        journal.body.matches("<tr>").count(),
        3,
        "header and two entries"
    );
    let other = browser
        .get("/admin/journal?auteur=personne", Some(&cookie))
        .await;
    assert!(other.body.contains("Aucune entrée"));
}

#[tokio::test]
async fn hostile_requests_are_bounded_and_answered_in_french() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let secret = browser.csrf(&cookie).await;
    // A huge form is cut at its bound, not read whole.
    let huge = format!("csrf={secret}&name={}", "a".repeat(2 * 1024 * 1024));
    let answer = browser
        .client
        .post(format!("{}/admin/jetons", browser.app.address))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ORIGIN, &browser.origin)
        .header(COOKIE, &cookie)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 413);
    // Not a form.
    let json = browser
        .client
        .post(format!("{}/admin/jetons", browser.app.address))
        .header(CONTENT_TYPE, "application/json")
        .header(ORIGIN, &browser.origin)
        .header(COOKIE, &cookie)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 415);
    // Malformed cookies are no session, never an error.
    let long = format!("territoires_session={}", "A".repeat(10_000));
    for bad in [
        "territoires_session=",
        "territoires_session=%00%ff",
        "territoires_session=a;b;c=;=;;",
        long.as_str(),
        "territoires_session=../../etc",
    ] {
        let page = browser.get("/admin", Some(bad)).await;
        assert_eq!(page.location(), "/admin/connexion?motif=connexion", "{bad}");
    }
    let raw = browser
        .client
        .get(format!("{}/admin", browser.app.address))
        .header(
            COOKIE,
            reqwest::header::HeaderValue::from_bytes(b"territoires_session=\xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 303);
    // Huge or odd filters.
    let filter = format!("/admin/journal?auteur={}&objet=%00", "x".repeat(5000));
    assert_eq!(browser.get(&filter, Some(&cookie)).await.status, 200);
    // Markup in data is escaped.
    let created = browser
        .post(
            "/admin/jetons",
            &cookie,
            &[
                ("csrf", &secret),
                ("name", "<script>alert(1)</script>"),
                ("role", "EDITOR"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    for name in ["nul\u{0}byte", ""] {
        let refused = browser
            .post(
                "/admin/jetons",
                &cookie,
                &[("csrf", &secret), ("name", name), ("role", "EDITOR")],
            )
            .await;
        assert_eq!(refused.status, 400, "{name:?}");
        let revoke = browser
            .post(
                "/admin/jetons/revocation",
                &cookie,
                &[("csrf", &secret), ("name", name)],
            )
            .await;
        assert_eq!(revoke.status, 404, "{name:?}");
    }
    assert!(!created.body.contains("<script>alert"));
    assert!(created.body.contains("&lt;script&gt;"));
}

/// SQL statements the application runs for `path` (asked twice, counting the second, so
/// a directory reload after a data change is not counted).
pub(super) async fn statements_for(browser: &Browser, path: &str, cookie: &str) -> usize {
    assert_eq!(browser.get(path, Some(cookie)).await.status, 200, "{path}");
    let before = browser.app.statements();
    assert_eq!(browser.get(path, Some(cookie)).await.status, 200, "{path}");
    browser.app.statements() - before
}

#[tokio::test]
async fn list_pages_run_as_many_statements_for_a_full_page_as_for_a_short_one() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let bad = format!("{HEADER}Martin;Paul;pas-un-courriel;2\n");
    import(&browser.app, SyncTrigger::Cli, &bad, false).await;
    let pages = [
        "/admin",
        "/admin/historique",
        "/admin/journal",
        "/admin/jetons",
    ];
    let mut short = Vec::new();
    for path in pages {
        short.push(statements_for(&browser, path, &cookie).await);
    }
    for n in 0..30 {
        import(&browser.app, SyncTrigger::Cli, &bad, false).await;
        territoires::access::create_token_as(
            &browser.app.db,
            &territoires::editing::Author::now("test"),
            &format!("t{n}"),
            Role::Editor,
            None,
        )
        .await
        .unwrap();
    }
    for (path, short) in pages.into_iter().zip(short) {
        assert_eq!(
            statements_for(&browser, path, &cookie).await,
            short,
            "{path}"
        );
    }
}

#[test]
fn public_url_must_be_a_plain_http_address() {
    use territoires::config::parse_public_url;
    assert_eq!(
        parse_public_url(" https://territoires.example.fr/ ").as_deref(),
        Ok("https://territoires.example.fr")
    );
    assert_eq!(
        parse_public_url("http://intranet:8080/territoires").as_deref(),
        Ok("http://intranet:8080/territoires")
    );
    for bad in [
        "territoires.example.fr",
        "ftp://x.fr",
        "https://",
        "https://:443",
        "https://x.fr/?a=b",
        "https://user@x.fr",
        "https://x .fr",
    ] {
        assert!(parse_public_url(bad).is_err(), "{bad}");
    }
}

/// `/admin/`, as people type it, leads to the console rather than to a 404.
#[tokio::test]
async fn the_address_with_a_trailing_slash_leads_to_the_console() {
    let browser = Browser::new().await;
    let answer = browser.get("/admin/", None).await;
    assert_eq!((answer.status, answer.location()), (308, "/admin"));
}
