//! A coordinator (*coordonnateur de territoire*), as the HR roster describes them.
//!
//! Identity, contact and territory come from the HR roster: only the roster sync
//! writes them.

use sea_orm::entity::prelude::*;

/// A coordinator row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coordinators")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// HR employee id (*matricule*), kept as text so leading zeros survive; unique.
    #[sea_orm(unique)]
    pub employee_id: Option<String>,
    /// First name, as written by HR.
    pub first_name: String,
    /// Last name, as written by HR.
    pub last_name: String,
    /// Job title, e.g. "Coordonnatrice de territoire 1".
    pub title: Option<String>,
    /// Professional e-mail, lower case; unique. Erased after the retention period once
    /// the person is deactivated.
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// Professional phone in E.164 (`+33760779905`).
    pub phone: Option<String>,
    /// Professional landline in E.164 (`+33141371111`); erased with the phone and e-mail.
    pub landline: Option<String>,
    /// Whether the person is in the current roster.
    pub active: bool,
    /// When the person left the roster; their contact is erased after the retention period.
    pub deactivated_at: Option<DateTimeUtc>,
    /// When the contact details were erased.
    pub contact_erased_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change.
    pub version: i32,
}

/// Relations of a coordinator.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Territory assignments, current and past.
    #[sea_orm(has_many = "super::coordinator_assignment::Entity")]
    Assignment,
}

impl Related<super::coordinator_assignment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
