//! Reading every table the snapshot is built from, in one consistent read.

use entity::{
    api_token, college, commune, commune_alias, commune_postal_code, coordinator,
    coordinator_assignment, data_version, local_body, local_body_representative, partner,
    partner_expectation, project, project_axis, project_college, project_commune,
    project_environment, project_partner, project_territory, project_theme, sync_run, territory,
    theme,
};
use sea_orm::{
    AccessMode, DatabaseConnection, DbBackend, DbErr, EntityTrait, IsolationLevel, QueryOrder,
    TransactionTrait,
};

/// The rows a snapshot is built from.
#[derive(Debug, Default)]
pub struct Rows {
    /// Data version the rows were read at.
    pub version: i64,
    /// `territories`.
    pub territories: Vec<territory::Model>,
    /// `communes`.
    pub communes: Vec<commune::Model>,
    /// `commune_postal_codes`.
    pub postal_codes: Vec<commune_postal_code::Model>,
    /// `commune_aliases`.
    pub aliases: Vec<commune_alias::Model>,
    /// `coordinators`.
    pub coordinators: Vec<coordinator::Model>,
    /// `coordinator_assignments`, oldest first.
    pub assignments: Vec<coordinator_assignment::Model>,
    /// `colleges`.
    pub colleges: Vec<college::Model>,
    /// `themes`.
    pub themes: Vec<theme::Model>,
    /// `local_bodies`.
    pub local_bodies: Vec<local_body::Model>,
    /// `local_body_representatives`.
    pub representatives: Vec<local_body_representative::Model>,
    /// `partners`.
    pub partners: Vec<partner::Model>,
    /// `partner_expectations`, oldest first.
    pub expectations: Vec<partner_expectation::Model>,
    /// `projects`.
    pub projects: Vec<project::Model>,
    /// `project_axes`.
    pub project_axes: Vec<project_axis::Model>,
    /// `project_environments`.
    pub project_environments: Vec<project_environment::Model>,
    /// `project_themes`.
    pub project_themes: Vec<project_theme::Model>,
    /// `project_territories`.
    pub project_territories: Vec<project_territory::Model>,
    /// `project_communes`.
    pub project_communes: Vec<project_commune::Model>,
    /// `project_colleges`.
    pub project_colleges: Vec<project_college::Model>,
    /// `project_partners`.
    pub project_partners: Vec<project_partner::Model>,
    /// `api_tokens`.
    pub tokens: Vec<api_token::Model>,
    /// The last applied (or unchanged) real roster import.
    pub last_roster_import: Option<sync_run::Model>,
}

impl Rows {
    /// Reads every table in one read-only transaction: on PostgreSQL at REPEATABLE READ,
    /// on SQLite (WAL) the transaction's single read snapshot. One statement per table,
    /// whatever the number of rows.
    pub async fn read(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let txn = match db.get_database_backend() {
            DbBackend::Postgres => {
                db.begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
            }
            _ => db.begin().await?,
        };
        let rows = Self {
            version: data_version::current(&txn).await?,
            territories: territory::Entity::find().all(&txn).await?,
            communes: commune::Entity::find().all(&txn).await?,
            postal_codes: commune_postal_code::Entity::find().all(&txn).await?,
            aliases: commune_alias::Entity::find().all(&txn).await?,
            coordinators: coordinator::Entity::find().all(&txn).await?,
            assignments: coordinator_assignment::Entity::find()
                .order_by_asc(coordinator_assignment::Column::StartedAt)
                .order_by_asc(coordinator_assignment::Column::Id)
                .all(&txn)
                .await?,
            colleges: college::Entity::find().all(&txn).await?,
            themes: theme::Entity::find().all(&txn).await?,
            local_bodies: local_body::Entity::find().all(&txn).await?,
            representatives: local_body_representative::Entity::find().all(&txn).await?,
            partners: partner::Entity::find().all(&txn).await?,
            expectations: partner_expectation::Entity::find()
                .order_by_asc(partner_expectation::Column::RecordedOn)
                .order_by_asc(partner_expectation::Column::Id)
                .all(&txn)
                .await?,
            projects: project::Entity::find().all(&txn).await?,
            project_axes: project_axis::Entity::find().all(&txn).await?,
            project_environments: project_environment::Entity::find().all(&txn).await?,
            project_themes: project_theme::Entity::find().all(&txn).await?,
            project_territories: project_territory::Entity::find().all(&txn).await?,
            project_communes: project_commune::Entity::find().all(&txn).await?,
            project_colleges: project_college::Entity::find().all(&txn).await?,
            project_partners: project_partner::Entity::find().all(&txn).await?,
            tokens: api_token::Entity::find().all(&txn).await?,
            last_roster_import: sync_run::successful_newest_first().one(&txn).await?,
        };
        txn.commit().await?;
        Ok(rows)
    }
}
