//! Projects: their editable state and how it is stored (see [`super::Editable`]).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    AuditEntity, Labelled, ProjectStatus, SaecUnit, StrategicAxis, YouthEnvironment, project,
    project_axis, project_college, project_commune, project_environment, project_partner,
    project_territory, project_theme,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{Editable, replace_links, required, set};
use crate::error::{Error, Result};

/// Everything editable about a project; links are database ids, already checked by the
/// caller against the directory. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectState {
    /// Its short title, as coordinators name it.
    pub title: String,
    /// What it does, for whom, free text.
    pub summary: Option<String>,
    /// Where it stands, from idea to finished or abandoned.
    pub status: ProjectStatus,
    /// SAEC unit.
    pub unit: Option<SaecUnit>,
    /// Lead coordinator id.
    pub lead: Option<i32>,
    /// Start date.
    pub start_date: Option<NaiveDate>,
    /// End date.
    pub end_date: Option<NaiveDate>,
    /// Strategic axes.
    pub axes: Vec<StrategicAxis>,
    /// Youth environments.
    pub environments: Vec<YouthEnvironment>,
    /// Theme ids.
    pub themes: Vec<i32>,
    /// Territory ids (direct links).
    pub territories: Vec<i32>,
    /// Commune ids.
    pub communes: Vec<i32>,
    /// Collège ids.
    pub colleges: Vec<i32>,
    /// Partner ids.
    pub partners: Vec<i32>,
}

impl ProjectState {
    /// The sets in canonical order (sorted, deduplicated).
    fn checked_sets(mut self) -> Self {
        self.axes = set(self.axes);
        self.environments = set(self.environments);
        self.themes = set(self.themes);
        self.territories = set(self.territories);
        self.communes = set(self.communes);
        self.colleges = set(self.colleges);
        self.partners = set(self.partners);
        self
    }

    /// Normalises (trimmed texts, sorted sets) and checks the rules a project obeys.
    fn validated(mut self) -> Result<Self> {
        self.title = required(&self.title, "title")?;
        self.summary = super::free_text(self.summary, "summary")?;
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && end < start
        {
            return Err(Error::bad_input(
                "the end date is before the start date",
                &["input", "endDate"],
            ));
        }
        if self.territories.is_empty() && self.communes.is_empty() && self.colleges.is_empty() {
            return Err(Error::bad_input(
                "a project belongs to at least one territory, commune or collège",
                &["input", "territories"],
            ));
        }
        Ok(self.checked_sets())
    }

    /// The state of a stored project, its links read.
    async fn from_row(txn: &DatabaseTransaction, model: project::Model) -> Result<Self> {
        let id = model.id;
        Ok(Self {
            title: model.title,
            summary: model.summary,
            status: model.status,
            unit: model.unit,
            lead: model.lead_coordinator_id,
            start_date: model.start_date,
            end_date: model.end_date,
            axes: project_axis::Entity::find()
                .filter(project_axis::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.axis)
                .collect(),
            environments: project_environment::Entity::find()
                .filter(project_environment::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.environment)
                .collect(),
            themes: project_theme::Entity::find()
                .filter(project_theme::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.theme_id)
                .collect(),
            territories: project_territory::Entity::find()
                .filter(project_territory::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.territory_id)
                .collect(),
            communes: project_commune::Entity::find()
                .filter(project_commune::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.commune_id)
                .collect(),
            colleges: project_college::Entity::find()
                .filter(project_college::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.college_id)
                .collect(),
            partners: project_partner::Entity::find()
                .filter(project_partner::Column::ProjectId.eq(id))
                .all(txn)
                .await?
                .into_iter()
                .map(|l| l.partner_id)
                .collect(),
        })
    }

    /// Writes the link tables that differ from `before` (all of them when creating).
    async fn save_links(
        &self,
        txn: &DatabaseTransaction,
        id: i32,
        before: Option<&Self>,
    ) -> Result<()> {
        if before.is_none_or(|b| b.axes != self.axes) {
            let codes: Vec<String> = self.axes.iter().map(|a| a.code().to_owned()).collect();
            replace_links(txn, "project_axes", "project_id", id, "axis", &codes).await?;
        }
        if before.is_none_or(|b| b.environments != self.environments) {
            let codes: Vec<String> = self
                .environments
                .iter()
                .map(|e| e.code().to_owned())
                .collect();
            replace_links(
                txn,
                "project_environments",
                "project_id",
                id,
                "environment",
                &codes,
            )
            .await?;
        }
        for (table, column, values, old) in [
            (
                "project_themes",
                "theme_id",
                &self.themes,
                before.map(|b| &b.themes),
            ),
            (
                "project_territories",
                "territory_id",
                &self.territories,
                before.map(|b| &b.territories),
            ),
            (
                "project_communes",
                "commune_id",
                &self.communes,
                before.map(|b| &b.communes),
            ),
            (
                "project_colleges",
                "college_id",
                &self.colleges,
                before.map(|b| &b.colleges),
            ),
            (
                "project_partners",
                "partner_id",
                &self.partners,
                before.map(|b| &b.partners),
            ),
        ] {
            if old != Some(values) {
                replace_links(txn, table, "project_id", id, column, values).await?;
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Editable for ProjectState {
    const TABLE: &'static str = "projects";
    const ENTITY: AuditEntity = AuditEntity::Project;
    const WHAT: &'static str = "project";
    type Model = project::Model;

    fn checked(self) -> Result<Self> {
        self.validated()
    }

    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(project::Model, Self)>> {
        let Some(model) = project::Entity::find_by_id(id).one(txn).await? else {
            return Ok(None);
        };
        // Sets in canonical order, so an edit that changes nothing compares equal.
        let state = ProjectState::from_row(txn, model.clone())
            .await?
            .checked_sets();
        Ok(Some((model, state)))
    }

    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32> {
        let model = project::ActiveModel {
            title: Set(self.title.clone()),
            summary: Set(self.summary.clone()),
            status: Set(self.status),
            unit: Set(self.unit),
            lead_coordinator_id: Set(self.lead),
            start_date: Set(self.start_date),
            end_date: Set(self.end_date),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        self.save_links(txn, model.id, None).await?;
        Ok(model.id)
    }

    async fn save(
        &self,
        txn: &DatabaseTransaction,
        model: project::Model,
        before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let id = model.id;
        let mut active: project::ActiveModel = model.into();
        active.title = Set(self.title.clone());
        active.summary = Set(self.summary.clone());
        active.status = Set(self.status);
        active.unit = Set(self.unit);
        active.lead_coordinator_id = Set(self.lead);
        active.start_date = Set(self.start_date);
        active.end_date = Set(self.end_date);
        active.updated_at = Set(now);
        active.version = Set(version);
        active.update(txn).await?;
        self.save_links(txn, id, Some(before)).await
    }
}
