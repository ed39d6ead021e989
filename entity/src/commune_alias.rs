//! Other names people use for a commune ("Asnières", "Boulogne", "St-Cloud").

use sea_orm::entity::prelude::*;

/// One alias of one commune.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commune_aliases")]
pub struct Model {
    /// The commune.
    #[sea_orm(primary_key, auto_increment = false)]
    pub commune_id: i32,
    /// The alias as people write it, e.g. "Asnières".
    #[sea_orm(primary_key, auto_increment = false)]
    pub alias: String,
}

/// Relations of an alias.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The commune.
    #[sea_orm(
        belongs_to = "super::commune::Entity",
        from = "Column::CommuneId",
        to = "super::commune::Column::Id",
        on_delete = "Cascade"
    )]
    Commune,
}

impl ActiveModelBehavior for ActiveModel {}
