//! A local body (*instance locale*: CLSPD, CESC, steering committee…) where the
//! Département is represented.

use sea_orm::entity::prelude::*;

use crate::LocalBodyKind;

/// A local body row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "local_bodies")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The kind of body.
    pub kind: LocalBodyKind,
    /// Name, e.g. "CLSPD de Nanterre".
    pub name: String,
    /// Free description: purpose, rhythm of meetings.
    pub description: Option<String>,
    /// The territory it belongs to.
    pub territory_id: i32,
    /// The commune it belongs to, if any.
    pub commune_id: Option<i32>,
    /// The collège it belongs to (a CESC), if any.
    pub college_id: Option<i32>,
    /// Set when archived.
    pub archived_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// Relations of a local body.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The territory.
    #[sea_orm(
        belongs_to = "super::territory::Entity",
        from = "Column::TerritoryId",
        to = "super::territory::Column::Id"
    )]
    Territory,
}

impl ActiveModelBehavior for ActiveModel {}
