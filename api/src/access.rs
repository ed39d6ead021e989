//! Who is asking: API tokens, people's access tokens, and roles.
//!
//! A request without `Authorization` is public. `Authorization: Bearer <token>` carries
//! either an API token (`terr_…`), checked against the hashes in the directory snapshot
//! (tokens are created and revoked by the command line, which bumps the data version, so
//! every replica sees it at once), or a JWT from the identity provider (three base64url
//! segments, see [`crate::oidc`]), whose person and role come from its claims. An
//! unknown, revoked, expired or otherwise invalid credential refuses the whole request,
//! even a public read. API tokens are random and stored only as SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::audit_log::{AuditEntity, FieldChange, NewEntry, Person};
use entity::{AuditAction, DataChangeKind, Role, api_token, audit_log, data_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::Value;

use crate::directory::Snapshot;
use crate::editing::Author;
use crate::error::{Error, Result};
use crate::oidc::{self, MAX_TOKEN_BYTES, Refusal, Refused, Verifier};

/// The requester: a role when authenticated by a valid API token or a provider's access
/// token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The role; `None` for a public request, or a person whose token grants none.
    pub role: Option<Role>,
    /// The API token's name (recorded as the author of writes).
    pub token_name: Option<String>,
    /// The person, when authenticated by an identity provider's access token.
    pub person: Option<Person>,
    /// When the credential stops holding (the API token's expiry, the access token's
    /// `exp`): a subscription opened with it ends then.
    pub expires_at: Option<DateTime<Utc>>,
    /// The stored hash of the API token (never the token itself): an open subscription
    /// looks it up again to learn whether the token was revoked since.
    pub token_hash: Option<String>,
}

impl Viewer {
    /// A request without a token.
    pub fn public() -> Self {
        Self::default()
    }

    /// Succeeds when the requester has at least `role`: no credential is
    /// `UNAUTHENTICATED`, too small a role (or a person without one) is `FORBIDDEN`.
    pub fn require(&self, role: Role) -> Result<()> {
        let code = entity::Labelled::code(role);
        match (self.role, &self.person) {
            (None, None) => Err(Error::Unauthenticated(format!(
                "this needs an API token or an access token with the {code} role \
                 (Authorization: Bearer …)"
            ))),
            (None, Some(_)) => Err(Error::Forbidden(format!(
                "this needs the {code} role; the identity provider grants you none"
            ))),
            (Some(held), _) if held >= role => Ok(()),
            (Some(held), _) => Err(Error::Forbidden(format!(
                "this needs the {code} role; {} {}",
                if self.person.is_some() {
                    "the identity provider grants you"
                } else {
                    "the token has"
                },
                entity::Labelled::code(held)
            ))),
        }
    }

    /// Whether the requester has at least `role`.
    pub fn has(&self, role: Role) -> bool {
        self.role.is_some_and(|held| held >= role)
    }

    /// Whether a valid credential came with the request (a person without a role
    /// included).
    pub fn is_authenticated(&self) -> bool {
        self.token_name.is_some() || self.person.is_some()
    }

    /// The name the audit log records as `actor`: the token's, or the person's.
    pub fn actor(&self) -> Option<String> {
        self.token_name
            .clone()
            .or_else(|| self.person.as_ref().map(|p| p.display().to_owned()))
    }
}

/// The prefix of every token, so leaked tokens are easy to recognise and scan for.
const TOKEN_PREFIX: &str = "terr_";

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    territoires_sync::sha256_hex(token.as_bytes())
}

/// A credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// An API token (`terr_…`), or anything that is not a JWT (checked against the
    /// token hashes, so refused as an unknown token).
    ApiToken(&'a str),
    /// Three base64url segments: a JWT for the identity provider's keys. API tokens
    /// never hold a dot, so the two are told apart without ambiguity.
    Jwt(&'a str),
}

/// The credential of an `Authorization` header, bounded before anything is decoded.
pub fn credential(header: &str) -> std::result::Result<Credential<'_>, Refused> {
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return Err(Refused {
            reason: Refusal::Malformed,
            message: "the Authorization header must be `Bearer <token>`".to_owned(),
        });
    };
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refused {
            reason: Refusal::TooLarge,
            message: format!("the credential is longer than {MAX_TOKEN_BYTES} bytes"),
        });
    }
    if !token.starts_with(TOKEN_PREFIX) && oidc::looks_like_jwt(token) {
        Ok(Credential::Jwt(token))
    } else {
        Ok(Credential::ApiToken(token))
    }
}

/// Who is asking, from the `Authorization` header (absent: public): an API token
/// checked against the snapshot, or a JWT checked by `oidc` (refused when no provider
/// is configured). A bad credential is `UNAUTHENTICATED`, counted in the metrics and
/// logged with the reason.
pub async fn authenticate(
    header: Option<&str>,
    dir: &Snapshot,
    oidc: Option<&Verifier>,
    now: DateTime<Utc>,
) -> Result<Viewer> {
    let Some(header) = header else {
        return Ok(Viewer::public());
    };
    let outcome = match credential(header) {
        Err(refused) => Err(("header", refused)),
        Ok(Credential::ApiToken(token)) => {
            api_token(token, dir, now).map_err(|refused| ("api_token", refused))
        }
        Ok(Credential::Jwt(token)) => match oidc {
            None => Err((
                "jwt",
                Refused {
                    reason: Refusal::NoProvider,
                    message: "this server accepts no JWTs (no identity provider is configured, \
                              OIDC_ISSUER); use an API token"
                        .to_owned(),
                },
            )),
            Some(verifier) => verifier
                .verify(token, now)
                .await
                .map(|identity| Viewer {
                    role: identity.role,
                    token_name: None,
                    person: Some(identity.person),
                    expires_at: Some(identity.expires_at),
                    token_hash: None,
                })
                .map_err(|refused| ("jwt", refused)),
        },
    };
    outcome.map_err(|(credential, refused)| {
        crate::metrics::global().record_auth_refusal(credential, refused.reason.label());
        tracing::info!(
            credential,
            reason = refused.reason.label(),
            why = %refused.message,
            "credential refused"
        );
        Error::Unauthenticated(refused.message)
    })
}

/// Who is asking with an API token only (the console's token sign-in).
pub fn authenticate_token(header: &str, dir: &Snapshot, now: DateTime<Utc>) -> Result<Viewer> {
    let refused = match credential(header) {
        Ok(Credential::ApiToken(token)) => match api_token(token, dir, now) {
            Ok(viewer) => return Ok(viewer),
            Err(refused) => refused,
        },
        Ok(Credential::Jwt(_)) => Refused {
            reason: Refusal::ApiToken,
            message: "an API token (terr_…) is needed here, not a JWT".to_owned(),
        },
        Err(refused) => refused,
    };
    crate::metrics::global().record_auth_refusal("api_token", refused.reason.label());
    Err(Error::Unauthenticated(refused.message))
}

fn api_token(
    token: &str,
    dir: &Snapshot,
    now: DateTime<Utc>,
) -> std::result::Result<Viewer, Refused> {
    let Some(model) = dir.token_by_hash(&hash_token(token)) else {
        return Err(Refused {
            reason: Refusal::ApiToken,
            message: "unknown API token".to_owned(),
        });
    };
    viewer_of(model, now).map_err(|error| Refused {
        reason: Refusal::ApiToken,
        message: error.to_string(),
    })
}

/// The requester holding the stored token `model`, unless it is revoked or expired
/// (`UNAUTHENTICATED`). The console checks its sessions' tokens with it on every request.
pub fn viewer_of(model: &api_token::Model, now: DateTime<Utc>) -> Result<Viewer> {
    let refused = |why: &str| Err(Error::Unauthenticated(why.to_owned()));
    if model.revoked_at.is_some() {
        return refused("this API token has been revoked");
    }
    if model.expires_at.is_some_and(|expiry| expiry <= now) {
        return refused("this API token has expired");
    }
    Ok(Viewer {
        role: Some(model.role),
        token_name: Some(model.name.clone()),
        person: None,
        expires_at: model.expires_at,
        token_hash: Some(model.token_hash.clone()),
    })
}

/// Creates a token and returns it; only its hash is stored, so this is the one time it
/// is seen.
pub async fn create_token(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    expires_in_days: Option<u32>,
) -> Result<String> {
    create(db, name, role, expires_in_days, None).await
}

/// [`create_token`], recorded in the audit log under `author` (the console's signed-in
/// token, or person with their subject and e-mail) in the same transaction.
pub async fn create_token_as(
    db: &DatabaseConnection,
    author: &Author,
    name: &str,
    role: Role,
    expires_in_days: Option<u32>,
) -> Result<String> {
    create(db, name, role, expires_in_days, Some(author)).await
}

async fn create(
    db: &DatabaseConnection,
    name: &str,
    role: Role,
    expires_in_days: Option<u32>,
    author: Option<&Author>,
) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::bad_input("the token needs a name", &["name"]));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| Error::Internal(format!("no randomness for the token: {e}")))?;
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let now = Utc::now();
    let txn = db.begin().await?;
    let taken = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(Error::Conflict(format!(
            "a token named {name:?} already exists"
        )));
    }
    let expires_at = expires_in_days.map(|days| now + Duration::days(i64::from(days)));
    let model = api_token::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(author) = author {
        let changes = vec![
            FieldChange::new("name", Value::Null, name),
            FieldChange::new("role", Value::Null, entity::Labelled::code(role)),
            FieldChange::new(
                "expiresAt",
                Value::Null,
                expires_at.map_or(Value::Null, |at| Value::from(at.to_rfc3339())),
            ),
        ];
        audit(&txn, author, now, model.id, AuditAction::Create, changes).await?;
    }
    data_version::bump(&txn, DataChangeKind::Access).await?;
    txn.commit().await?;
    Ok(token)
}

/// Every token, oldest first (hashes included: they are not secrets).
pub async fn list_tokens(db: &DatabaseConnection) -> Result<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes the token named `name`; it is refused from the next request on, by every
/// replica.
pub async fn revoke_token(db: &DatabaseConnection, name: &str) -> Result<api_token::Model> {
    revoke(db, name, None).await
}

/// [`revoke_token`], recorded in the audit log under `author` (token or person) in the
/// same transaction.
pub async fn revoke_token_as(
    db: &DatabaseConnection,
    author: &Author,
    name: &str,
) -> Result<api_token::Model> {
    revoke(db, name, Some(author)).await
}

async fn revoke(
    db: &DatabaseConnection,
    name: &str,
    author: Option<&Author>,
) -> Result<api_token::Model> {
    let txn = db.begin().await?;
    let Some(model) = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name.trim()))
        .one(&txn)
        .await?
    else {
        return Err(Error::NotFound(format!("no token named {name:?}")));
    };
    if model.revoked_at.is_some() {
        return Ok(model);
    }
    let now = Utc::now();
    let mut active: api_token::ActiveModel = model.into();
    active.revoked_at = Set(Some(now));
    let model = active.update(&txn).await?;
    if let Some(author) = author {
        let change = FieldChange::new("revokedAt", Value::Null, now.to_rfc3339());
        audit(
            &txn,
            author,
            now,
            model.id,
            AuditAction::Update,
            vec![change],
        )
        .await?;
    }
    data_version::bump(&txn, DataChangeKind::Access).await?;
    txn.commit().await?;
    Ok(model)
}

/// Records a change of token `id` by `author` (at `at`, the change's own time), in the
/// caller's transaction.
async fn audit(
    txn: &DatabaseTransaction,
    author: &Author,
    at: DateTime<Utc>,
    id: i32,
    action: AuditAction,
    changes: Vec<FieldChange>,
) -> Result<()> {
    let entry = NewEntry {
        entity: AuditEntity::ApiToken,
        entity_id: id,
        action,
        changes,
    };
    audit_log::record(txn, &author.name, author.person.as_ref(), at, vec![entry]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_a_role_is_forbidden_with_a_readable_reason() {
        let editor = Viewer {
            role: Some(Role::Editor),
            token_name: Some("site-web".into()),
            ..Viewer::default()
        };
        let refused = editor.require(Role::Admin);
        assert!(
            matches!(&refused, Err(Error::Forbidden(message))
                if message == "this needs the ADMIN role; the token has EDITOR"),
            "{refused:?}"
        );
        assert!(editor.require(Role::Editor).is_ok());
        assert!(matches!(
            Viewer::public().require(Role::Editor),
            Err(Error::Unauthenticated(_))
        ));
    }
}
