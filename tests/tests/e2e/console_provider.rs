//! The console signs in through the identity provider (issue 12): authorization code with
//! PKCE against the in-process test provider of [`super::oidc`], the test playing the
//! browser's part at the provider's authorization endpoint. Attacks tested: a missing,
//! foreign, unknown or replayed `state`; a return without the attempt's cookie; a wrong
//! `nonce`; an expired ID token; an ID token for another client; a provider's `error=`;
//! a failed code exchange; a person without the ADMIN role; an oversized return; a
//! failed or role-losing renewal; a rotated refresh token that cannot be stored. A
//! person's console actions are audited under them (subject and e-mail), a token's under
//! its name alone.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use entity::{AuditAction, Role, audit_log, console_session, console_sign_in};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use territoires::config::ServerConfig;
use territoires_tests::{TestApp, TestDb, spawn_app_with};

use super::console::{Browser, Page, pair};
use super::console_upload::{fixture, hidden, run_of};
use super::oidc::{ADMIN, EDITOR, Provider, TestKey, now, settings};

const CLIENT: &str = "territoires-console";
const SECRET: &str = "s3cret:+/é";
const PUBLIC: &str = "http://127.0.0.1:9";

/// The console of an application whose provider is `provider`, once the provider's
/// metadata is read (the sign-in starts only then).
async fn console(provider: &Provider) -> Browser {
    let mut oidc = settings(&provider.issuer());
    oidc.console_client_id = Some(CLIENT.to_owned());
    oidc.console_client_secret = Some(SECRET.to_owned());
    let app = spawn_app_with(TestDb::new().await, move |c: &mut ServerConfig| {
        c.oidc = oidc;
        c.public_url = Some(PUBLIC.to_owned());
    })
    .await;
    let mut browser = Browser::on(app);
    browser.origin = PUBLIC.to_owned();
    for _ in 0..200 {
        if browser.get("/admin/connexion/oidc", None).await.status == 303 {
            return browser;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the provider's metadata was never read");
}

/// An attempt: the cookie holding its state, and the parameters sent to the provider.
struct Attempt {
    cookie: String,
    params: HashMap<String, String>,
}

impl Attempt {
    fn state(&self) -> &str {
        &self.params["state"]
    }
    fn nonce(&self) -> &str {
        &self.params["nonce"]
    }
}

async fn begin(browser: &Browser, provider: &Provider) -> Attempt {
    let page = browser.get("/admin/connexion/oidc", None).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = reqwest::Url::parse(page.location()).unwrap();
    assert!(
        location.as_str().starts_with(&format!(
            "{}/protocol/openid-connect/auth?",
            provider.issuer()
        )),
        "{location}"
    );
    let set_cookie = page.set_cookie("territoires_oidc").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    Attempt {
        cookie: pair(&set_cookie),
        params: location.query_pairs().into_owned().collect(),
    }
}

fn id_token(issuer: &str, nonce: &str, roles: &[&str]) -> Value {
    let now = now();
    json!({
        "iss": issuer, "aud": CLIENT, "azp": CLIENT, "sub": "f1c2-camille",
        "name": "Camille Durand", "email": "camille.durand@hauts-de-seine.fr",
        "iat": now, "exp": now + 300, "nonce": nonce,
        "realm_access": { "roles": roles },
    })
}

fn tokens(key: &TestKey, claims: &Value, refresh: &str) -> Value {
    json!({
        "access_token": "opaque-access", "token_type": "Bearer", "expires_in": 300,
        "id_token": key.sign(claims), "refresh_token": refresh,
    })
}

async fn back(browser: &Browser, cookie: Option<&str>, query: &str) -> Page {
    browser
        .get(&format!("/admin/connexion/oidc/retour?{query}"), cookie)
        .await
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[tokio::test]
async fn an_administrator_signs_in_with_pkce_and_signs_out_at_the_provider() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;

    let sign_in = browser.get("/admin/connexion", None).await;
    let offered = sign_in
        .body
        .find("Se connecter avec le compte du Département")
        .unwrap();
    assert!(offered < sign_in.body.find("name=\"token\"").unwrap());

    let attempt = begin(&browser, &provider).await;
    let p = &attempt.params;
    assert_eq!(p["response_type"], "code");
    assert_eq!(p["client_id"], CLIENT);
    assert_eq!(
        p["redirect_uri"],
        format!("{PUBLIC}/admin/connexion/oidc/retour")
    );
    assert_eq!(p["code_challenge_method"], "S256");
    assert!(p["scope"].split(' ').any(|s| s == "openid"));
    assert_ne!(attempt.state(), attempt.nonce());

    let claims = id_token(&provider.issuer(), attempt.nonce(), &[ADMIN]);
    provider.answer_tokens(200, tokens(&key, &claims, "refresh-1"));
    let url = query(&[("code", "the-code"), ("state", attempt.state())]);
    let landed = back(&browser, Some(&attempt.cookie), &url).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    assert_eq!(landed.location(), "/admin");
    assert!(
        landed
            .set_cookie("territoires_oidc")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let session = pair(&landed.set_cookie("territoires_session").unwrap());

    // The code went with the verifier of the challenge, and the client's secret.
    let requests = provider.token_requests();
    assert_eq!(requests.len(), 1);
    let exchange = &requests[0];
    assert_eq!(exchange.field("grant_type"), Some("authorization_code"));
    assert_eq!(exchange.field("code"), Some("the-code"));
    assert_eq!(
        exchange.field("redirect_uri"),
        Some(p["redirect_uri"].as_str())
    );
    let verifier = exchange.field("code_verifier").unwrap();
    assert!((43..=128).contains(&verifier.len()));
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    assert_eq!(challenge, p["code_challenge"]);
    let basic = exchange.authorization.as_deref().unwrap();
    let decoded = String::from_utf8(
        STANDARD
            .decode(basic.strip_prefix("Basic ").unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(decoded, format!("{CLIENT}:s3cret%3A%2B%2F%C3%A9"));

    let dashboard = browser.get("/admin", Some(&session)).await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains("Camille Durand"));
    let stored = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.person_subject.as_deref(), Some("f1c2-camille"));
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-1"));

    // The same return again opens nothing.
    let replayed = back(&browser, Some(&attempt.cookie), &url).await;
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert_eq!(
        console_session::Entity::find()
            .count(&browser.app.db)
            .await
            .unwrap(),
        1
    );

    let csrf = browser.csrf(&session).await;
    let out = browser
        .post("/admin/deconnexion", &session, &[("csrf", &csrf)])
        .await;
    // A page moving on by itself, not a redirect (the form-action policy covers redirects).
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        out.set_cookie("territoires_session")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let refresh = out.header("refresh");
    let logout = reqwest::Url::parse(refresh.strip_prefix("0;url=").unwrap()).unwrap();
    assert!(out.body.contains(&logout.as_str().replace('&', "&amp;")));
    assert!(logout.as_str().starts_with(&format!(
        "{}/protocol/openid-connect/logout?",
        provider.issuer()
    )));
    let logout: HashMap<String, String> = logout.query_pairs().into_owned().collect();
    // RSA PKCS#1 v1.5 signatures are deterministic: the same token again.
    assert_eq!(logout["id_token_hint"], key.sign(&claims));
    assert_eq!(logout["client_id"], CLIENT);
    assert_eq!(
        logout["post_logout_redirect_uri"],
        format!("{PUBLIC}/admin/connexion?motif=deconnexion")
    );
    assert_eq!(browser.get("/admin", Some(&session)).await.status, 303);

    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("ConsoleSession"))
        .order_by_asc(audit_log::Column::Id)
        .all(&browser.app.db)
        .await
        .unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.action).collect();
    assert_eq!(actions, [AuditAction::Create, AuditAction::Archive]);
    for entry in &entries {
        assert_eq!(entry.actor, "Camille Durand");
        assert_eq!(entry.author_subject.as_deref(), Some("f1c2-camille"));
        assert_eq!(
            entry.author_email.as_deref(),
            Some("camille.durand@hauts-de-seine.fr")
        );
    }
}

/// What the token endpoint answers, given the attempt's nonce.
type Answer<'a> = Box<dyn Fn(&str) -> (u16, Value) + 'a>;

#[tokio::test]
async fn forged_replayed_and_refused_returns_open_no_session() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let other = TestKey::rsa("rsa-2.key.pem", "k2");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let issuer = provider.issuer();

    // Without a state, with another attempt's state, without the cookie, oversized.
    let attempt = begin(&browser, &provider).await;
    let second = begin(&browser, &provider).await;
    for (cookie, url) in [
        (Some(attempt.cookie.as_str()), query(&[("code", "c")])),
        (
            Some(attempt.cookie.as_str()),
            query(&[("code", "c"), ("state", second.state())]),
        ),
        (None, query(&[("code", "c"), ("state", attempt.state())])),
        (
            Some("territoires_oidc=made-up-state"),
            query(&[("code", "c"), ("state", "made-up-state")]),
        ),
        (
            Some(attempt.cookie.as_str()),
            query(&[("code", &"x".repeat(5000)), ("state", attempt.state())]),
        ),
    ] {
        let page = back(&browser, cookie, &url).await;
        assert_eq!(page.status, 400, "{url}: {}", page.body);
    }
    assert!(provider.token_requests().is_empty());

    // The provider refused: the attempt is spent, its error code shown, nothing exchanged.
    let url = query(&[
        ("error", "access_denied"),
        ("error_description", "<script>x</script>"),
        ("state", attempt.state()),
    ]);
    let page = back(&browser, Some(&attempt.cookie), &url).await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("access_denied") && !page.body.contains("<script>"));
    let again = query(&[("code", "c"), ("state", attempt.state())]);
    assert_eq!(
        back(&browser, Some(&attempt.cookie), &again).await.status,
        400
    );
    assert!(provider.token_requests().is_empty());

    // ID tokens that must not open a session, each on its own attempt.
    let good = |nonce: &str| id_token(&issuer, nonce, &[ADMIN]);
    let cases: Vec<(&str, Answer, u16)> = vec![
        (
            "wrong nonce",
            Box::new(|_: &str| (200, tokens(&key, &good("another-nonce"), "r"))),
            401,
        ),
        (
            "no nonce",
            Box::new(|n: &str| {
                let mut c = good(n);
                c.as_object_mut().unwrap().remove("nonce");
                (200, tokens(&key, &c, "r"))
            }),
            401,
        ),
        (
            "expired",
            Box::new(|n: &str| {
                let mut c = good(n);
                c["exp"] = json!(now() - 3600);
                c["iat"] = json!(now() - 7200);
                (200, tokens(&key, &c, "r"))
            }),
            401,
        ),
        (
            "another client",
            Box::new(|n: &str| {
                let mut c = good(n);
                c["aud"] = json!("territoires-front");
                c["azp"] = json!("territoires-front");
                (200, tokens(&key, &c, "r"))
            }),
            401,
        ),
        (
            "another issuer",
            Box::new(|n: &str| {
                let mut c = good(n);
                c["iss"] = json!("http://127.0.0.1:1/realms/cd92");
                (200, tokens(&key, &c, "r"))
            }),
            401,
        ),
        (
            "a key the provider does not publish",
            Box::new(|n: &str| (200, tokens(&other, &good(n), "r"))),
            401,
        ),
        (
            "no ID token",
            Box::new(|_: &str| (200, json!({"access_token": "a", "expires_in": 300}))),
            502,
        ),
        (
            "code refused",
            Box::new(|_: &str| (400, json!({"error": "invalid_grant"}))),
            502,
        ),
        (
            "an editor",
            Box::new(|n: &str| (200, tokens(&key, &id_token(&issuer, n, &[EDITOR]), "r"))),
            403,
        ),
        (
            "no role",
            Box::new(|n: &str| (200, tokens(&key, &id_token(&issuer, n, &[]), "r"))),
            403,
        ),
    ];
    for (what, answer, status) in cases {
        let attempt = begin(&browser, &provider).await;
        let (code, body) = answer(attempt.nonce());
        provider.answer_tokens(code, body);
        let url = query(&[("code", "c"), ("state", attempt.state())]);
        let page = back(&browser, Some(&attempt.cookie), &url).await;
        assert_eq!(page.status, status, "{what}: {}", page.body);
        assert!(page.set_cookie("territoires_session").is_none(), "{what}");
        if status == 403 {
            assert!(page.body.contains("rôle d'administrateur"), "{what}");
        }
    }
    assert_eq!(
        console_session::Entity::find()
            .count(&browser.app.db)
            .await
            .unwrap(),
        0
    );
}

/// Signs Camille in; returns the session cookie.
async fn signed_in(browser: &Browser, provider: &Provider, key: &TestKey) -> String {
    let attempt = begin(browser, provider).await;
    let claims = id_token(&provider.issuer(), attempt.nonce(), &[ADMIN]);
    provider.answer_tokens(200, tokens(key, &claims, "refresh-1"));
    let url = query(&[("code", "c"), ("state", attempt.state())]);
    let landed = back(browser, Some(&attempt.cookie), &url).await;
    assert_eq!(landed.status, 303, "{}", landed.body);
    pair(&landed.set_cookie("territoires_session").unwrap())
}

/// Makes the session's access token expired.
async fn expire_access(browser: &Browser) {
    console_session::Entity::update_many()
        .col_expr(
            console_session::Column::AccessExpiresAt,
            Expr::value(Utc::now() - Duration::seconds(5)),
        )
        .exec(&browser.app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_are_renewed_with_the_refresh_token_and_end_when_renewal_fails() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let issuer = provider.issuer();
    let session = signed_in(&browser, &provider, &key).await;

    // Before expiry: no renewal.
    assert_eq!(browser.get("/admin", Some(&session)).await.status, 200);
    assert_eq!(provider.token_requests().len(), 1);

    // Expired: renewed with the refresh token; a rotated refresh token is kept.
    expire_access(&browser).await;
    let mut renewed = id_token(&issuer, "ignored", &[ADMIN]);
    renewed.as_object_mut().unwrap().remove("nonce");
    provider.answer_tokens(200, tokens(&key, &renewed, "refresh-2"));
    assert_eq!(browser.get("/admin", Some(&session)).await.status, 200);
    let requests = provider.token_requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].field("grant_type"), Some("refresh_token"));
    assert_eq!(requests[1].field("refresh_token"), Some("refresh-1"));
    let stored = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-2"));
    assert!(stored.access_expires_at.unwrap() > Utc::now());

    // The provider refuses the refresh token: the session ends.
    expire_access(&browser).await;
    provider.answer_tokens(400, json!({"error": "invalid_grant"}));
    let ended = browser.get("/admin", Some(&session)).await;
    assert_eq!(ended.status, 303);
    assert_eq!(ended.location(), "/admin/connexion?motif=renouvellement");
    assert_eq!(
        console_session::Entity::find()
            .count(&browser.app.db)
            .await
            .unwrap(),
        0
    );
    let page = browser.get(ended.location(), None).await;
    assert!(page.body.contains("n'a pas pu être renouvelée"));

    // A renewal whose ID token no longer carries the ADMIN role ends the session too.
    let session = signed_in(&browser, &provider, &key).await;
    expire_access(&browser).await;
    let mut demoted = id_token(&issuer, "ignored", &[EDITOR]);
    demoted.as_object_mut().unwrap().remove("nonce");
    provider.answer_tokens(200, tokens(&key, &demoted, "refresh-3"));
    let ended = browser.get("/admin", Some(&session)).await;
    assert_eq!(ended.location(), "/admin/connexion?motif=renouvellement");

    // Idle for 30 minutes: the session ends without asking the provider.
    let session = signed_in(&browser, &provider, &key).await;
    let asked = provider.token_requests().len();
    console_session::Entity::update_many()
        .col_expr(
            console_session::Column::LastSeenAt,
            Expr::value(Utc::now() - Duration::minutes(31)),
        )
        .exec(&browser.app.db)
        .await
        .unwrap();
    expire_access(&browser).await;
    let ended = browser.get("/admin", Some(&session)).await;
    assert_eq!(ended.location(), "/admin/connexion?motif=expiree");
    assert_eq!(provider.token_requests().len(), asked);
}

#[tokio::test]
async fn a_flood_of_started_sign_ins_drops_the_oldest_instead_of_refusing_new_ones() {
    use sea_orm::{ActiveValue::Set, QuerySelect};
    use territoires::console::pages::provider::MAX_PENDING;
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let db = &browser.app.db;
    let created_at = Utc::now();
    let mut stored = console_sign_in::Entity::find().count(db).await.unwrap();
    while stored < MAX_PENDING {
        let batch: Vec<_> = (stored..(stored + 500).min(MAX_PENDING))
            .map(|n| console_sign_in::ActiveModel {
                state_hash: Set(format!("flood-{n}")),
                nonce: Set("n".to_owned()),
                code_verifier: Set("v".to_owned()),
                created_at: Set(created_at),
                ..Default::default()
            })
            .collect();
        stored += batch.len() as u64;
        console_sign_in::Entity::insert_many(batch)
            .exec(db)
            .await
            .unwrap();
    }
    let first_id = console_sign_in::Entity::find()
        .order_by_asc(console_sign_in::Column::Id)
        .limit(1)
        .all(db)
        .await
        .unwrap()[0]
        .id;
    let attempt = begin(&browser, &provider).await;
    assert_eq!(
        console_sign_in::Entity::find().count(db).await.unwrap(),
        MAX_PENDING
    );
    let oldest = console_sign_in::Entity::find()
        .order_by_asc(console_sign_in::Column::Id)
        .limit(1)
        .all(db)
        .await
        .unwrap();
    assert_eq!(
        oldest.first().map(|a| a.id),
        Some(first_id + 1),
        "the oldest attempt made room"
    );
    let mine = territoires::access::hash_token(attempt.state());
    assert_eq!(
        console_sign_in::Entity::find()
            .filter(console_sign_in::Column::StateHash.eq(mine))
            .count(db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn without_a_console_client_the_provider_sign_in_is_absent() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let oidc = settings(&provider.issuer());
    let app = spawn_app_with(TestDb::new().await, move |c: &mut ServerConfig| {
        c.oidc = oidc;
    })
    .await;
    let browser = Browser::on(app);
    let page = browser.get("/admin/connexion", None).await;
    assert!(!page.body.contains("compte du Département"));
    assert_eq!(browser.get("/admin/connexion/oidc", None).await.status, 404);
    assert_eq!(
        browser
            .get("/admin/connexion/oidc/retour?code=c&state=s", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_sign_in_migration_goes_down_and_up() {
    let database = TestDb::new().await;
    let mut options = sea_orm::ConnectOptions::new(database.url().to_owned());
    options.max_connections(1).min_connections(1);
    let db = sea_orm::Database::connect(options).await.unwrap();
    // Down to just before migration 29, past whatever later migrations added since.
    let migrations = Migrator::migrations();
    let at = migrations
        .iter()
        .position(|m| m.name() == "m20261203_000029_console_sign_in_with_provider")
        .unwrap();
    let steps = u32::try_from(migrations.len() - at).unwrap();
    Migrator::down(&db, Some(steps)).await.unwrap();
    assert!(console_sign_in::Entity::find().count(&db).await.is_err());
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(console_sign_in::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(console_session::Entity::find().count(&db).await.unwrap(), 0);
}

/// Through the console with `cookie`: uploads the HR export and applies its plan, then
/// creates and revokes a token.
async fn console_actions(browser: &Browser, cookie: &str) {
    let bytes = fixture("roster-92-hr-export.xlsx");
    let plan = browser.upload(cookie, "export RH.xlsx", bytes).await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    let applied = browser
        .post(
            "/admin/deposer/appliquer",
            cookie,
            &[
                ("csrf", &hidden(&plan, "csrf")),
                ("empreinte", &hidden(&plan, "empreinte")),
                ("version", &hidden(&plan, "version")),
            ],
        )
        .await;
    run_of(&applied);
    let secret = browser.csrf(cookie).await;
    let created = browser
        .post(
            "/admin/jetons",
            cookie,
            &[
                ("csrf", &secret),
                ("name", "lecture-portail"),
                ("role", "EDITOR"),
                ("days", ""),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let revoked = browser
        .post(
            "/admin/jetons/revocation",
            cookie,
            &[("csrf", &secret), ("name", "lecture-portail")],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
}

/// Every audit entry (`entity`, `actor`, `author`) and every sync run (`actor`, `author`),
/// as an ADMIN token reads them through the API.
async fn audited(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    let admin = app.token(Role::Admin).await;
    let answer = app
        .graphql_as(
            &admin,
            "{ auditLog(first: 100) { edges { node { entity actor \
               author { kind name subject email } } } } \
               syncRuns(first: 100) { edges { node { dryRun actor \
               author { kind name subject email } } } } }",
            json!({}),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let nodes = |list: &str| -> Vec<Value> {
        answer["data"][list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"].clone())
            .collect()
    };
    (nodes("auditLog"), nodes("syncRuns"))
}

/// How many entries of `entries` are about `entity`.
fn about(entries: &[Value], entity: &str) -> usize {
    entries.iter().filter(|e| e["entity"] == entity).count()
}

#[tokio::test]
async fn a_person_s_console_actions_are_audited_with_their_subject_and_e_mail() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let session = signed_in(&browser, &provider, &key).await;
    console_actions(&browser, &session).await;

    let camille = json!({
        "kind": "PERSON", "name": "Camille Durand", "subject": "f1c2-camille",
        "email": "camille.durand@hauts-de-seine.fr",
    });
    let (entries, runs) = audited(&browser.app).await;
    // The sign-in, the dry run and the apply, the token's creation and revocation, and
    // the import's changes to the seven people.
    assert_eq!(about(&entries, "ConsoleSession"), 1, "{entries:?}");
    assert_eq!(about(&entries, "SyncRun"), 2, "{entries:?}");
    assert_eq!(about(&entries, "ApiToken"), 2, "{entries:?}");
    assert_eq!(about(&entries, "Coordinator"), 7, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry["author"], camille, "{entry}");
        let actor = if entry["entity"] == "Coordinator" {
            "roster-sync"
        } else {
            "Camille Durand"
        };
        assert_eq!(entry["actor"], actor, "{entry}");
    }
    assert_eq!(runs.len(), 2, "the dry run and the apply: {runs:?}");
    for run in &runs {
        assert_eq!(run["author"], camille, "{run}");
        assert_eq!(run["actor"], "Camille Durand", "{run}");
    }
    // The stored columns behind them.
    for run in entity::sync_run::Entity::find()
        .all(&browser.app.db)
        .await
        .unwrap()
    {
        assert_eq!(run.author_subject.as_deref(), Some("f1c2-camille"));
        assert_eq!(
            run.author_email.as_deref(),
            Some("camille.durand@hauts-de-seine.fr")
        );
    }
}

#[tokio::test]
async fn a_token_s_console_actions_are_audited_under_its_name_without_a_person() {
    let browser = Browser::new().await;
    let cookie = browser.sign_in().await;
    let token_name = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap()
        .token_name;
    console_actions(&browser, &cookie).await;

    let token = json!({ "kind": "TOKEN", "name": token_name, "subject": null, "email": null });
    let (entries, runs) = audited(&browser.app).await;
    assert_eq!(about(&entries, "ConsoleSession"), 1, "{entries:?}");
    assert_eq!(about(&entries, "SyncRun"), 2, "{entries:?}");
    assert_eq!(about(&entries, "ApiToken"), 2, "{entries:?}");
    assert_eq!(about(&entries, "Coordinator"), 7, "{entries:?}");
    for entry in &entries {
        if entry["entity"] == "Coordinator" {
            let service = json!({
                "kind": "SYSTEM", "name": "roster-sync", "subject": null, "email": null,
            });
            assert_eq!(entry["author"], service, "{entry}");
        } else {
            assert_eq!(entry["author"], token, "{entry}");
            assert_eq!(entry["actor"], token_name.as_str(), "{entry}");
        }
    }
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in &runs {
        assert_eq!(run["author"], token, "{run}");
    }
    let stored = entity::sync_run::Entity::find()
        .all(&browser.app.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|run| run.author_subject.is_none()
        && run.author_name.is_none()
        && run.author_email.is_none()));
}

#[tokio::test]
async fn a_renewal_without_an_id_token_keeps_the_session_and_stores_the_rotated_refresh_token() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let session = signed_in(&browser, &provider, &key).await;
    let signed_in_with = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap()
        .id_token;

    // No ID token in the answer: the role is not checked again, the session goes on
    // with the role of the sign-in's ID token, kept for the sign-out.
    expire_access(&browser).await;
    provider.answer_tokens(
        200,
        json!({
            "access_token": "opaque-access-2", "token_type": "Bearer", "expires_in": 300,
            "refresh_token": "refresh-2",
        }),
    );
    assert_eq!(browser.get("/admin", Some(&session)).await.status, 200);
    let stored = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-2"));
    assert_eq!(stored.id_token, signed_in_with);
    assert!(stored.access_expires_at.unwrap() > Utc::now());

    // Neither an ID token nor a rotated refresh token: the one used is kept.
    expire_access(&browser).await;
    provider.answer_tokens(
        200,
        json!({ "access_token": "opaque-access-3", "token_type": "Bearer", "expires_in": 300 }),
    );
    assert_eq!(browser.get("/admin", Some(&session)).await.status, 200);
    let requests = provider.token_requests();
    assert_eq!(
        requests.last().unwrap().field("refresh_token"),
        Some("refresh-2")
    );
    let stored = console_session::Entity::find()
        .one(&browser.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("refresh-2"));
}

#[tokio::test]
async fn a_rotated_refresh_token_that_cannot_be_stored_ends_the_session() {
    let key = TestKey::rsa("rsa-1.key.pem", "k1");
    let provider = Provider::start(&[&key]).await;
    let browser = console(&provider).await;
    let session = signed_in(&browser, &provider, &key).await;
    // The database refuses to store the rotated token (and only that write).
    let db = &browser.app.db;
    let refuse = if db.get_database_backend() == DbBackend::Postgres {
        vec![
            "CREATE FUNCTION refuse_rotation() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.refresh_token = 'refresh-2' THEN \
             RAISE EXCEPTION 'rotation refused by the test'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_rotation BEFORE UPDATE ON console_sessions \
             FOR EACH ROW EXECUTE FUNCTION refuse_rotation()",
        ]
    } else {
        vec![
            "CREATE TRIGGER refuse_rotation BEFORE UPDATE ON console_sessions \
             WHEN NEW.refresh_token = 'refresh-2' \
             BEGIN SELECT RAISE(ABORT, 'rotation refused by the test'); END",
        ]
    };
    for statement in refuse {
        db.execute_unprepared(statement).await.unwrap();
    }

    expire_access(&browser).await;
    let mut renewed = id_token(&provider.issuer(), "ignored", &[ADMIN]);
    renewed.as_object_mut().unwrap().remove("nonce");
    provider.answer_tokens(200, tokens(&key, &renewed, "refresh-2"));
    let ended = browser.get("/admin", Some(&session)).await;
    assert_eq!(
        provider
            .token_requests()
            .last()
            .unwrap()
            .field("refresh_token"),
        Some("refresh-1"),
        "the provider renewed, rotating its refresh token"
    );
    // Not an error page with the session left running on a token the provider replaced:
    // the session is over, with the failed renewal's message.
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert_eq!(ended.location(), "/admin/connexion?motif=renouvellement");
    assert_eq!(console_session::Entity::find().count(db).await.unwrap(), 0);
    let again = browser.get("/admin", Some(&session)).await;
    assert_eq!(again.location(), "/admin/connexion?motif=connexion");
}
