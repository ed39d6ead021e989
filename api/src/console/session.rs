//! Console sessions: opened by signing in with an ADMIN token or through the identity
//! provider, kept in the database so every replica knows them, ended by signing out or
//! by expiry — 30 minutes without a request, or 12 hours after sign-in, whichever comes
//! first.
//!
//! The browser holds a random 32-byte secret in an `HttpOnly; SameSite=Lax` cookie
//! scoped to `/admin` (`Secure` when `PUBLIC_URL` is https); the database holds its
//! SHA-256 only. `Lax`, not `Strict`: the identity provider's redirect back to the
//! console is a cross-site navigation that must carry the cookie. Each request checks
//! again that the token signed in with is still valid and ADMIN, so revoking it ends its
//! sessions at once. A person's session is renewed with the provider's refresh token
//! (kept on the server only) once the access token has expired; a failed renewal (the
//! rotated refresh token not stored included), or a renewed ID token without the ADMIN
//! role, ends it. A renewal answered without an ID token keeps the role of the last one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::audit_log::{AuditEntity, NewEntry, Person};
use entity::{AuditAction, Role, audit_log, console_session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::ConsoleState;
use crate::access::{hash_token, viewer_of};
use crate::editing::Author;
use crate::error::{Error, Result};

/// The session cookie.
pub const COOKIE: &str = "territoires_session";
/// A session unused this long ends.
pub const IDLE_EXPIRY: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_EXPIRY: Duration = Duration::hours(12);
/// The longest cookie value looked at: a secret is 43 characters; anything longer is not
/// one of ours and is not hashed or looked up.
const MAX_SECRET_LEN: usize = 64;

/// A signed-in administrator's session, checked for this request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id.
    pub id: i32,
    /// The token's name, or the person's name: the author of every action.
    pub author: String,
    /// The person, for a session opened through the identity provider.
    pub person: Option<Person>,
    /// The secret every form of the session carries.
    pub csrf: String,
}

/// The author of the session's actions, as every console write records it: the token's
/// name alone, or the person's name with their subject and e-mail (the audit entry's and
/// the run's `author`). The one conversion the console's writes go through.
impl From<&Session> for Author {
    fn from(session: &Session) -> Self {
        Author::now(session.author.clone()).person(session.person.clone())
    }
}

/// Why a request has no session; each has its French message on the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No cookie, or one matching no session.
    None,
    /// Idle or absolute expiry reached.
    Expired,
    /// The token signed in with was revoked, expired or lost its role.
    TokenInvalid,
    /// Signed out.
    SignedOut,
    /// The identity provider did not renew the session, or no longer gives the person
    /// the ADMIN role.
    Renewal,
    /// The session could not be checked (database unreachable): an error page, not a
    /// sign-in page, so no one is told their session ended when it did not.
    Unchecked,
}

impl Missing {
    /// Its code in the sign-in page's address (`?motif=`).
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "connexion",
            Self::Expired => "expiree",
            Self::TokenInvalid => "jeton",
            Self::SignedOut => "deconnexion",
            Self::Renewal => "renouvellement",
            Self::Unchecked => "erreur",
        }
    }

    /// From the sign-in page's `?motif=`; unknown codes show nothing.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::None,
            Self::Expired,
            Self::TokenInvalid,
            Self::SignedOut,
            Self::Renewal,
        ]
        .into_iter()
        .find(|m| m.code() == code)
    }

    /// What the sign-in page says.
    pub fn message(self) -> &'static str {
        match self {
            Self::None => "Veuillez vous connecter pour accéder à la console d'administration.",
            Self::Expired => {
                "Votre session a expiré (30 minutes sans activité, ou 12 heures après la \
                 connexion). Reconnectez-vous."
            }
            Self::TokenInvalid => {
                "Le jeton avec lequel vous étiez connecté a été révoqué, a expiré ou n'a plus le \
                 rôle ADMIN : votre session est fermée."
            }
            Self::SignedOut => "Vous êtes déconnecté.",
            Self::Renewal => {
                "Votre connexion avec le compte du Département n'a pas pu être renouvelée \
                 auprès du fournisseur d'identité, ou votre compte n'a plus le rôle \
                 d'administrateur : votre session est fermée. Reconnectez-vous."
            }
            Self::Unchecked => {
                "Votre session n'a pas pu être vérifiée (base de données injoignable). \
                 Réessayez dans un instant."
            }
        }
    }

    /// The redirect to the sign-in page, clearing the cookie (an error page when the
    /// session could not be checked).
    pub fn redirect(self, state: &ConsoleState) -> Response {
        if self == Self::Unchecked {
            return super::error_page(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "Service momentanément indisponible",
                self.message(),
            );
        }
        let mut response =
            Redirect::to(&format!("{}/connexion?motif={}", super::BASE, self.code()))
                .into_response();
        if let Ok(value) = HeaderValue::from_str(&clear_cookie(COOKIE, state.https())) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }
}

/// 32 random bytes, URL-safe base64 (43 characters).
pub fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The value of cookie `name` in the request's `Cookie` headers, if it looks like one of
/// our secrets (bounded length, base64url characters); anything else is ignored.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| {
            !value.is_empty()
                && value.len() <= MAX_SECRET_LEN
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A `Set-Cookie` value for `name=value` on the console's path.
pub fn cookie(name: &str, value: &str, max_age: Duration, same_site: &str, secure: bool) -> String {
    format!(
        "{name}={value}; Path={}; Max-Age={}; HttpOnly; SameSite={same_site}{}",
        super::BASE,
        max_age.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// A `Set-Cookie` value deleting cookie `name`.
pub fn clear_cookie(name: &str, secure: bool) -> String {
    cookie(name, "", Duration::zero(), "Lax", secure)
}

/// Opens a session for the token `token` (already checked to be a valid ADMIN token
/// named `author`) and records the sign-in; returns the cookie's secret. Sessions
/// expired meanwhile are swept on the way.
pub async fn open(db: &DatabaseConnection, author: &str, token: &str) -> Result<String> {
    insert(db, author, hash_token(token), None).await
}

/// What a session opened through the identity provider keeps.
pub struct ProviderSession {
    /// The person (an ADMIN, checked by the caller).
    pub person: Person,
    /// The refresh token, if the provider gave one.
    pub refresh_token: Option<String>,
    /// The ID token, for the sign-out.
    pub id_token: String,
    /// When the access token expires.
    pub access_expires_at: DateTime<Utc>,
}

/// Opens a session for a person signed in through the provider and records the sign-in
/// under them; returns the cookie's secret.
pub async fn open_for_person(
    db: &DatabaseConnection,
    signed_in: ProviderSession,
) -> Result<String> {
    let author = signed_in.person.display().to_owned();
    // No API token backs the session: its token hash is empty and never matches one.
    insert(db, &author, String::new(), Some(signed_in)).await
}

async fn insert(
    db: &DatabaseConnection,
    author: &str,
    token_hash: String,
    provider: Option<ProviderSession>,
) -> Result<String> {
    let secret = random_secret()?;
    let signer = Author::now(author).person(provider.as_ref().map(|p| p.person.clone()));
    let now = signer.now;
    let txn = db.begin().await?;
    sweep(&txn, now).await?;
    let mut session = console_session::ActiveModel {
        secret_hash: Set(hash_token(&secret)),
        token_name: Set(author.to_owned()),
        token_hash: Set(token_hash),
        csrf_secret: Set(random_secret()?),
        created_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    };
    if let Some(provider) = provider {
        session.person_subject = Set(Some(provider.person.subject));
        session.person_name = Set(provider.person.name);
        session.person_email = Set(provider.person.email);
        session.refresh_token = Set(provider.refresh_token);
        session.id_token = Set(Some(provider.id_token));
        session.access_expires_at = Set(Some(provider.access_expires_at));
    }
    let session = session.insert(&txn).await?;
    record(&txn, &signer, session.id, AuditAction::Create).await?;
    txn.commit().await?;
    Ok(secret)
}

/// Ends session `session` and records the sign-out; returns the session's ID token, for
/// the sign-out at the provider.
pub async fn close(db: &DatabaseConnection, session: &Session) -> Result<Option<String>> {
    let txn = db.begin().await?;
    let id_token = console_session::Entity::find_by_id(session.id)
        .one(&txn)
        .await?
        .and_then(|stored| stored.id_token);
    console_session::Entity::delete_by_id(session.id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        &Author::from(session),
        session.id,
        AuditAction::Archive,
    )
    .await?;
    txn.commit().await?;
    Ok(id_token)
}

async fn record(
    db: &impl sea_orm::ConnectionTrait,
    author: &Author,
    id: i32,
    action: AuditAction,
) -> Result<()> {
    let entry = NewEntry {
        entity: AuditEntity::ConsoleSession,
        entity_id: id,
        action,
        changes: Vec::new(),
    };
    audit_log::record(
        db,
        &author.name,
        author.person.as_ref(),
        author.now,
        vec![entry],
    )
    .await?;
    Ok(())
}

/// Deletes the sessions past either expiry.
async fn sweep(db: &impl sea_orm::ConnectionTrait, now: DateTime<Utc>) -> Result<()> {
    console_session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(console_session::Column::LastSeenAt.lt(now - IDLE_EXPIRY))
                .add(console_session::Column::CreatedAt.lt(now - ABSOLUTE_EXPIRY)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The session of a request: its cookie's secret matches a stored session, neither
/// expiry is reached and its token is still a valid ADMIN token — or, for a person, the
/// provider renewed it if its access token expired. The session's last use is moved to
/// now. A session that fails any of these is deleted.
pub async fn check(state: &ConsoleState, headers: &HeaderMap) -> Result<Session, Missing> {
    let secret = cookie_value(headers, COOKIE).ok_or(Missing::None)?;
    let failed = |error: Error| {
        tracing::error!(error = %error, "console session check failed");
        Missing::Unchecked
    };
    let Some(stored) = console_session::Entity::find()
        .filter(console_session::Column::SecretHash.eq(hash_token(secret)))
        .one(&state.db)
        .await
        .map_err(|e| failed(e.into()))?
    else {
        return Err(Missing::None);
    };
    let now = Utc::now();
    let expired =
        now - stored.last_seen_at >= IDLE_EXPIRY || now - stored.created_at >= ABSOLUTE_EXPIRY;
    let outcome = if expired {
        Err(Missing::Expired)
    } else if stored.person_subject.is_some() {
        renew_if_due(state, &stored, now).await
    } else {
        match state.directory.fresh().await {
            Ok(snapshot) => {
                let valid = snapshot
                    .token_by_hash(&stored.token_hash)
                    .and_then(|model| viewer_of(model, now).ok())
                    .is_some_and(|viewer| viewer.has(Role::Admin));
                if valid {
                    Ok(())
                } else {
                    Err(Missing::TokenInvalid)
                }
            }
            Err(e) => return Err(failed(e.into())),
        }
    };
    if let Err(missing) = outcome {
        if missing != Missing::Unchecked {
            console_session::Entity::delete_by_id(stored.id)
                .exec(&state.db)
                .await
                .map_err(|e| failed(e.into()))?;
        }
        return Err(missing);
    }
    console_session::Entity::update_many()
        .col_expr(console_session::Column::LastSeenAt, Expr::value(now))
        .filter(console_session::Column::Id.eq(stored.id))
        .exec(&state.db)
        .await
        .map_err(|e| failed(e.into()))?;
    let person = stored.person_subject.map(|subject| Person {
        subject,
        name: stored.person_name,
        email: stored.person_email,
    });
    Ok(Session {
        id: stored.id,
        author: stored.token_name,
        person,
        csrf: stored.csrf_secret,
    })
}

/// How long a request renewing a session holds the renewal: concurrent requests meanwhile
/// go through on the session as it is rather than spending the refresh token twice.
const RENEWAL_HOLD: Duration = Duration::seconds(60);
/// Bounds of an access token's lifetime as the provider states it.
const MIN_ACCESS_SECS: i64 = 30;
const MAX_ACCESS_SECS: i64 = 24 * 3600;

/// Renews a person's session with the provider's refresh token once its access token has
/// expired. One request renews (it moves the expiry forward first, so concurrent ones
/// see the session as renewed); a failed refresh, or a new ID token for someone else or
/// without the ADMIN role, ends the session.
///
/// The claim takes the refresh token out of the row: from then on this request holds the
/// only copy, and the token the provider answers with (rotated, or the same one when it
/// does not rotate) goes back in the same statement that extends the session. A renewal
/// that stops half-way — the provider refuses, the process stops, or that statement
/// fails — leaves the session without a refresh token: it cannot go on with a token the
/// provider has replaced. A failed write ends the session at once (`Missing::Renewal`,
/// the sign-in page's message for a failed renewal).
///
/// The role: an answer with a new ID token has it checked again (subject and ADMIN role);
/// an answer without one (providers need not send it on refresh) keeps the role of the
/// last ID token verified — at sign-in, or at an earlier renewal — until the provider
/// sends another one or the session ends (12 hours after sign-in at most).
async fn renew_if_due(
    state: &ConsoleState,
    stored: &console_session::Model,
    now: DateTime<Utc>,
) -> Result<(), Missing> {
    if stored.access_expires_at.is_some_and(|at| at > now) {
        return Ok(());
    }
    let unchecked = |error: sea_orm::DbErr| {
        tracing::error!(error = %error, "console session renewal failed");
        Missing::Unchecked
    };
    let claimed = console_session::Entity::update_many()
        .col_expr(
            console_session::Column::AccessExpiresAt,
            Expr::value(now + RENEWAL_HOLD),
        )
        .col_expr(
            console_session::Column::RefreshToken,
            Expr::value(Option::<String>::None),
        )
        .filter(console_session::Column::Id.eq(stored.id))
        .filter(
            Condition::any()
                .add(console_session::Column::AccessExpiresAt.is_null())
                .add(console_session::Column::AccessExpiresAt.lte(now)),
        )
        .exec(&state.db)
        .await
        .map_err(unchecked)?;
    if claimed.rows_affected == 0 {
        return Ok(());
    }
    let ended = |why: &str| {
        tracing::info!(session = stored.id, why, "console session not renewed");
        Missing::Renewal
    };
    let (Some(verifier), Some(refresh_token)) = (&state.oidc, &stored.refresh_token) else {
        return Err(ended("no refresh token"));
    };
    let answer = verifier
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
        .map_err(|error| ended(&error))?;
    // Without a new ID token the role is not checked again: it stays that of the last ID
    // token verified (see above).
    let mut id_token = None;
    if let Some(token) = &answer.id_token {
        let identity = verifier
            .verify_id_token(token, None, now)
            .await
            .map_err(|refusal| ended(&refusal.message))?;
        if Some(&identity.person.subject) != stored.person_subject.as_ref() {
            return Err(ended("the renewed ID token names someone else"));
        }
        if identity.role != Some(Role::Admin) {
            return Err(ended("the person no longer has the ADMIN role"));
        }
        id_token = Some(token.clone());
    }
    let lifetime = answer
        .expires_in
        .unwrap_or(300)
        .clamp(MIN_ACCESS_SECS, MAX_ACCESS_SECS);
    // The refresh token to keep: the rotated one, else the one just used.
    let kept = answer
        .refresh_token
        .unwrap_or_else(|| refresh_token.clone());
    let mut update = console_session::Entity::update_many()
        .col_expr(
            console_session::Column::AccessExpiresAt,
            Expr::value(now + Duration::seconds(lifetime)),
        )
        .col_expr(console_session::Column::RefreshToken, Expr::value(kept))
        .filter(console_session::Column::Id.eq(stored.id));
    if let Some(id_token) = id_token {
        update = update.col_expr(console_session::Column::IdToken, Expr::value(id_token));
    }
    match update.exec(&state.db).await {
        Ok(done) if done.rows_affected == 1 => {
            tracing::info!(session = stored.id, "console session renewed");
            Ok(())
        }
        // Signed out (or swept) meanwhile: there is no session any more.
        Ok(_) => Err(Missing::None),
        Err(error) => {
            tracing::error!(
                session = stored.id,
                error = %error,
                "console session renewed at the provider but not stored: session ended"
            );
            Err(Missing::Renewal)
        }
    }
}

/// Pages behind sign-in take a [`Session`]; without one, the browser is sent to the
/// sign-in page with the reason.
impl FromRequestParts<ConsoleState> for Session {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        check(state, &parts.headers)
            .await
            .map_err(|missing| missing.redirect(state))
    }
}
