//! Project mutations (EDITOR token).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use entity::{ProjectStatus, Role, SaecUnit, StrategicAxis, YouthEnvironment};

use super::payloads::ProjectPayload;
use super::{Writer, fresh, resolve, writer};
use crate::editing::{self, ProjectState};
use crate::graphql::types::Date;
use crate::graphql::{ids, snapshot};

/// A new project. Links are given the way people know them: territory numbers, commune
/// names or INSEE codes, collège UAIs or names, theme codes, partner and coordinator IDs.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Title (required, at most 200 characters).
    pub title: String,
    /// Summary (at most 10,000 characters).
    pub summary: Option<String>,
    /// Status; default IDEA.
    #[graphql(default_with = "ProjectStatus::Idea")]
    pub status: ProjectStatus,
    /// Strategic axes.
    #[graphql(default)]
    pub axes: Vec<StrategicAxis>,
    /// Theme codes (see `themes`).
    #[graphql(default)]
    pub themes: Vec<String>,
    /// Youth environments.
    #[graphql(default)]
    pub environments: Vec<YouthEnvironment>,
    /// The SAEC unit carrying it.
    pub unit: Option<SaecUnit>,
    /// The lead coordinator's ID.
    pub lead: Option<ID>,
    /// Territory numbers it is linked to directly.
    #[graphql(default)]
    pub territories: Vec<i32>,
    /// Communes (INSEE codes or names).
    #[graphql(default)]
    pub communes: Vec<String>,
    /// Collèges (UAIs or names).
    #[graphql(default)]
    pub colleges: Vec<String>,
    /// Partner IDs.
    #[graphql(default)]
    pub partners: Vec<ID>,
    /// Start date.
    pub start_date: Option<Date>,
    /// End date (not before the start).
    pub end_date: Option<Date>,
}

/// Changes to a project: only the fields given change; `null` clears an optional field;
/// a list replaces the whole list.
#[derive(InputObject, Default)]
pub struct UpdateProjectInput {
    /// New title.
    pub title: Option<String>,
    /// New summary (`null` clears it).
    pub summary: MaybeUndefined<String>,
    /// New status.
    pub status: Option<ProjectStatus>,
    /// New axes.
    pub axes: Option<Vec<StrategicAxis>>,
    /// New theme codes.
    pub themes: Option<Vec<String>>,
    /// New environments.
    pub environments: Option<Vec<YouthEnvironment>>,
    /// New unit (`null` clears it).
    pub unit: MaybeUndefined<SaecUnit>,
    /// New lead coordinator ID (`null`: no lead).
    pub lead: MaybeUndefined<ID>,
    /// New territory numbers.
    pub territories: Option<Vec<i32>>,
    /// New communes.
    pub communes: Option<Vec<String>>,
    /// New collèges.
    pub colleges: Option<Vec<String>>,
    /// New partner IDs.
    pub partners: Option<Vec<ID>>,
    /// New start date (`null` clears it).
    pub start_date: MaybeUndefined<Date>,
    /// New end date (`null` clears it).
    pub end_date: MaybeUndefined<Date>,
}

fn apply<T>(field: MaybeUndefined<T>, target: &mut Option<T>) {
    match field {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *target = None,
        MaybeUndefined::Value(value) => *target = Some(value),
    }
}

/// Project mutations.
#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// Creates a project, e.g. `createProject(input: {title: "Forum citoyen",
    /// territories: [3], axes: [CITIZENSHIP]})`. EDITOR token.
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: CreateProjectInput,
    ) -> Result<ProjectPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let state = ProjectState {
            title: input.title,
            summary: input.summary,
            status: input.status,
            unit: input.unit,
            lead: input
                .lead
                .map(|id| resolve::coordinator(dir, &id, &["input", "lead"]))
                .transpose()?,
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            axes: input.axes,
            environments: input.environments,
            themes: resolve::themes(dir, &input.themes, "themes")?,
            territories: resolve::territories(dir, &input.territories, "territories")?,
            communes: resolve::communes(dir, &input.communes, "communes")?,
            colleges: resolve::colleges(dir, &input.colleges, "colleges")?,
            partners: resolve::partners(dir, &input.partners, "partners")?,
        };
        let id = editing::create(db, &author, state).await?;
        Ok(ProjectPayload::of(fresh(ctx).await?, id)?)
    }

    /// Changes a project read at `expectedVersion`; if it changed since, `CONFLICT`.
    /// EDITOR token.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "The values.")] input: UpdateProjectInput,
    ) -> Result<ProjectPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::PROJECT, "id")?;
        let lead = match input.lead {
            MaybeUndefined::Value(lead) => {
                MaybeUndefined::Value(resolve::coordinator(dir, &lead, &["input", "lead"])?)
            }
            MaybeUndefined::Null => MaybeUndefined::Null,
            MaybeUndefined::Undefined => MaybeUndefined::Undefined,
        };
        let themes = input
            .themes
            .map(|t| resolve::themes(dir, &t, "themes"))
            .transpose()?;
        let territories = input
            .territories
            .map(|t| resolve::territories(dir, &t, "territories"))
            .transpose()?;
        let communes = input
            .communes
            .map(|c| resolve::communes(dir, &c, "communes"))
            .transpose()?;
        let colleges = input
            .colleges
            .map(|c| resolve::colleges(dir, &c, "colleges"))
            .transpose()?;
        let partners = input
            .partners
            .map(|p| resolve::partners(dir, &p, "partners"))
            .transpose()?;
        editing::update::<ProjectState>(db, &author, id, expected_version, |state| {
            if let Some(title) = input.title {
                state.title = title;
            }
            apply(input.summary, &mut state.summary);
            if let Some(status) = input.status {
                state.status = status;
            }
            if let Some(axes) = input.axes {
                state.axes = axes;
            }
            if let Some(environments) = input.environments {
                state.environments = environments;
            }
            apply(input.unit, &mut state.unit);
            apply(lead, &mut state.lead);
            apply(input.start_date.map_value(|d| d.0), &mut state.start_date);
            apply(input.end_date.map_value(|d| d.0), &mut state.end_date);
            for (new, target) in [
                (themes, &mut state.themes),
                (territories, &mut state.territories),
                (communes, &mut state.communes),
                (colleges, &mut state.colleges),
                (partners, &mut state.partners),
            ] {
                if let Some(new) = new {
                    *target = new;
                }
            }
            Ok(())
        })
        .await?;
        Ok(ProjectPayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a project: it leaves public lists and stays readable to tokens, with its
    /// links. EDITOR token.
    async fn archive_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<ProjectPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PROJECT, "id")?;
        editing::archive::<ProjectState>(db, &author, id, expected_version, true).await?;
        Ok(ProjectPayload::of(fresh(ctx).await?, id)?)
    }

    /// Brings an archived project back. EDITOR token.
    async fn restore_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<ProjectPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PROJECT, "id")?;
        editing::archive::<ProjectState>(db, &author, id, expected_version, false).await?;
        Ok(ProjectPayload::of(fresh(ctx).await?, id)?)
    }
}
