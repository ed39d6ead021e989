//! A territory: one of the areas, numbered from 1, that cover the département.

use sea_orm::entity::prelude::*;

/// A territory row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "territories")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The number people use ("Territoire 3"), unique.
    #[sea_orm(unique)]
    pub number: i32,
    /// Display name, e.g. "Territoire 3".
    pub name: String,
}

/// Relations of a territory.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The communes of the territory.
    #[sea_orm(has_many = "super::commune::Entity")]
    Commune,
}

impl Related<super::commune::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commune.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
