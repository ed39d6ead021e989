//! A public collège, identified by its UAI code.

use sea_orm::entity::prelude::*;

/// A collège row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "colleges")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// UAI code (7 digits and a check letter, e.g. "0920068Z"); unique.
    #[sea_orm(unique)]
    pub uai: String,
    /// Official name, e.g. "Collège Maison-Blanche".
    pub name: String,
    /// The commune where the collège stands.
    pub commune_id: i32,
    /// Set when archived: it leaves public lists but stays readable.
    pub archived_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// Relations of a collège.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The commune.
    #[sea_orm(
        belongs_to = "super::commune::Entity",
        from = "Column::CommuneId",
        to = "super::commune::Column::Id"
    )]
    Commune,
}

impl Related<super::commune::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commune.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
