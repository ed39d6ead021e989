//! A sign-in to the console through the identity provider, between the redirect to the
//! provider and its return: used once, then deleted.

use sea_orm::entity::prelude::*;

/// A sign-in in progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_sign_ins")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// SHA-256 of the `state` sent to the provider (and held in the browser's cookie).
    #[sea_orm(unique)]
    pub state_hash: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier sent with the code.
    pub code_verifier: String,
    /// When the sign-in started (it lapses after ten minutes).
    pub created_at: DateTimeUtc,
}

/// A sign-in has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
