//! A local partner (*acteur local*): collège staff, youth service, specialised
//! prevention, association…

use sea_orm::entity::prelude::*;

use crate::PartnerKind;

/// A partner row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Name, e.g. "Service jeunesse de Bagneux".
    pub name: String,
    /// The kind of partner.
    pub kind: PartnerKind,
    /// The territory it works in (set, or derived from the commune).
    pub territory_id: Option<i32>,
    /// The commune it works in, if any.
    pub commune_id: Option<i32>,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact e-mail, lower case.
    pub contact_email: Option<String>,
    /// Contact phone, E.164.
    pub contact_phone: Option<String>,
    /// Set when archived.
    pub archived_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// Relations of a partner.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Recorded expectations.
    #[sea_orm(has_many = "super::partner_expectation::Entity")]
    Expectation,
}

impl Related<super::partner_expectation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Expectation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
