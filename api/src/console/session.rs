//! Console sessions: opened by signing in with an ADMIN token, kept in the database so
//! every replica knows them, ended by signing out or by expiry — 30 minutes without a
//! request, or 12 hours after sign-in, whichever comes first.
//!
//! The browser holds a random 32-byte secret in an `HttpOnly; SameSite=Lax` cookie
//! scoped to `/admin` (`Secure` when `PUBLIC_URL` is https); the database holds its
//! SHA-256 only. `Lax`, not `Strict`: the identity provider's redirect back to the
//! console is a cross-site navigation that must carry the cookie. Each request checks
//! again that the token signed in with is still valid and ADMIN, so revoking it ends its
//! sessions at once.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::audit_log::NewEntry;
use entity::{AuditAction, Role, audit_log, console_session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::ConsoleState;
use crate::access::{hash_token, viewer_of};
use crate::error::{Error, Result};

/// The session cookie.
pub const COOKIE: &str = "territoires_session";
/// A session unused this long ends.
pub const IDLE_EXPIRY: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_EXPIRY: Duration = Duration::hours(12);
/// The audit log's name for console sessions.
pub const AUDIT_ENTITY: &str = "ConsoleSession";
/// The longest cookie value looked at: a secret is 43 characters; anything longer is not
/// one of ours and is not hashed or looked up.
const MAX_SECRET_LEN: usize = 64;

/// A signed-in administrator's session, checked for this request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id.
    pub id: i32,
    /// The token's name: the author of every action.
    pub author: String,
    /// The secret every form of the session carries.
    pub csrf: String,
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
    let secret = random_secret()?;
    let now = Utc::now();
    let txn = db.begin().await?;
    sweep(&txn, now).await?;
    let session = console_session::ActiveModel {
        secret_hash: Set(hash_token(&secret)),
        token_name: Set(author.to_owned()),
        token_hash: Set(hash_token(token)),
        csrf_secret: Set(random_secret()?),
        created_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(&txn, author, now, session.id, AuditAction::Create).await?;
    txn.commit().await?;
    Ok(secret)
}

/// Ends session `session` and records the sign-out.
pub async fn close(db: &DatabaseConnection, session: &Session) -> Result<()> {
    let now = Utc::now();
    let txn = db.begin().await?;
    console_session::Entity::delete_by_id(session.id)
        .exec(&txn)
        .await?;
    record(&txn, &session.author, now, session.id, AuditAction::Archive).await?;
    txn.commit().await?;
    Ok(())
}

async fn record(
    db: &impl sea_orm::ConnectionTrait,
    author: &str,
    at: DateTime<Utc>,
    id: i32,
    action: AuditAction,
) -> Result<()> {
    let entry = NewEntry {
        entity: AUDIT_ENTITY,
        entity_id: id,
        action,
        changes: Vec::new(),
    };
    audit_log::record(db, author, None, at, vec![entry]).await?;
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
/// expiry is reached and its token is still a valid ADMIN token. The session's last use
/// is moved to now. An expired session or one whose token is no longer valid is deleted.
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
    let token_valid = match state.directory.fresh().await {
        Ok(snapshot) => snapshot
            .token_by_hash(&stored.token_hash)
            .and_then(|model| viewer_of(model, now).ok())
            .is_some_and(|viewer| viewer.has(Role::Admin)),
        Err(e) => return Err(failed(e.into())),
    };
    if expired || !token_valid {
        console_session::Entity::delete_by_id(stored.id)
            .exec(&state.db)
            .await
            .map_err(|e| failed(e.into()))?;
        return Err(if expired {
            Missing::Expired
        } else {
            Missing::TokenInvalid
        });
    }
    console_session::Entity::update_many()
        .col_expr(console_session::Column::LastSeenAt, Expr::value(now))
        .filter(console_session::Column::Id.eq(stored.id))
        .exec(&state.db)
        .await
        .map_err(|e| failed(e.into()))?;
    Ok(Session {
        id: stored.id,
        author: stored.token_name,
        csrf: stored.csrf_secret,
    })
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
