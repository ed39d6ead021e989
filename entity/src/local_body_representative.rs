//! Who represents the Département in a local body.

use sea_orm::entity::prelude::*;

/// One coordinator representing the Département in one local body.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "local_body_representatives")]
pub struct Model {
    /// The local body.
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_body_id: i32,
    /// The coordinator.
    #[sea_orm(primary_key, auto_increment = false)]
    pub coordinator_id: i32,
}

/// Relations of a representation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The local body.
    #[sea_orm(
        belongs_to = "super::local_body::Entity",
        from = "Column::LocalBodyId",
        to = "super::local_body::Column::Id",
        on_delete = "Cascade"
    )]
    LocalBody,
}

impl ActiveModelBehavior for ActiveModel {}
