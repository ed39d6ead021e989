//! People's access tokens (issue 12): an OpenID provider served in-process on
//! 127.0.0.1 (discovery and key set, over real HTTP, counting its key set fetches),
//! tokens signed here with the committed test-only keys of `tests/fixtures/oidc/`, and
//! the real application checking them. Attacks tested: expired, not yet valid, issued
//! in the future, wrong issuer, wrong audience, tampered payload, `alg: none`, HS256
//! signed with the public key, an EC key named under an RSA algorithm, an unknown key,
//! a withdrawn key, a flood of made-up key ids, ID tokens, an oversized token, the
//! provider down at start.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use entity::Role;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde_json::{Value, json};
use territoires::config::{OidcSettings, ServerConfig};
use territoires_tests::{TestApp, TestDb, error_code, join_all, spawn_app, spawn_app_with};

const AUDIENCE: &str = "api://territoires";
pub(super) const EDITOR: &str = "territoires.editeur";
pub(super) const ADMIN: &str = "territoires.admin";

/// A signing key of the test provider.
pub(super) struct TestKey {
    kid: String,
    pair: Pair,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

fn pkcs8(file: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/oidc/{file}", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(path).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

impl TestKey {
    pub(super) fn rsa(file: &str, kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: Pair::Rsa(RsaKeyPair::from_pkcs8(&pkcs8(file)).unwrap()),
        }
    }

    fn ec(file: &str, kid: &str) -> Self {
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8(file),
            &SystemRandom::new(),
        )
        .unwrap();
        Self {
            kid: kid.to_owned(),
            pair: Pair::Ec(pair),
        }
    }

    /// The public JWK, as a provider publishes it (RSA with `alg`, EC without, as
    /// Entra and Keycloak differ).
    fn jwk(&self) -> Value {
        match &self.pair {
            Pair::Rsa(pair) => {
                let components: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                json!({
                    "kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                    "n": URL_SAFE_NO_PAD.encode(&components.n),
                    "e": URL_SAFE_NO_PAD.encode(&components.e),
                })
            }
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({
                    "kty": "EC", "kid": self.kid, "use": "sig", "crv": "P-256",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                })
            }
        }
    }

    /// The public key's bytes (what an HS256 attack uses as the shared secret).
    fn public_bytes(&self) -> Vec<u8> {
        match &self.pair {
            Pair::Rsa(pair) => pair.public().as_ref().to_vec(),
            Pair::Ec(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// A token with `claims`, its header's `alg` matching the key.
    pub(super) fn sign(&self, claims: &Value) -> String {
        let alg = match self.pair {
            Pair::Rsa(_) => "RS256",
            Pair::Ec(_) => "ES256",
        };
        self.sign_with(
            &json!({ "alg": alg, "typ": "JWT", "kid": self.kid }),
            claims,
        )
    }

    /// A token with `header` and `claims`, signed by this key with its own algorithm.
    fn sign_with(&self, header: &Value, claims: &Value) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    signed.as_bytes(),
                    &mut signature,
                )
                .unwrap();
                signature
            }
            Pair::Ec(pair) => pair
                .sign(&rng, signed.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
        };
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// What the provider serves, how often its key set was fetched, and what its token
/// endpoint received and answers.
#[derive(Clone)]
struct Published {
    issuer: String,
    keys: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicUsize>,
    token_requests: Arc<Mutex<Vec<TokenRequest>>>,
    token_answer: Arc<Mutex<(u16, Value)>>,
}

/// A request to the test provider's token endpoint.
#[derive(Debug, Clone)]
pub(super) struct TokenRequest {
    /// The form's fields.
    pub(super) form: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub(super) authorization: Option<String>,
}

impl TokenRequest {
    pub(super) fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An OpenID provider on 127.0.0.1: discovery, key set, and a token endpoint answering
/// what the test sets (the console's tests play the browser's part at the authorization
/// endpoint themselves).
pub(super) struct Provider {
    published: Published,
    server: tokio::task::JoinHandle<()>,
}

impl Provider {
    pub(super) async fn start(keys: &[&TestKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, keys)
    }

    fn serve(listener: tokio::net::TcpListener, keys: &[&TestKey]) -> Self {
        let issuer = format!("http://{}/realms/cd92", listener.local_addr().unwrap());
        let published = Published {
            issuer,
            keys: Arc::new(Mutex::new(keys.iter().map(|k| k.jwk()).collect())),
            jwks_fetches: Arc::new(AtomicUsize::new(0)),
            token_requests: Arc::new(Mutex::new(Vec::new())),
            token_answer: Arc::new(Mutex::new((500, json!({"error": "server_error"})))),
        };
        let router = axum::Router::new()
            .route(
                "/realms/cd92/.well-known/openid-configuration",
                get(|State(p): State<Published>| async move {
                    Json(json!({
                        "issuer": p.issuer,
                        "jwks_uri": format!("{}/protocol/openid-connect/certs", p.issuer),
                        "authorization_endpoint": format!("{}/protocol/openid-connect/auth", p.issuer),
                        "token_endpoint": format!("{}/protocol/openid-connect/token", p.issuer),
                        "end_session_endpoint": format!("{}/protocol/openid-connect/logout", p.issuer),
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }))
                }),
            )
            .route(
                "/realms/cd92/protocol/openid-connect/certs",
                get(|State(p): State<Published>| async move {
                    p.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = p.keys.lock().unwrap().clone();
                    Json(json!({ "keys": keys }))
                }),
            )
            .route(
                "/realms/cd92/protocol/openid-connect/token",
                post(
                    |State(p): State<Published>, headers: axum::http::HeaderMap, body: String| async move {
                        let form: Vec<(String, String)> =
                            serde_urlencoded::from_str(&body).unwrap_or_default();
                        let authorization = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        p.token_requests.lock().unwrap().push(TokenRequest {
                            form,
                            authorization,
                        });
                        let (status, answer) = p.token_answer.lock().unwrap().clone();
                        (
                            axum::http::StatusCode::from_u16(status).unwrap(),
                            Json(answer),
                        )
                    },
                ),
            )
            .with_state(published.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.ok();
        });
        Self { published, server }
    }

    pub(super) fn issuer(&self) -> String {
        self.published.issuer.clone()
    }

    fn publish(&self, keys: &[&TestKey]) {
        *self.published.keys.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }

    /// Sets what the token endpoint answers next.
    pub(super) fn answer_tokens(&self, status: u16, answer: Value) {
        *self.published.token_answer.lock().unwrap() = (status, answer);
    }

    /// What the token endpoint received, in order.
    pub(super) fn token_requests(&self) -> Vec<TokenRequest> {
        self.published.token_requests.lock().unwrap().clone()
    }

    fn jwks_fetches(&self) -> usize {
        self.published.jwks_fetches.load(Ordering::SeqCst)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The claims of a Keycloak-like access token for Camille, with `roles`.
fn claims(issuer: &str, roles: &[&str]) -> Value {
    let now = now();
    json!({
        "iss": issuer, "aud": [AUDIENCE, "account"], "sub": "f1c2-camille",
        "typ": "Bearer", "azp": "territoires-front",
        "name": "Camille Durand", "email": "camille.durand@hauts-de-seine.fr",
        "iat": now, "nbf": now, "exp": now + 300,
        "realm_access": { "roles": roles },
    })
}

pub(super) fn settings(issuer: &str) -> OidcSettings {
    OidcSettings {
        issuer: Some(issuer.to_owned()),
        audience: Some(AUDIENCE.to_owned()),
        role_claim: "realm_access.roles".to_owned(),
        editor_values: vec![EDITOR.to_owned()],
        admin_values: vec![ADMIN.to_owned()],
        jwks_min_refresh_secs: 1,
        ..OidcSettings::default()
    }
}

async fn app_for(issuer: &str, configure: impl FnOnce(&mut OidcSettings)) -> TestApp {
    let mut oidc = settings(issuer);
    configure(&mut oidc);
    spawn_app_with(TestDb::new().await, move |c: &mut ServerConfig| {
        c.oidc = oidc
    })
    .await
}

const VIEWER: &str = "{ viewer { kind name role subject email } }";

fn message(response: &Value) -> String {
    response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn editors_and_admins_sign_with_their_tokens_and_are_audited_by_name() {
    let rsa = TestKey::rsa("rsa-1.key.pem", "rsa-1");
    let ec = TestKey::ec("ec-p256.key.pem", "ec-1");
    let provider = Provider::start(&[&rsa, &ec]).await;
    let app = app_for(&provider.issuer(), |_| {}).await;
    let issuer = provider.issuer();

    let editor = rsa.sign(&claims(&issuer, &["offline_access", EDITOR]));
    let viewer = app.graphql_as(&editor, VIEWER, json!({})).await;
    assert_eq!(
        viewer["data"]["viewer"],
        json!({ "kind": "PERSON", "name": "Camille Durand", "role": "EDITOR",
                "subject": "f1c2-camille", "email": "camille.durand@hauts-de-seine.fr" }),
        "{viewer}"
    );
    let created = app
        .graphql_as(
            &editor,
            r#"mutation { createProject(input: {title: "Signé OIDC", territories: [4], axes: [WELLBEING]}) { project { id } } }"#,
            json!({}),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");
    let id = created["data"]["createProject"]["project"]["id"].clone();
    // An editor is not an admin.
    let log_query = "query($id: ID!) { auditLog(entityId: $id) { edges { node { actor action author { kind name subject email } } } } }";
    let refused = app
        .graphql_as(&editor, log_query, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // An admin, signed with ES256 by a key whose JWK names no algorithm.
    let mut admin_claims = claims(&issuer, &[ADMIN]);
    admin_claims["sub"] = json!("a9-dominique");
    admin_claims["name"] = json!("Dominique Admin");
    admin_claims["email"] = json!(null);
    let admin = ec.sign(&admin_claims);
    let log = app.graphql_as(&admin, log_query, json!({ "id": id })).await;
    assert!(log.get("errors").is_none(), "{log}");
    assert_eq!(
        log["data"]["auditLog"]["edges"][0]["node"],
        json!({ "actor": "Camille Durand", "action": "CREATE", "author": {
            "kind": "PERSON", "name": "Camille Durand", "subject": "f1c2-camille",
            "email": "camille.durand@hauts-de-seine.fr" } })
    );
    assert_eq!(
        app.graphql_as(&admin, VIEWER, json!({})).await["data"]["viewer"],
        json!({ "kind": "PERSON", "name": "Dominique Admin", "role": "ADMIN",
                "subject": "a9-dominique", "email": null })
    );

    // A person without a matching role reads as the public does, and may not write.
    let nobody = rsa.sign(&claims(&issuer, &["offline_access"]));
    assert_eq!(
        app.graphql_as(&nobody, VIEWER, json!({})).await["data"]["viewer"]["role"],
        json!(null)
    );
    let public_read = app
        .graphql_as(&nobody, "{ territories { number } }", json!({}))
        .await;
    assert!(public_read.get("errors").is_none(), "{public_read}");
    let write = app
        .graphql_as(
            &nobody,
            r#"mutation { createProject(input: {title: "Non", territories: [4], axes: [WELLBEING]}) { project { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&write), Some("FORBIDDEN"), "{write}");

    // API tokens work as before, and say so; no credential is no viewer.
    let token = app.token(Role::Editor).await;
    let by_token = app.graphql_as(&token, VIEWER, json!({})).await;
    assert_eq!(by_token["data"]["viewer"]["kind"], "TOKEN", "{by_token}");
    assert_eq!(by_token["data"]["viewer"]["role"], "EDITOR");
    assert_eq!(app.data(VIEWER).await["viewer"], json!(null));
    // The same query by two people is answered for each (never from a shared cache).
    let other = {
        let mut c = claims(&issuer, &[EDITOR]);
        c["sub"] = json!("b7-other");
        c["name"] = json!("Autre Personne");
        rsa.sign(&c)
    };
    assert_eq!(
        app.graphql_as(&other, VIEWER, json!({})).await["data"]["viewer"]["name"],
        "Autre Personne"
    );
    let token_log = app
        .graphql_as(
            &admin,
            "{ auditLog(first: 50) { edges { node { author { kind } } } } }",
            json!({}),
        )
        .await;
    assert!(token_log.get("errors").is_none(), "{token_log}");
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_unauthenticated_with_their_reason() {
    let rsa = TestKey::rsa("rsa-1.key.pem", "rsa-1");
    let ec = TestKey::ec("ec-p256.key.pem", "ec-1");
    let provider = Provider::start(&[&rsa, &ec]).await;
    let app = app_for(&provider.issuer(), |s| s.leeway_secs = 30).await;
    let issuer = provider.issuer();
    let valid = claims(&issuer, &[ADMIN]);
    let with = |changes: Value| {
        let mut claims = valid.clone();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    };
    let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let good = rsa.sign(&valid);
    let (signed, signature) = good.rsplit_once('.').unwrap();
    let (header, _) = signed.split_once('.').unwrap();
    let hs256 = {
        let header = json!({ "alg": "HS256", "typ": "JWT", "kid": "rsa-1" });
        let signed = format!("{}.{}", b64(&header), b64(&valid));
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &rsa.public_bytes());
        let tag = ring::hmac::sign(&key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    };
    let now = now();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            rsa.sign(&with(
                json!({ "exp": now - 31, "iat": now - 400, "nbf": now - 400 }),
            )),
            "expired",
        ),
        (
            "not yet valid",
            rsa.sign(&with(json!({ "nbf": now + 120 }))),
            "not valid yet",
        ),
        (
            "issued in the future",
            rsa.sign(&with(json!({ "iat": now + 120 }))),
            "future",
        ),
        (
            "no expiry",
            rsa.sign(&with(json!({ "exp": null }))),
            "no expiry",
        ),
        (
            "wrong issuer",
            rsa.sign(&with(json!({ "iss": "http://127.0.0.1:1/realms/other" }))),
            "issued by",
        ),
        (
            "wrong audience",
            rsa.sign(&with(json!({ "aud": "territoires-front" }))),
            "audience",
        ),
        (
            "id token (typ)",
            rsa.sign(&with(json!({ "typ": "ID" }))),
            "not an access token",
        ),
        (
            "id token (nonce)",
            rsa.sign(&with(json!({ "nonce": "n-0S6_WzA2Mj" }))),
            "ID token",
        ),
        (
            "tampered payload",
            format!(
                "{header}.{}.{signature}",
                b64(&with(json!({ "sub": "someone-else" })))
            ),
            "signature is invalid",
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&valid)
            ),
            "not signed",
        ),
        (
            "alg none, signed",
            format!(
                "{}.{}.{signature}",
                b64(&json!({ "alg": "none", "kid": "rsa-1" })),
                b64(&valid)
            ),
            "\"none\" is not accepted",
        ),
        (
            "HS256 with the public key",
            hs256,
            "\"HS256\" is not accepted",
        ),
        (
            "EC key under RS256",
            rsa.sign_with(&json!({ "alg": "RS256", "kid": "ec-1" }), &valid),
            "does not match its key",
        ),
        (
            "RSA key under ES256",
            ec.sign_with(&json!({ "alg": "ES256", "kid": "rsa-1" }), &valid),
            "does not match its key",
        ),
        (
            "no kid",
            rsa.sign_with(&json!({ "alg": "RS256" }), &valid),
            "names no key",
        ),
        (
            "ID typ header",
            rsa.sign_with(
                &json!({ "alg": "RS256", "kid": "rsa-1", "typ": "ID" }),
                &valid,
            ),
            "not an access token",
        ),
        (
            "crit header",
            rsa.sign_with(
                &json!({ "alg": "RS256", "kid": "rsa-1", "crit": ["exp"] }),
                &valid,
            ),
            "critical",
        ),
        (
            "oversized",
            format!("{header}.{}.{signature}", "A".repeat(20_000)),
            "longer than",
        ),
        (
            "not base64 JSON",
            format!("{header}.bm90IGpzb24.{signature}"),
            "signature is invalid",
        ),
    ];
    for (name, token, why) in &cases {
        let (status, response) = app
            .post(Some(token), "{ territories { number } }", json!({}))
            .await;
        assert_eq!(status, 401, "{name}: {response}");
        assert_eq!(
            error_code(&response),
            Some("UNAUTHENTICATED"),
            "{name}: {response}"
        );
        assert!(message(&response).contains(why), "{name}: {response}");
    }
    // Leeway: a token expired 10 s ago is still taken (30 s of clock skew allowed).
    let skewed = rsa.sign(&with(json!({ "exp": now - 10 })));
    let ok = app.graphql_as(&skewed, VIEWER, json!({})).await;
    assert_eq!(ok["data"]["viewer"]["role"], "ADMIN", "{ok}");
    // The metric counts each refusal by reason.
    let (_, metrics) = app.get("/metrics").await;
    for reason in [
        "expired",
        "issuer",
        "audience",
        "signature",
        "algorithm",
        "too_large",
        "not_access_token",
    ] {
        assert!(
            metrics.contains(&format!(
                "territoires_auth_refused_total{{credential=\"jwt\",reason=\"{reason}\"}}"
            )) || (reason == "too_large"
                && metrics.contains("credential=\"header\",reason=\"too_large\"")),
            "{reason}: {metrics}"
        );
    }
}

#[tokio::test]
async fn a_jwt_without_a_configured_provider_is_refused_clearly() {
    let app = spawn_app().await;
    let rsa = TestKey::rsa("rsa-1.key.pem", "rsa-1");
    let token = rsa.sign(&claims("https://sso.example.fr/realms/cd92", &[ADMIN]));
    let (status, response) = app.post(Some(&token), VIEWER, json!({})).await;
    assert_eq!(status, 401);
    assert!(message(&response).contains("OIDC_ISSUER"), "{response}");
    // Not mistaken for an API token, nor an API token for a JWT.
    let (status, response) = app.post(Some("terr_a.b.c"), VIEWER, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(message(&response), "unknown API token");
}

#[tokio::test]
async fn keys_rotate_without_restart_and_withdrawn_keys_stop_working() {
    let old = TestKey::rsa("rsa-1.key.pem", "2026-11");
    let new = TestKey::rsa("rsa-2.key.pem", "2026-12");
    let provider = Provider::start(&[&old]).await;
    let app = app_for(&provider.issuer(), |_| {}).await;
    let issuer = provider.issuer();
    let by_old = old.sign(&claims(&issuer, &[EDITOR]));
    let by_new = new.sign(&claims(&issuer, &[EDITOR]));
    let role = |response: &Value| response["data"]["viewer"]["role"].clone();

    assert_eq!(
        role(&app.graphql_as(&by_old, VIEWER, json!({})).await),
        "EDITOR"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let unknown = app.graphql_as(&by_new, VIEWER, json!({})).await;
    assert!(message(&unknown).contains("does not publish"), "{unknown}");

    // The provider publishes the new key beside the old one: picked up on the next
    // unknown kid past the refresh period, without a restart.
    provider.publish(&[&old, &new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        role(&app.graphql_as(&by_new, VIEWER, json!({})).await),
        "EDITOR"
    );
    assert_eq!(
        role(&app.graphql_as(&by_old, VIEWER, json!({})).await),
        "EDITOR"
    );

    // The old key leaves the key set: once the keys are fetched again, its tokens fail.
    provider.publish(&[&new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let stranger = TestKey::ec("ec-p256.key.pem", "made-up");
    let prompt = stranger.sign(&claims(&issuer, &[EDITOR]));
    assert_eq!(
        error_code(&app.graphql_as(&prompt, VIEWER, json!({})).await),
        Some("UNAUTHENTICATED")
    );
    let withdrawn = app.graphql_as(&by_old, VIEWER, json!({})).await;
    assert_eq!(
        error_code(&withdrawn),
        Some("UNAUTHENTICATED"),
        "{withdrawn}"
    );
    assert_eq!(
        role(&app.graphql_as(&by_new, VIEWER, json!({})).await),
        "EDITOR"
    );
}

#[tokio::test]
async fn a_flood_of_unknown_key_ids_fetches_the_key_set_at_most_once_per_period() {
    let rsa = TestKey::rsa("rsa-1.key.pem", "rsa-1");
    let provider = Provider::start(&[&rsa]).await;
    let app = app_for(&provider.issuer(), |s| s.jwks_min_refresh_secs = 3).await;
    let issuer = provider.issuer();
    let valid = rsa.sign(&claims(&issuer, &[EDITOR]));
    assert_eq!(
        app.graphql_as(&valid, VIEWER, json!({})).await["data"]["viewer"]["role"],
        "EDITOR"
    );
    let before = provider.jwks_fetches();
    assert!(before >= 1);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let tokens: Vec<String> = (0..80)
        .map(|i| {
            rsa.sign_with(
                &json!({ "alg": "RS256", "kid": format!("made-up-{i}") }),
                &claims(&issuer, &[EDITOR]),
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let responses = join_all(tokens.iter().map(|t| app.post(Some(t), VIEWER, json!({})))).await;
    let elapsed = started.elapsed();
    assert!(responses.iter().all(|(status, _)| *status == 401));
    let fetched = provider.jwks_fetches() - before;
    assert!(
        elapsed < Duration::from_secs(3),
        "the flood took {elapsed:?}"
    );
    assert_eq!(
        fetched, 1,
        "80 unknown kids in {elapsed:?} fetched the key set {fetched} times"
    );
    // Valid tokens are still served meanwhile.
    assert_eq!(
        app.graphql_as(&valid, VIEWER, json!({})).await["data"]["viewer"]["role"],
        "EDITOR"
    );
}

#[tokio::test]
async fn the_provider_down_at_start_keeps_public_reads_and_readiness_then_comes_back() {
    let rsa = TestKey::rsa("rsa-1.key.pem", "rsa-1");
    // A port with nothing listening yet.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let issuer = format!("http://127.0.0.1:{port}/realms/cd92");
    let app = app_for(&issuer, |_| {}).await;
    assert_eq!(app.get("/readyz").await, (200, "ready".to_owned()));
    let public = app.data("{ territories { number } }").await;
    assert_eq!(public["territories"].as_array().unwrap().len(), 7);
    let token = rsa.sign(&claims(&issuer, &[EDITOR]));
    let (status, down) = app.post(Some(&token), VIEWER, json!({})).await;
    assert_eq!(status, 401, "{down}");
    assert!(
        message(&down).contains("identity provider unreachable"),
        "{down}"
    );
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains("reason=\"provider_unreachable\""),
        "{metrics}"
    );

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let provider = Provider::serve(listener, &[&rsa]);
    assert_eq!(provider.issuer(), issuer);
    let mut answer = Value::Null;
    for _ in 0..40 {
        answer = app.graphql_as(&token, VIEWER, json!({})).await;
        if answer["data"]["viewer"]["role"] == "EDITOR" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(answer["data"]["viewer"]["role"], "EDITOR", "{answer}");
}

#[tokio::test]
async fn a_roster_import_by_a_person_is_recorded_under_them() {
    let ec = TestKey::ec("ec-p256.key.pem", "ec-1");
    let provider = Provider::start(&[&ec]).await;
    let app = app_for(&provider.issuer(), |_| {}).await;
    let mut admin_claims = claims(&provider.issuer(), &[ADMIN]);
    admin_claims["sub"] = json!("a9-dominique");
    admin_claims["name"] = json!("Dominique Admin");
    let admin = ec.sign(&admin_claims);
    let bytes = std::fs::read(format!(
        "{}/fixtures/roster-92-hr-export.xlsx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let (status, imported) = app
        .upload(
            Some(&admin),
            "mutation($file: Upload!) { importRoster(file: $file) { status actor } }",
            json!({}),
            "export.xlsx",
            bytes,
        )
        .await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(
        imported["data"]["importRoster"],
        json!({ "status": "APPLIED", "actor": "Dominique Admin" }),
        "{imported}"
    );
    let person = json!({ "kind": "PERSON", "name": "Dominique Admin",
                         "subject": "a9-dominique", "email": "camille.durand@hauts-de-seine.fr" });
    let runs = app
        .graphql_as(
            &admin,
            "{ syncRuns(first: 1) { edges { node { author { kind name subject email } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        runs["data"]["syncRuns"]["edges"][0]["node"]["author"], person,
        "{runs}"
    );
    // The import's changes keep `roster-sync` as their actor, under the person who ran it.
    let log = app
        .graphql_as(&admin, "{ auditLog(entity: \"Coordinator\", first: 100) { totalCount edges { node { actor author { kind name subject email } } } } }", json!({}))
        .await;
    let entries = log["data"]["auditLog"]["edges"].as_array().unwrap();
    assert!(!entries.is_empty(), "{log}");
    for entry in entries {
        assert_eq!(entry["node"]["actor"], "roster-sync");
        assert_eq!(entry["node"]["author"], person, "{entry}");
    }
}
