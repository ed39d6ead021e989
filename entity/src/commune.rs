//! A commune of the département, identified by its official INSEE code.

use sea_orm::entity::prelude::*;

/// A commune row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "communes")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Official INSEE code (COG), e.g. "92004"; unique.
    #[sea_orm(unique)]
    pub insee_code: String,
    /// Official name, e.g. "Asnières-sur-Seine".
    pub name: String,
    /// The territory the commune belongs to; a roster import may move it.
    pub territory_id: i32,
    /// Last change (reference load or roster import).
    pub updated_at: DateTimeUtc,
}

/// Relations of a commune.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The territory the commune belongs to.
    #[sea_orm(
        belongs_to = "super::territory::Entity",
        from = "Column::TerritoryId",
        to = "super::territory::Column::Id"
    )]
    Territory,
}

impl Related<super::territory::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Territory.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
