//! A theme projects are filed under (social networks, mental health…): an extensible
//! reference list.

use sea_orm::entity::prelude::*;

/// A theme row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "themes")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable code, e.g. "MENTAL_HEALTH"; unique.
    #[sea_orm(unique)]
    pub code: String,
    /// French label, e.g. "Santé mentale".
    pub label: String,
    /// Display order.
    pub position: i32,
    /// Set when archived: no longer offered, still shown on the projects that use it.
    pub archived_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// A theme has no outgoing relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
