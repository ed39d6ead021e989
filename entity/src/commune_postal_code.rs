//! The postal codes of a commune (Meudon has two).

use sea_orm::entity::prelude::*;

/// One postal code of one commune.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commune_postal_codes")]
pub struct Model {
    /// The commune.
    #[sea_orm(primary_key, auto_increment = false)]
    pub commune_id: i32,
    /// A five-digit postal code, e.g. "92190".
    #[sea_orm(primary_key, auto_increment = false)]
    pub postal_code: String,
}

/// Relations of a postal code.
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
