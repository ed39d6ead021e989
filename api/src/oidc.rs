//! People's access tokens from an OpenID Connect provider (Entra ID, Keycloak, any
//! certified provider): bearer JWTs checked against the provider's published keys.
//!
//! The provider's metadata (`<issuer>/.well-known/openid-configuration`) and keys
//! (`jwks_uri`) are fetched in the background at start, retried with a backoff while the
//! provider is unreachable (the server serves public reads and stays ready meanwhile;
//! JWT callers are told the provider is unreachable), and fetched again every
//! `OIDC_JWKS_REFRESH_SECS` so withdrawn keys stop being accepted. A token naming a key
//! the cache does not hold prompts one more fetch, at most once per
//! `OIDC_JWKS_MIN_REFRESH_SECS`: a flood of made-up key ids costs the provider at most one
//! request per period, and a rotated key is picked up without a restart.
//!
//! A token is checked, before anything is trusted: its size, its shape, its algorithm
//! (in `OIDC_ALGORITHMS`, never `none` nor HS*, consistent with the key's type and
//! equal to the key's own `alg` when it has one), its signature (*ring*), then `iss`,
//! `aud`, `exp`, `nbf`, `iat` with `OIDC_LEEWAY_SECS` of clock skew, and that it is an
//! access token (an ID token, made for a frontend, is not a bearer credential).
//!
//! The console's sign-in (`OIDC_CONSOLE_CLIENT_ID`, [`crate::console::pages::provider`])
//! uses the same discovery and keys: [`Verifier::token_request`] talks to the token
//! endpoint as the console's client, [`Verifier::verify_id_token`] checks the ID tokens
//! it returns (audience: the console's client; `nonce`) with the same signature, issuer
//! and time checks and the same role claim.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::Role;
use entity::audit_log::Person;
use ring::signature;
use serde_json::Value;

use crate::config::OidcSettings;
use crate::error::{Error, Result};

/// Longest bearer credential read, in bytes: an Entra token with many groups stays far
/// under it; a longer one is refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest decoded JOSE header.
const MAX_HEADER_BYTES: usize = 2 * 1024;
/// Largest discovery document or key set read from the provider.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Most keys kept from a key set.
const MAX_KEYS: usize = 64;
/// Longest name, e-mail or subject kept from a token, in characters.
const MAX_CLAIM_CHARS: usize = 256;
/// Longest wait between two discovery attempts while the provider is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A signature algorithm this service verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
}

impl Algorithm {
    const ALL: [Self; 8] = [
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
    ];

    /// Its JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The curve of an ECDSA algorithm (`None`: an RSA algorithm).
    fn curve(self) -> Option<&'static str> {
        match self {
            Self::Es256 => Some("P-256"),
            Self::Es384 => Some("P-384"),
            _ => None,
        }
    }
}

/// The checked settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    leeway: i64,
    role_path: Vec<String>,
    editor_values: Vec<String>,
    admin_values: Vec<String>,
    min_refresh: Duration,
    refresh: Duration,
    ca_file: Option<std::path::PathBuf>,
    console: Option<ConsoleClient>,
}

/// The console's client at the provider (`OIDC_CONSOLE_*`).
#[derive(Clone)]
pub struct ConsoleClient {
    /// The client id: sent with every request, the ID token's audience.
    pub client_id: String,
    /// The client secret of a confidential client.
    secret: Option<String>,
    /// The scopes asked for, space-separated.
    pub scopes: String,
}

impl std::fmt::Debug for ConsoleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleClient")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl OidcConfig {
    /// The console's client, when the console signs in through the provider.
    pub fn console(&self) -> Option<&ConsoleClient> {
        self.console.as_ref()
    }

    /// The settings, checked: `None` when `OIDC_ISSUER` is unset; a configuration error
    /// (French, naming the variable) for anything a provider's tokens could never match
    /// or that would weaken the checks.
    pub fn from_settings(settings: &OidcSettings) -> Result<Option<Self>> {
        let Some(issuer) = settings
            .issuer
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
        else {
            return Ok(None);
        };
        let config = |message: String| Error::Config(message);
        check_url(issuer).map_err(|why| config(format!("OIDC_ISSUER : {why}")))?;
        let audience = settings
            .audience
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                config(
                    "OIDC_AUDIENCE est obligatoire avec OIDC_ISSUER : c'est l'identifiant de \
                     l'API chez le fournisseur (claim « aud » des jetons d'accès)"
                        .to_owned(),
                )
            })?;
        let mut algorithms = Vec::new();
        for name in settings.algorithms.iter().map(|a| a.trim()) {
            if name.is_empty() {
                continue;
            }
            let upper = name.to_ascii_uppercase();
            if upper == "NONE" || upper.starts_with("HS") {
                return Err(config(format!(
                    "OIDC_ALGORITHMS : « {name} » est refusé (un jeton non signé, ou signé par \
                     un secret partagé, n'authentifie personne) ; utilisez RS256, ES256…"
                )));
            }
            let algorithm = Algorithm::parse(&upper).ok_or_else(|| {
                config(format!(
                    "OIDC_ALGORITHMS : algorithme inconnu « {name} » (acceptés : RS256, RS384, \
                     RS512, PS256, PS384, PS512, ES256, ES384)"
                ))
            })?;
            if !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
        }
        if algorithms.is_empty() {
            return Err(config(
                "OIDC_ALGORITHMS ne peut pas être vide (par défaut : RS256,ES256)".to_owned(),
            ));
        }
        let role_path: Vec<String> = settings
            .role_claim
            .trim()
            .split('.')
            .map(str::to_owned)
            .collect();
        if role_path.iter().any(String::is_empty) {
            return Err(config(format!(
                "OIDC_ROLE_CLAIM : « {} » n'est pas un nom de claim ni un chemin pointé \
                 (exemples : roles, groups, realm_access.roles)",
                settings.role_claim
            )));
        }
        let values = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        };
        if let Some(ca_file) = &settings.ca_file
            && !ca_file.is_file()
        {
            return Err(config(format!(
                "OIDC_CA_FILE : fichier introuvable : {}",
                ca_file.display()
            )));
        }
        let trimmed = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let console = match trimmed(&settings.console_client_id) {
            Some(client_id) => {
                let scopes = settings
                    .console_scopes
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !scopes.split(' ').any(|scope| scope == "openid") {
                    return Err(config(format!(
                        "OIDC_CONSOLE_SCOPES : « {scopes} » doit contenir openid (exemple : \
                         openid profile email offline_access)"
                    )));
                }
                Some(ConsoleClient {
                    client_id,
                    secret: trimmed(&settings.console_client_secret),
                    scopes,
                })
            }
            None => None,
        };
        Ok(Some(Self {
            console,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            algorithms,
            leeway: i64::try_from(settings.leeway_secs.min(3600)).unwrap_or(60),
            role_path,
            editor_values: values(&settings.editor_values),
            admin_values: values(&settings.admin_values),
            min_refresh: Duration::from_secs(settings.jwks_min_refresh_secs),
            refresh: Duration::from_secs(settings.jwks_refresh_secs.max(1)),
            ca_file: settings.ca_file.clone(),
        }))
    }
}

/// https, or http to a loopback address (a provider on the same machine, tests).
fn check_url(url: &str) -> std::result::Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("adresse invalide ({e})"))?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "« {url} » doit commencer par https:// (http:// n'est admis que sur la machine \
             elle-même)"
        )),
    }
}

/// Why a credential was refused: a fixed set, so the metric's label set stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not `Bearer <credential>`, or not a well-formed token.
    Malformed,
    /// Longer than [`MAX_TOKEN_BYTES`].
    TooLarge,
    /// An API token that is unknown, revoked or expired.
    ApiToken,
    /// A JWT while no provider is configured.
    NoProvider,
    /// The provider's keys could not be fetched yet.
    ProviderUnreachable,
    /// An algorithm outside `OIDC_ALGORITHMS`, or inconsistent with the key.
    Algorithm,
    /// No key of the provider has the token's `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// `iss` is not `OIDC_ISSUER`.
    Issuer,
    /// `aud` does not hold `OIDC_AUDIENCE`.
    Audience,
    /// Past `exp`.
    Expired,
    /// Before `nbf` or issued in the future.
    NotYetValid,
    /// An ID token or another token that is not an access token.
    NotAccessToken,
}

impl Refusal {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::ApiToken => "api_token",
            Self::NoProvider => "no_provider",
            Self::ProviderUnreachable => "provider_unreachable",
            Self::Algorithm => "algorithm",
            Self::UnknownKey => "unknown_key",
            Self::Signature => "signature",
            Self::Issuer => "issuer",
            Self::Audience => "audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::NotAccessToken => "not_access_token",
        }
    }
}

/// A refused credential: why (for the metric) and what the client is told.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Why, as the refusal metric counts it.
    pub reason: Refusal,
    /// The message, for the client and the log.
    pub message: String,
}

fn refused(reason: Refusal, message: impl Into<String>) -> Refused {
    Refused {
        reason,
        message: message.into(),
    }
}

/// Who a valid token says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The person.
    pub person: Person,
    /// Their role from the role claim; `None` reads as the public does.
    pub role: Option<Role>,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// A verification key from the provider's key set.
#[derive(Debug, Clone)]
struct Key {
    /// The JWK's own `alg`, when it has one (Entra's have none).
    alg: Option<String>,
    material: Material,
}

#[derive(Debug, Clone)]
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: &'static str, point: Vec<u8> },
}

/// Where the console sends people, from the discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `authorization_endpoint`.
    pub authorization: Option<String>,
    /// `token_endpoint`.
    pub token: Option<String>,
    /// `end_session_endpoint` (RP-initiated logout), when the provider has one.
    pub end_session: Option<String>,
}

/// What the provider answered at its token endpoint (each token bounded to
/// [`MAX_TOKEN_BYTES`]).
#[derive(Clone, Default)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Option<String>,
    /// The ID token (required after an authorization code, optional after a refresh).
    pub id_token: Option<String>,
    /// The refresh token, when the provider gives (or rotates) one.
    pub refresh_token: Option<String>,
    /// Seconds the access token lasts.
    pub expires_in: Option<i64>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// What the verifier knows of the provider.
#[derive(Debug, Default)]
struct Known {
    /// `jwks_uri` from the discovery document, once read.
    jwks_uri: Option<String>,
    /// The endpoints of the discovery document the console signs in with.
    endpoints: Option<Endpoints>,
    /// The keys by `kid`.
    keys: Arc<HashMap<String, Key>>,
    /// Whether a key set was fetched at least once.
    ready: bool,
    /// Why the last fetch failed, for JWT callers while the provider is unreachable.
    last_error: Option<String>,
}

/// Checks bearer JWTs against the provider's keys; shared by every request.
pub struct Verifier {
    config: OidcConfig,
    client: reqwest::Client,
    known: RwLock<Known>,
    /// Held while fetching; holds when the last fetch started (the rate limit of fetches
    /// prompted by unknown keys).
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for `config`, nothing fetched yet (see [`Verifier::start`]). Fails on
    /// an unreadable `OIDC_CA_FILE`.
    pub fn new(config: OidcConfig) -> Result<Self> {
        let client = http_client(config.ca_file.as_deref())?;
        Ok(Self {
            config,
            client,
            known: RwLock::new(Known::default()),
            fetching: tokio::sync::Mutex::new(None),
        })
    }

    /// Starts fetching the provider's metadata and keys in the background: retried with
    /// a backoff (1 s, doubling, at most a minute) while the provider is unreachable,
    /// then refreshed every `OIDC_JWKS_REFRESH_SECS`. The task ends with the verifier.
    pub fn start(self: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let Some(verifier) = weak.upgrade() else {
                    return;
                };
                let wait = match verifier.fetch(None).await {
                    Ok(()) => {
                        backoff = Duration::from_secs(1);
                        verifier.config.refresh
                    }
                    Err(_) => {
                        let wait = backoff;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        wait
                    }
                };
                drop(verifier);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// Whether the provider's keys were fetched at least once.
    pub fn ready(&self) -> bool {
        self.known.read().is_ok_and(|known| known.ready)
    }

    /// Fetches the discovery document (until read once) and the key set. With
    /// `min_interval`, does nothing when the last fetch started less than that ago (or
    /// is running: the caller waits for it and uses its outcome).
    async fn fetch(&self, min_interval: Option<Duration>) -> std::result::Result<(), String> {
        let mut last = self.fetching.lock().await;
        if let (Some(interval), Some(at)) = (min_interval, *last)
            && at.elapsed() < interval
        {
            return Err("rate-limited".to_owned());
        }
        *last = Some(Instant::now());
        let outcome = self.fetch_now().await;
        crate::metrics::global().record_jwks_fetch(outcome.is_ok());
        let Ok(mut known) = self.known.write() else {
            return Err("poisoned lock".to_owned());
        };
        match outcome {
            Ok((jwks_uri, endpoints, keys)) => {
                if endpoints.is_some() {
                    known.endpoints = endpoints;
                }
                if !known.ready {
                    tracing::info!(issuer = %self.config.issuer, keys = keys.len(), "identity provider reached");
                }
                known.jwks_uri = Some(jwks_uri);
                known.keys = Arc::new(keys);
                known.ready = true;
                known.last_error = None;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(issuer = %self.config.issuer, %error, "cannot fetch the identity provider's keys");
                known.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    #[allow(clippy::type_complexity)]
    async fn fetch_now(
        &self,
    ) -> std::result::Result<(String, Option<Endpoints>, HashMap<String, Key>), String> {
        let known_uri = self.known.read().ok().and_then(|k| k.jwks_uri.clone());
        let (jwks_uri, endpoints) = match known_uri {
            Some(uri) => (uri, None),
            None => {
                let (uri, endpoints) = self.discover().await?;
                (uri, Some(endpoints))
            }
        };
        let document = self.get_json(&jwks_uri).await?;
        let keys = parse_key_set(&document)?;
        Ok((jwks_uri, endpoints, keys))
    }

    /// Reads the discovery document; its `issuer` must be `OIDC_ISSUER` exactly.
    async fn discover(&self) -> std::result::Result<(String, Endpoints), String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let document = self.get_json(&url).await?;
        let issuer = document.get("issuer").and_then(Value::as_str);
        if issuer != Some(self.config.issuer.as_str()) {
            return Err(format!(
                "the discovery document names issuer {issuer:?}, not OIDC_ISSUER {:?}",
                self.config.issuer
            ));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the discovery document has no jwks_uri")?;
        check_url(jwks_uri).map_err(|why| format!("jwks_uri: {why}"))?;
        // These serve the console's sign-in only: one the server cannot use is treated as
        // absent (the console then offers token sign-in), so it never stops bearer
        // tokens from being checked with the keys.
        let endpoint = |name: &str| -> Option<String> {
            let url = document.get(name).and_then(Value::as_str)?;
            match check_url(url) {
                Ok(()) => Some(url.to_owned()),
                Err(why) => {
                    tracing::warn!(endpoint = name, %why, "OIDC discovery: endpoint ignored");
                    None
                }
            }
        };
        let endpoints = Endpoints {
            authorization: endpoint("authorization_endpoint"),
            token: endpoint("token_endpoint"),
            end_session: endpoint("end_session_endpoint"),
        };
        Ok((jwks_uri.to_owned(), endpoints))
    }

    /// GETs a JSON document of at most [`MAX_DOCUMENT_BYTES`].
    async fn get_json(&self, url: &str) -> std::result::Result<Value, String> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("{url}: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("{url}: HTTP {}", response.status()));
        }
        read_json(url, response).await
    }

    /// The provider's console client, when the console signs in through it.
    pub fn console(&self) -> Option<&ConsoleClient> {
        self.config.console()
    }

    /// The endpoints of the discovery document, once read (`None` while the provider
    /// was never reached).
    pub fn endpoints(&self) -> Option<Endpoints> {
        self.known.read().ok()?.endpoints.clone()
    }

    /// Posts `form` to the token endpoint as the console's client (its secret with HTTP
    /// Basic, form-encoded as RFC 6749 §2.3.1 asks); the provider's answer, bounded. An
    /// error answer's `error` code (never its free text) is in the error.
    pub async fn token_request(
        &self,
        form: &[(&str, &str)],
    ) -> std::result::Result<TokenResponse, String> {
        let client = self.console().ok_or("no console client is configured")?;
        let endpoint = self
            .endpoints()
            .and_then(|e| e.token)
            .ok_or("the provider publishes no token endpoint")?;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("client_id", &client.client_id));
        let body = serde_urlencoded::to_string(&fields).map_err(|e| e.to_string())?;
        let mut request = self
            .client
            .post(&endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        if let Some(secret) = &client.secret {
            let encode = |value: &str| {
                serde_urlencoded::to_string([("", value)])
                    .map(|pair| pair.trim_start_matches('=').to_owned())
                    .unwrap_or_default()
            };
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                encode(&client.client_id),
                encode(secret)
            ));
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {credentials}"),
            );
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{endpoint}: {}", e.without_url()))?;
        let status = response.status();
        let document = read_json(&endpoint, response).await;
        if !status.is_success() {
            let code = document
                .ok()
                .and_then(|d| d.get("error").and_then(Value::as_str).map(bounded))
                .unwrap_or_default();
            return Err(format!("{endpoint}: HTTP {status} {code}"));
        }
        let document = document?;
        let token = |name: &str| -> std::result::Result<Option<String>, String> {
            match document.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(t)) if !t.is_empty() && t.len() <= MAX_TOKEN_BYTES => {
                    Ok(Some(t.clone()))
                }
                Some(_) => Err(format!(
                    "the token endpoint's {name} is not a bounded string"
                )),
            }
        };
        Ok(TokenResponse {
            access_token: token("access_token")?,
            id_token: token("id_token")?,
            refresh_token: token("refresh_token")?,
            expires_in: document.get("expires_in").and_then(numeric_date),
        })
    }

    /// The key named `kid`, fetching the key set again (rate-limited) when it is unknown
    /// or nothing was fetched yet.
    async fn key(&self, kid: &str) -> std::result::Result<Key, Refused> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let fetched = self.fetch(Some(self.config.min_refresh)).await;
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if !self.ready() {
            let why = self
                .known
                .read()
                .ok()
                .and_then(|known| known.last_error.clone())
                .or(fetched.err())
                .unwrap_or_default();
            return Err(refused(
                Refusal::ProviderUnreachable,
                format!(
                    "identity provider unreachable, its keys are unknown ({why}); the server \
                     retries in the background: try again later"
                ),
            ));
        }
        Err(refused(
            Refusal::UnknownKey,
            format!(
                "the token is signed by a key ({kid:?}) the identity provider does not publish"
            ),
        ))
    }

    fn cached(&self, kid: &str) -> Option<Key> {
        self.known.read().ok()?.keys.get(kid).cloned()
    }

    /// Checks `token` (already bounded to [`MAX_TOKEN_BYTES`]) at `now`.
    pub async fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<Identity, Refused> {
        let claims = self.signed_claims(token, true).await?;
        self.check_claims(&claims, now)
    }

    /// Checks an ID token the console received from the token endpoint at `now`: signed
    /// by the provider's keys, its `iss` the issuer, its `aud` the console's client id
    /// (and `azp` too when it names several audiences), not expired, and carrying
    /// `nonce` when one is given (a sign-in; a renewal's ID token need not repeat it).
    /// The person's role comes from the ID token's role claim.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
        now: DateTime<Utc>,
    ) -> std::result::Result<Identity, Refused> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refused(Refusal::TooLarge, "the ID token is too large"));
        }
        let client_id = self
            .console()
            .map(|c| c.client_id.as_str())
            .ok_or_else(|| refused(Refusal::NoProvider, "no console client is configured"))?;
        let claims = self.signed_claims(token, false).await?;
        self.check_issuer(&claims)?;
        let aud_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == client_id,
            Some(Value::Array(auds)) => {
                auds.iter().any(|a| a.as_str() == Some(client_id))
                    && (auds.len() == 1
                        || claims.get("azp").and_then(Value::as_str) == Some(client_id))
            }
            _ => false,
        };
        if !aud_ok {
            return Err(refused(
                Refusal::Audience,
                "the ID token is not issued for the console's client",
            ));
        }
        if let Some(nonce) = nonce
            && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
        {
            return Err(refused(
                Refusal::Malformed,
                "the ID token's nonce is not the one of this sign-in",
            ));
        }
        self.check_common(&claims, now)
    }

    /// The claims of `token` once its header, key and signature are checked; `access`:
    /// the header's `typ` must be an access token's.
    async fn signed_claims(
        &self,
        token: &str,
        access: bool,
    ) -> std::result::Result<Value, Refused> {
        let parts = split(token)?;
        let header = decode_json(parts.header, MAX_HEADER_BYTES, "header")?;
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let algorithm = Algorithm::parse(alg_name)
            .filter(|alg| self.config.algorithms.contains(alg))
            .ok_or_else(|| {
                refused(
                    Refusal::Algorithm,
                    format!(
                        "the token's algorithm {alg_name:?} is not accepted (accepted: {})",
                        self.config
                            .algorithms
                            .iter()
                            .map(|a| a.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        if header.get("crit").is_some() {
            return Err(refused(
                Refusal::Malformed,
                "the token has critical header extensions (crit) this server does not know",
            ));
        }
        if let Some(typ) = header.get("typ").filter(|_| access) {
            let typ = typ.as_str().unwrap_or_default().to_ascii_lowercase();
            if !matches!(typ.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
                return Err(refused(
                    Refusal::NotAccessToken,
                    format!("the token's type {typ:?} is not an access token (JWT or at+jwt)"),
                ));
            }
        }
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .filter(|kid| !kid.is_empty())
            .ok_or_else(|| refused(Refusal::UnknownKey, "the token names no key (kid)"))?;
        let key = self.key(kid).await?;
        check_key(algorithm, &key)?;
        let signature = URL_SAFE_NO_PAD
            .decode(parts.signature)
            .map_err(|_| refused(Refusal::Malformed, "the token's signature is not base64url"))?;
        verify_signature(algorithm, &key, parts.signed.as_bytes(), &signature)?;
        decode_json(parts.payload, MAX_TOKEN_BYTES, "payload")
    }

    fn check_claims(
        &self,
        claims: &Value,
        now: DateTime<Utc>,
    ) -> std::result::Result<Identity, Refused> {
        self.check_issuer(claims)?;
        let audience = &self.config.audience;
        let for_us = match claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !for_us {
            return Err(refused(
                Refusal::Audience,
                format!(
                    "the token is not issued for this API (its audience does not include \
                     {audience:?}); an ID token is not an access token"
                ),
            ));
        }
        if let Some(typ) = claims.get("typ")
            && !typ
                .as_str()
                .is_some_and(|typ| typ.eq_ignore_ascii_case("bearer"))
        {
            return Err(refused(
                Refusal::NotAccessToken,
                format!("a token of type {typ} is not an access token"),
            ));
        }
        if ["at_hash", "c_hash", "nonce"]
            .iter()
            .any(|claim| claims.get(claim).is_some())
        {
            return Err(refused(
                Refusal::NotAccessToken,
                "an ID token is not an access token: send the access token",
            ));
        }
        self.check_common(claims, now)
    }

    fn check_issuer(&self, claims: &Value) -> std::result::Result<(), Refused> {
        let issuer = claims.get("iss").and_then(Value::as_str);
        if issuer != Some(self.config.issuer.as_str()) {
            return Err(refused(
                Refusal::Issuer,
                format!(
                    "the token was issued by {issuer:?}, not by this server's identity provider"
                ),
            ));
        }
        Ok(())
    }

    /// The checks access and ID tokens share: times, subject; the identity.
    fn check_common(
        &self,
        claims: &Value,
        now: DateTime<Utc>,
    ) -> std::result::Result<Identity, Refused> {
        let now_secs = now.timestamp();
        let leeway = self.config.leeway;
        let time = |name: &str| claims.get(name).and_then(numeric_date);
        let Some(exp) = time("exp") else {
            return Err(refused(Refusal::Malformed, "the token has no expiry (exp)"));
        };
        if now_secs >= exp.saturating_add(leeway) {
            return Err(refused(Refusal::Expired, "the token has expired"));
        }
        if time("nbf").is_some_and(|nbf| now_secs < nbf.saturating_sub(leeway)) {
            return Err(refused(
                Refusal::NotYetValid,
                "the token is not valid yet (nbf)",
            ));
        }
        if time("iat").is_some_and(|iat| iat > now_secs.saturating_add(leeway)) {
            return Err(refused(
                Refusal::NotYetValid,
                "the token is issued in the future (iat): check the clocks",
            ));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| refused(Refusal::Malformed, "the token has no subject (sub)"))?;
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(bounded)
        };
        let person = Person {
            subject: bounded(subject),
            name: text("name").or_else(|| text("preferred_username")),
            email: text("email"),
        };
        Ok(Identity {
            role: self.role_of(claims),
            person,
            expires_at: DateTime::from_timestamp(exp, 0).unwrap_or(now),
        })
    }

    /// The role the role claim's values grant: ADMIN over EDITOR; none reads as public.
    fn role_of(&self, claims: &Value) -> Option<Role> {
        let mut value = claims;
        for step in &self.config.role_path {
            value = value.get(step)?;
        }
        let values: Vec<&str> = match value {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let has = |wanted: &[String]| values.iter().any(|v| wanted.iter().any(|w| w == v));
        if has(&self.config.admin_values) {
            Some(Role::Admin)
        } else if has(&self.config.editor_values) {
            Some(Role::Editor)
        } else {
            None
        }
    }
}

/// Reads a JSON answer of at most [`MAX_DOCUMENT_BYTES`].
async fn read_json(
    url: &str,
    mut response: reqwest::Response,
) -> std::result::Result<Value, String> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(format!("{url}: the document is too large"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{url}: {}", e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url}: the document is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON ({e})"))
}

/// At most [`MAX_CLAIM_CHARS`] characters of `value`.
fn bounded(value: &str) -> String {
    value.chars().take(MAX_CLAIM_CHARS).collect()
}

/// A JWT `NumericDate`: seconds, possibly fractional.
fn numeric_date(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.floor() as i64)
    })
}

/// A token's three segments.
struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    /// `header.payload`, what the signature covers.
    signed: &'a str,
}

/// Whether `token` has the shape of a JWS in compact form: three base64url segments,
/// header and payload non-empty (an unsigned token's empty signature still counts, to be
/// refused as such rather than as an unknown API token).
pub fn looks_like_jwt(token: &str) -> bool {
    let mut segments = 0;
    for (i, segment) in token.split('.').enumerate() {
        segments += 1;
        if segments > 3
            || (i < 2 && segment.is_empty())
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
    }
    segments == 3
}

fn split(token: &str) -> std::result::Result<Parts<'_>, Refused> {
    let malformed = || refused(Refusal::Malformed, "the token is not a signed JWT");
    let (signed, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
    let (header, payload) = signed.split_once('.').ok_or_else(malformed)?;
    if header.is_empty() || payload.is_empty() || payload.contains('.') {
        return Err(malformed());
    }
    if signature.is_empty() {
        return Err(refused(
            Refusal::Algorithm,
            "the token is not signed (alg none is never accepted)",
        ));
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signed,
    })
}

/// Decodes a base64url JSON object of at most `limit` decoded bytes.
fn decode_json(segment: &str, limit: usize, what: &str) -> std::result::Result<Value, Refused> {
    let malformed = || {
        refused(
            Refusal::Malformed,
            format!("the token's {what} is not base64url JSON"),
        )
    };
    if segment.len() / 4 * 3 > limit {
        return Err(refused(
            Refusal::TooLarge,
            format!("the token's {what} is too large"),
        ));
    }
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| malformed())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(malformed())
    }
}

/// The key must be of the algorithm's type (and curve), and of its algorithm when the
/// key names one.
fn check_key(algorithm: Algorithm, key: &Key) -> std::result::Result<(), Refused> {
    let consistent = match (&key.material, algorithm.curve()) {
        (Material::Rsa { .. }, None) => true,
        (Material::Ec { curve, .. }, Some(wanted)) => *curve == wanted,
        _ => false,
    };
    let same_alg = key.alg.as_deref().is_none_or(|alg| alg == algorithm.name());
    if consistent && same_alg {
        Ok(())
    } else {
        Err(refused(
            Refusal::Algorithm,
            format!(
                "the token's algorithm {} does not match its key",
                algorithm.name()
            ),
        ))
    }
}

fn verify_signature(
    algorithm: Algorithm,
    key: &Key,
    message: &[u8],
    signature_bytes: &[u8],
) -> std::result::Result<(), Refused> {
    let verified = match &key.material {
        Material::Rsa { n, e } => {
            let parameters: &signature::RsaParameters = match algorithm {
                Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                Algorithm::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                Algorithm::Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
                Algorithm::Es256 | Algorithm::Es384 => {
                    return Err(refused(
                        Refusal::Algorithm,
                        "an EC algorithm with an RSA key",
                    ));
                }
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(parameters, message, signature_bytes)
                .is_ok()
        }
        Material::Ec { point, .. } => {
            let parameters: &signature::EcdsaVerificationAlgorithm = match algorithm {
                Algorithm::Es256 => &signature::ECDSA_P256_SHA256_FIXED,
                Algorithm::Es384 => &signature::ECDSA_P384_SHA384_FIXED,
                _ => {
                    return Err(refused(
                        Refusal::Algorithm,
                        "an RSA algorithm with an EC key",
                    ));
                }
            };
            signature::UnparsedPublicKey::new(parameters, point)
                .verify(message, signature_bytes)
                .is_ok()
        }
    };
    if verified {
        Ok(())
    } else {
        Err(refused(
            Refusal::Signature,
            "the token's signature is invalid",
        ))
    }
}

/// The signing keys of a JWKS document, by `kid`: RSA and EC (P-256, P-384) keys with a
/// `kid`, not marked for encryption; others are skipped.
fn parse_key_set(document: &Value) -> std::result::Result<HashMap<String, Key>, String> {
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the key set has no keys array")?;
    let mut parsed = HashMap::new();
    for jwk in keys.iter().take(MAX_KEYS) {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| text(name).and_then(|v| URL_SAFE_NO_PAD.decode(v).ok());
        if text("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let Some(kid) = text("kid") else { continue };
        let material = match text("kty") {
            Some("RSA") => match (bytes("n"), bytes("e")) {
                (Some(n), Some(e)) => Material::Rsa { n, e },
                _ => continue,
            },
            Some("EC") => {
                let curve = match text("crv") {
                    Some("P-256") => "P-256",
                    Some("P-384") => "P-384",
                    _ => continue,
                };
                let (Some(x), Some(y)) = (bytes("x"), bytes("y")) else {
                    continue;
                };
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Material::Ec { curve, point }
            }
            _ => continue,
        };
        parsed.insert(
            kid.to_owned(),
            Key {
                alg: text("alg").map(str::to_owned),
                material,
            },
        );
    }
    Ok(parsed)
}

/// The HTTP client for the provider: the workspace's HTTPS client, trusting Mozilla's
/// roots or only the authorities of `OIDC_CA_FILE`.
fn http_client(ca_file: Option<&std::path::Path>) -> Result<reqwest::Client> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = Vec::new();
    if let Some(path) = ca_file {
        roots = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| {
                Error::Config(format!(
                    "OIDC_CA_FILE : {} n'est pas un fichier PEM de certificats ({e})",
                    path.display()
                ))
            })?;
        if roots.is_empty() {
            return Err(Error::Config(format!(
                "OIDC_CA_FILE : aucun certificat utilisable dans {}",
                path.display()
            )));
        }
    }
    territoires_sync::https_client("OIDC_CA_FILE", roots).map_err(|e| match ca_file {
        Some(path) => Error::Config(format!(
            "OIDC_CA_FILE : aucun certificat utilisable dans {} ({e})",
            path.display()
        )),
        None => Error::Internal(format!("HTTP client for the identity provider: {e}")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: Some("https://sso.example.fr/realms/cd92".to_owned()),
            audience: Some("territoires".to_owned()),
            ..OidcSettings::default()
        }
    }

    #[test]
    fn unsafe_algorithms_and_plain_http_are_configuration_errors() {
        for bad in ["none", "HS256", "hs512", "XS1"] {
            let mut s = settings();
            s.algorithms = vec!["RS256".to_owned(), bad.to_owned()];
            let error = OidcConfig::from_settings(&s).unwrap_err().to_string();
            assert!(error.contains("OIDC_ALGORITHMS"), "{bad}: {error}");
        }
        let mut s = settings();
        s.issuer = Some("http://sso.example.fr".to_owned());
        assert!(
            OidcConfig::from_settings(&s)
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
        s.issuer = Some("http://127.0.0.1:9000".to_owned());
        assert!(OidcConfig::from_settings(&s).unwrap().is_some());
        let mut s = settings();
        s.audience = None;
        assert!(
            OidcConfig::from_settings(&s)
                .unwrap_err()
                .to_string()
                .contains("OIDC_AUDIENCE")
        );
        let mut s = settings();
        s.role_claim = "realm_access..roles".to_owned();
        assert!(OidcConfig::from_settings(&s).is_err());
        assert!(
            OidcConfig::from_settings(&OidcSettings::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_console_client_needs_openid_and_keeps_its_secret_out_of_logs() {
        let mut s = settings();
        s.console_client_id = Some("territoires-console".to_owned());
        s.console_client_secret = Some("tr3s-secret".to_owned());
        let config = OidcConfig::from_settings(&s).unwrap().unwrap();
        let client = config.console().unwrap();
        assert_eq!(client.scopes, "openid profile email offline_access");
        assert!(!format!("{config:?}").contains("tr3s-secret"));
        s.console_scopes = "profile email".to_owned();
        let error = OidcConfig::from_settings(&s).unwrap_err().to_string();
        assert!(error.contains("OIDC_CONSOLE_SCOPES"), "{error}");
        s.console_client_id = Some("  ".to_owned());
        assert!(
            OidcConfig::from_settings(&s)
                .unwrap()
                .unwrap()
                .console()
                .is_none()
        );
    }

    #[test]
    fn roles_come_from_strings_arrays_and_nested_claims() {
        let mut s = settings();
        s.role_claim = "realm_access.roles".to_owned();
        s.editor_values = vec!["territoires-editeur".to_owned()];
        s.admin_values = vec!["territoires-admin".to_owned()];
        let verifier = Verifier::new(OidcConfig::from_settings(&s).unwrap().unwrap()).unwrap();
        let role = |claims: Value| verifier.role_of(&claims);
        assert_eq!(
            role(serde_json::json!({"realm_access": {"roles": ["x", "territoires-editeur"]}})),
            Some(Role::Editor)
        );
        assert_eq!(
            role(
                serde_json::json!({"realm_access": {"roles": ["territoires-editeur", "territoires-admin"]}})
            ),
            Some(Role::Admin)
        );
        assert_eq!(
            role(serde_json::json!({"realm_access": {"roles": "territoires-admin"}})),
            Some(Role::Admin)
        );
        assert_eq!(
            role(serde_json::json!({"roles": ["territoires-admin"]})),
            None
        );
        assert_eq!(
            role(serde_json::json!({"realm_access": {"roles": 3}})),
            None
        );
    }

    #[test]
    fn jwt_shapes_are_told_from_api_tokens() {
        assert!(looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(looks_like_jwt("eyJh.eyJz."));
        assert!(!looks_like_jwt("terr_abc"));
        assert!(!looks_like_jwt("a.b"));
        assert!(!looks_like_jwt("a.b.c.d"));
        assert!(!looks_like_jwt(".b.c"));
        assert!(!looks_like_jwt("a.b.c+"));
        assert!(!looks_like_jwt("a.b.c="));
    }
}
