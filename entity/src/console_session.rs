//! A session of the administration console, opened by signing in with an ADMIN token or
//! through the identity provider as a person with the ADMIN role.

use sea_orm::entity::prelude::*;

/// A console session row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_sessions")]
pub struct Model {
    /// Surrogate key (named in the audit log).
    #[sea_orm(primary_key)]
    pub id: i32,
    /// SHA-256 of the secret in the browser's cookie, hex; the secret is never stored.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// The name of the token signed in with: the author of every action of the session.
    pub token_name: String,
    /// The hash of that token, so each request checks it is still valid (not revoked,
    /// not expired, still ADMIN).
    pub token_hash: String,
    /// The secret every form of the session carries (CSRF protection).
    pub csrf_secret: String,
    /// Sign-in time (the absolute expiry counts from it).
    pub created_at: DateTimeUtc,
    /// Last request (the idle expiry counts from it).
    pub last_seen_at: DateTimeUtc,
    /// The person's stable identifier at the identity provider (`sub`); null for a
    /// session opened with a token.
    pub person_subject: Option<String>,
    /// The person's name, when the provider gave one.
    pub person_name: Option<String>,
    /// The person's e-mail, when the provider gave one.
    pub person_email: Option<String>,
    /// The provider's refresh token, which renews the session; never sent to the browser.
    pub refresh_token: Option<String>,
    /// The last ID token, named to the provider at sign-out (`id_token_hint`).
    pub id_token: Option<String>,
    /// When the provider's access token expires: the session is renewed then.
    pub access_expires_at: Option<DateTimeUtc>,
}

/// A console session has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
