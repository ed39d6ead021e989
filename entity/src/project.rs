//! A cross-cutting project (*action / projet transversal*) followed by coordinators.
//! Its axes, themes, environments and links live in [`crate::project_link`].

use sea_orm::entity::prelude::*;

use crate::{ProjectStatus, SaecUnit};

/// A project row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Title, never empty.
    pub title: String,
    /// What the project does and for whom, free text.
    pub summary: Option<String>,
    /// Where the project stands.
    pub status: ProjectStatus,
    /// The SAEC unit carrying it, if any.
    pub unit: Option<SaecUnit>,
    /// The coordinator leading it, if any.
    pub lead_coordinator_id: Option<i32>,
    /// Start date.
    pub start_date: Option<Date>,
    /// End date, never before the start.
    pub end_date: Option<Date>,
    /// Set when archived.
    pub archived_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change (optimistic concurrency).
    pub version: i32,
}

/// Relations of a project.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The lead coordinator.
    #[sea_orm(
        belongs_to = "super::coordinator::Entity",
        from = "Column::LeadCoordinatorId",
        to = "super::coordinator::Column::Id"
    )]
    LeadCoordinator,
}

impl ActiveModelBehavior for ActiveModel {}
