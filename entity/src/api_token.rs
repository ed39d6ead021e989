//! An API token: a random secret given once to its holder, stored only as its SHA-256.

use sea_orm::entity::prelude::*;

use crate::Role;

/// An API token row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Who or what holds it, e.g. "portail-public" or "saec-outil-interne"; unique.
    #[sea_orm(unique)]
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the token, hex; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// After this time the token is refused.
    pub expires_at: Option<DateTimeUtc>,
    /// Set when revoked; the token is refused from then on.
    pub revoked_at: Option<DateTimeUtc>,
}

/// An API token has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
