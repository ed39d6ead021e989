//! The history of a coordinator's territories: one row per period on one territory.
//! Open rows (`ended_at` null) are the current territories; a person covering two
//! territories during an interim has two open rows.

use sea_orm::entity::prelude::*;

/// One period of a coordinator on a territory.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coordinator_assignments")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The coordinator.
    pub coordinator_id: i32,
    /// The territory.
    pub territory_id: i32,
    /// Start of the period.
    pub started_at: DateTimeUtc,
    /// End of the period; null while current.
    pub ended_at: Option<DateTimeUtc>,
}

/// Relations of an assignment.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The coordinator.
    #[sea_orm(
        belongs_to = "super::coordinator::Entity",
        from = "Column::CoordinatorId",
        to = "super::coordinator::Column::Id",
        on_delete = "Cascade"
    )]
    Coordinator,
    /// The territory.
    #[sea_orm(
        belongs_to = "super::territory::Entity",
        from = "Column::TerritoryId",
        to = "super::territory::Column::Id"
    )]
    Territory,
}

impl Related<super::coordinator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Coordinator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
