//! Creating, updating and archiving projects.

use chrono::NaiveDate;
use entity::{
    AuditAction, Labelled, ProjectStatus, SaecUnit, StrategicAxis, YouthEnvironment, project,
    project_axis, project_college, project_commune, project_environment, project_partner,
    project_territory, project_theme,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{
    Author, begin_write, check_version, current_version, diff, finish, replace_links, required,
    set, set_archived,
};
use crate::error::{Error, Result};

/// Everything editable about a project; links are database ids, already checked by the
/// caller against the directory. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectState {
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: Option<String>,
    /// Status.
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

const TABLE: &str = "projects";
const ENTITY: &str = "Project";

impl ProjectState {
    /// Normalises (trimmed texts, sorted sets) and checks the rules a project obeys.
    fn checked(mut self) -> Result<Self> {
        self.title = required(&self.title, "title")?;
        self.summary = super::clean(self.summary);
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
        self.axes = set(self.axes);
        self.environments = set(self.environments);
        self.themes = set(self.themes);
        self.territories = set(self.territories);
        self.communes = set(self.communes);
        self.colleges = set(self.colleges);
        self.partners = set(self.partners);
        Ok(self)
    }

    async fn load(txn: &DatabaseTransaction, model: project::Model) -> Result<Self> {
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

/// Creates a project; returns its id.
pub async fn create(db: &DatabaseConnection, author: &Author, state: ProjectState) -> Result<i32> {
    let state = state.checked()?;
    let txn = begin_write(db).await?;
    let model = project::ActiveModel {
        title: Set(state.title.clone()),
        summary: Set(state.summary.clone()),
        status: Set(state.status),
        unit: Set(state.unit),
        lead_coordinator_id: Set(state.lead),
        start_date: Set(state.start_date),
        end_date: Set(state.end_date),
        archived_at: Set(None),
        created_at: Set(author.now),
        updated_at: Set(author.now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    state.save_links(&txn, model.id, None).await?;
    let changes = diff(None, Some(&state));
    finish(txn, author, ENTITY, model.id, AuditAction::Create, changes).await?;
    Ok(model.id)
}

/// Applies `change` to project `id`, if the client read version `expected_version`.
pub async fn update(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: i32,
    change: impl FnOnce(&mut ProjectState) -> Result<()>,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let (version, _) = current_version(&txn, TABLE, "project", id).await?;
    check_version(version, Some(expected_version), "project")?;
    let model = project::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no project has this ID".to_owned()))?;
    let before = ProjectState::load(&txn, model.clone()).await?;
    let mut after = before.clone();
    change(&mut after)?;
    let after = after.checked()?;
    let before = set_sorted(before);
    if after == before {
        return Ok(());
    }
    let mut active: project::ActiveModel = model.into();
    active.title = Set(after.title.clone());
    active.summary = Set(after.summary.clone());
    active.status = Set(after.status);
    active.unit = Set(after.unit);
    active.lead_coordinator_id = Set(after.lead);
    active.start_date = Set(after.start_date);
    active.end_date = Set(after.end_date);
    active.updated_at = Set(author.now);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    after.save_links(&txn, id, Some(&before)).await?;
    let changes = diff(Some(&before), Some(&after));
    finish(txn, author, ENTITY, id, AuditAction::Update, changes).await
}

/// The stored state with its sets in canonical order, to compare with an edited one.
fn set_sorted(mut state: ProjectState) -> ProjectState {
    state.axes = set(state.axes);
    state.environments = set(state.environments);
    state.themes = set(state.themes);
    state.territories = set(state.territories);
    state.communes = set(state.communes);
    state.colleges = set(state.colleges);
    state.partners = set(state.partners);
    state
}

/// Archives (or restores) project `id`.
pub async fn archive(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    set_archived(db, author, TABLE, ENTITY, id, expected_version, archived).await
}
