//! Signing in to the console through the identity provider: the authorization code flow
//! with PKCE (S256). Each attempt draws its own `state`, `nonce` and code verifier; the
//! server keeps them (the state hashed) and the browser holds the state in a ten-minute
//! `HttpOnly` cookie, so the provider's return is accepted once, only in the browser
//! that started the attempt, and only with the ID token made for that attempt.
//!
//! The ID token is checked with the API's own key cache (signature, `iss`, `aud` = the
//! console's client id, `exp`, `nonce`); the person's role comes from its role claim
//! (`OIDC_ROLE_CLAIM`): only an ADMIN enters.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::{Role, console_sign_in};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;

use crate::access::hash_token;
use crate::console::session::{self, ProviderSession, cookie, cookie_value};
use crate::console::{BASE, ConsoleState, csrf, error_page, internal};

/// The cookie holding an attempt's `state`.
pub const ATTEMPT_COOKIE: &str = "territoires_oidc";
/// How long the provider's return is awaited.
const ATTEMPT_LIFETIME: Duration = Duration::minutes(10);
/// Longest query string read on the provider's return: a code, a state and an error
/// stay far under it; anything longer is refused before it is parsed.
pub const MAX_CALLBACK_QUERY: usize = 4096;
/// Most sign-ins awaiting the provider's return: anyone may start one, so a flood of
/// starts drops the oldest rather than growing without bound (see [`make_room`]).
pub const MAX_PENDING: u64 = 10_000;
/// Where the provider sends the browser back, under [`BASE`].
pub const CALLBACK_PATH: &str = "/connexion/oidc/retour";

/// The redirect URI registered at the provider: `PUBLIC_URL` + the callback path.
pub fn redirect_uri(state: &ConsoleState) -> Option<String> {
    let public = state.public_url.as_deref()?.trim_end_matches('/');
    Some(format!("{public}{BASE}{CALLBACK_PATH}"))
}

/// Where the provider sends the browser after signing out.
pub fn post_logout_uri(state: &ConsoleState) -> Option<String> {
    let public = state.public_url.as_deref()?.trim_end_matches('/');
    Some(format!("{public}{BASE}/connexion?motif=deconnexion"))
}

/// Keeps at most [`MAX_PENDING`] - 1 attempts before a new one is stored, dropping the
/// oldest: anyone may start a sign-in, and refusing new ones once full would let a flood
/// of starts lock every administrator out; dropping the oldest only makes a flood's
/// victims start again, and an attacker must outpace real sign-ins to do even that.
async fn make_room(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let pending = console_sign_in::Entity::find().count(db).await?;
    if pending < MAX_PENDING {
        return Ok(());
    }
    let Some(newest_dropped) = console_sign_in::Entity::find()
        .order_by_asc(console_sign_in::Column::Id)
        .offset(pending - MAX_PENDING)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    tracing::warn!(
        pending,
        "console sign-in: too many attempts pending, the oldest dropped"
    );
    console_sign_in::Entity::delete_many()
        .filter(console_sign_in::Column::Id.lte(newest_dropped.id))
        .exec(db)
        .await?;
    Ok(())
}

fn unavailable() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Connexion momentanément impossible",
        "Le fournisseur d'identité du Département n'a pas encore pu être joint par le \
         service. Réessayez dans un instant, ou connectez-vous avec un jeton d'accès.",
    )
}

fn refused(status: StatusCode, message: &str) -> Response {
    error_page(status, "Connexion refusée", message)
}

/// `GET /admin/connexion/oidc`: starts an attempt and sends the browser to the provider.
pub async fn start(State(state): State<ConsoleState>) -> Response {
    let (Some(verifier), Some(redirect)) = (state.provider(), redirect_uri(&state)) else {
        return crate::console::error_page(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "La connexion par le fournisseur d'identité n'est pas configurée.",
        );
    };
    let Some(client) = verifier.console() else {
        return unavailable();
    };
    let Some(authorization) = verifier.endpoints().and_then(|e| e.authorization) else {
        return unavailable();
    };
    let Ok(mut url) = reqwest::Url::parse(&authorization) else {
        return unavailable();
    };
    let (state_value, nonce, code_verifier) = match (
        session::random_secret(),
        session::random_secret(),
        session::random_secret(),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return internal(e),
    };
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        code_verifier.as_bytes(),
    ));
    let now = Utc::now();
    if let Err(error) = console_sign_in::Entity::delete_many()
        .filter(console_sign_in::Column::CreatedAt.lt(now - ATTEMPT_LIFETIME))
        .exec(&state.db)
        .await
    {
        return internal(error.into());
    }
    if let Err(error) = make_room(&state.db).await {
        return internal(error.into());
    }
    let attempt = console_sign_in::ActiveModel {
        state_hash: Set(hash_token(&state_value)),
        nonce: Set(nonce.clone()),
        code_verifier: Set(code_verifier),
        created_at: Set(now),
        ..Default::default()
    };
    if let Err(error) = attempt.insert(&state.db).await {
        return internal(error.into());
    }
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", &client.scopes)
        .append_pair("state", &state_value)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if client.scopes.split(' ').any(|s| s == "offline_access") {
        // Providers issue a refresh token for offline_access only after consent.
        url.query_pairs_mut().append_pair("prompt", "consent");
    }
    let mut response = Redirect::to(url.as_str()).into_response();
    // Lax: the provider's return is a top-level navigation from another site.
    let value = cookie(
        ATTEMPT_COOKIE,
        &state_value,
        ATTEMPT_LIFETIME,
        "Lax",
        state.https(),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The provider's return.
#[derive(Debug, Default, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /admin/connexion/oidc/retour`: the provider's return. The attempt is consumed
/// first (a replayed return finds nothing), then the code is exchanged with the
/// verifier, the ID token checked, and a session opened for an ADMIN.
pub async fn callback(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.len() > MAX_CALLBACK_QUERY {
        return refused(
            StatusCode::BAD_REQUEST,
            "La réponse du fournisseur d'identité est anormalement longue : elle est ignorée.",
        );
    }
    let Some(verifier) = state.provider() else {
        return crate::console::error_page(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "La connexion par le fournisseur d'identité n'est pas configurée.",
        );
    };
    let params: Callback = serde_urlencoded::from_str(&query).unwrap_or_default();
    let unknown = || {
        refused(
            StatusCode::BAD_REQUEST,
            "Cette tentative de connexion est inconnue, a déjà servi ou a expiré (dix minutes). \
             Recommencez depuis la page de connexion.",
        )
    };
    let Some(sent_state) = params.state.as_deref() else {
        return unknown();
    };
    let Some(expected) = cookie_value(&headers, ATTEMPT_COOKIE) else {
        return unknown();
    };
    if !csrf::matches(expected, Some(sent_state)) {
        return unknown();
    }
    let found = console_sign_in::Entity::find()
        .filter(console_sign_in::Column::StateHash.eq(hash_token(sent_state)))
        .one(&state.db)
        .await;
    let attempt = match found {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return unknown(),
        Err(error) => return internal(error.into()),
    };
    // Single use: whoever deletes the row owns the attempt.
    match console_sign_in::Entity::delete_by_id(attempt.id)
        .exec(&state.db)
        .await
    {
        Ok(deleted) if deleted.rows_affected == 1 => {}
        Ok(_) => return unknown(),
        Err(error) => return internal(error.into()),
    }
    let now = Utc::now();
    if now - attempt.created_at >= ATTEMPT_LIFETIME {
        return unknown();
    }
    let done = |response: Response| clear_attempt(&state, response);
    if let Some(error) = params.error.as_deref() {
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        tracing::info!(error = %code, "console sign-in refused by the identity provider");
        return done(refused(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Le fournisseur d'identité n'a pas accordé la connexion (motif : {code}). \
                 Recommencez, ou adressez-vous au support informatique du Département."
            ),
        ));
    }
    let Some(code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
        return done(unknown());
    };
    let Some(redirect) = redirect_uri(&state) else {
        return done(unavailable());
    };
    let answer = match verifier
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect),
            ("code_verifier", &attempt.code_verifier),
        ])
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, "console sign-in: the code exchange failed");
            return done(refused(
                StatusCode::BAD_GATEWAY,
                "Le fournisseur d'identité n'a pas confirmé la connexion. Recommencez depuis la \
                 page de connexion.",
            ));
        }
    };
    let Some(id_token) = answer.id_token else {
        tracing::warn!("console sign-in: the provider sent no ID token");
        return done(refused(
            StatusCode::BAD_GATEWAY,
            "Le fournisseur d'identité n'a pas envoyé de jeton d'identité.",
        ));
    };
    let identity = match verifier
        .verify_id_token(&id_token, Some(&attempt.nonce), now)
        .await
    {
        Ok(identity) => identity,
        Err(refusal) => {
            tracing::warn!(reason = refusal.reason.label(), message = %refusal.message, "console sign-in: ID token refused");
            return done(refused(
                StatusCode::UNAUTHORIZED,
                "Le jeton d'identité reçu du fournisseur n'est pas valable (signature, \
                 émetteur, destinataire, expiration ou nonce) : la connexion est refusée.",
            ));
        }
    };
    if identity.role != Some(Role::Admin) {
        tracing::info!(subject = %identity.person.subject, "console sign-in refused: not an administrator");
        return done(refused(
            StatusCode::FORBIDDEN,
            "Votre compte du Département n'a pas le rôle d'administrateur de Territoires : la \
             console d'administration vous est fermée. Si vous devez y accéder, demandez ce \
             rôle au support informatique.",
        ));
    }
    let lifetime = answer
        .expires_in
        .unwrap_or_else(|| (identity.expires_at - now).num_seconds())
        .clamp(30, 24 * 3600);
    let person = identity.person;
    let subject = person.subject.clone();
    let opened = session::open_for_person(
        &state.db,
        ProviderSession {
            person,
            refresh_token: answer.refresh_token,
            id_token,
            access_expires_at: now + Duration::seconds(lifetime),
        },
    )
    .await;
    let secret = match opened {
        Ok(secret) => secret,
        Err(error) => return done(internal(error)),
    };
    tracing::info!(%subject, "console sign-in through the identity provider");
    let mut response = Redirect::to(BASE).into_response();
    let value = cookie(
        session::COOKIE,
        &secret,
        session::ABSOLUTE_EXPIRY,
        "Lax",
        state.https(),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    done(response)
}

fn clear_attempt(state: &ConsoleState, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&session::clear_cookie(ATTEMPT_COOKIE, state.https()))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Where to send the browser after its session `id_token` ended: the provider's
/// `end_session_endpoint` when it has one, else `None`.
pub fn end_session_url(state: &ConsoleState, id_token: &str) -> Option<String> {
    let verifier = state.provider()?;
    let endpoint = verifier.endpoints()?.end_session?;
    let mut url = reqwest::Url::parse(&endpoint).ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("id_token_hint", id_token);
        if let Some(client) = verifier.console() {
            query.append_pair("client_id", &client.client_id);
        }
        if let Some(back) = post_logout_uri(state) {
            query.append_pair("post_logout_redirect_uri", &back);
        }
    }
    Some(url.into())
}
