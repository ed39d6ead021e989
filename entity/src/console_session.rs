//! A session of the administration console, opened by signing in with an ADMIN token.

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
}

/// A console session has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
