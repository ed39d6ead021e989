//! What a partner expects from the Département, as recorded by a coordinator
//! (*recenser les attentes des acteurs locaux*).

use sea_orm::entity::prelude::*;

/// One recorded expectation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_expectations")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The partner.
    pub partner_id: i32,
    /// The expectation, in the partner's words.
    pub text: String,
    /// When it was recorded.
    pub recorded_on: Date,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Set when archived (an expectation entered by mistake, or no longer current).
    pub archived_at: Option<DateTimeUtc>,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// Relations of an expectation.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The partner.
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id",
        on_delete = "Cascade"
    )]
    Partner,
}

impl Related<super::partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
