//! Filter and order inputs, and their translation into the directory's domain queries:
//! names, codes and IDs resolved against the snapshot, with `BAD_USER_INPUT` naming the
//! offending input field.

use async_graphql::{Context, Enum, ID, InputObject};
use entity::normalize::fold_tokens;
use entity::{
    LocalBodyKind, PartnerKind, ProjectStatus, Role, SaecUnit, StrategicAxis, YouthEnvironment,
};

use super::access::viewer;
use super::ids;
use super::pagination::{Page, PageArgs, paginate};
use super::types::{Date, DateTime, LocalBody, Partner, Project};
use crate::directory::{
    CollegeIx, CommuneIx, LocalBodyQuery, NamedSort, OrderSpec, PartnerQuery, ProjectQuery,
    ProjectSort, Snapshot, TerritoryIx,
};
use crate::error::{Error, Result};

/// Which projects to list; every criterion given must hold.
#[derive(InputObject, Default, Debug)]
pub struct ProjectFilter {
    /// Territory number: projects linked to it directly or through one of its communes or
    /// collèges.
    pub territory: Option<i32>,
    /// Commune, by INSEE code or name ("Asnières" works).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
    /// Collège, by UAI or name.
    #[graphql(validator(chars_max_length = 200))]
    pub college: Option<String>,
    /// Any of these statuses.
    pub status: Option<Vec<ProjectStatus>>,
    /// On this strategic axis.
    pub axis: Option<StrategicAxis>,
    /// With this theme, by code or French label ("MENTAL_HEALTH", "santé mentale"; see
    /// `themes`).
    #[graphql(validator(chars_max_length = 200))]
    pub theme: Option<String>,
    /// In this youth environment.
    pub environment: Option<YouthEnvironment>,
    /// Carried by this SAEC unit.
    pub unit: Option<SaecUnit>,
    /// Led by this coordinator (ID).
    pub lead: Option<ID>,
    /// Under way on this date (started on or before it, not ended before it).
    pub active_on: Option<Date>,
    /// Under way at some point on or after this date.
    pub active_from: Option<Date>,
    /// Under way at some point on or before this date.
    pub active_to: Option<Date>,
    /// Words found in the title or summary (case, accents and order ignored).
    #[graphql(validator(chars_max_length = 200))]
    pub text: Option<String>,
    /// Changed at or after this time (any offset), to fetch only what changed since an
    /// earlier read. Inclusive, so passing the latest `updatedAt` read returns that
    /// project again: nothing changed in the same millisecond is missed.
    pub updated_since: Option<DateTime>,
    /// Archived projects too (EDITOR token).
    pub include_archived: Option<bool>,
}

/// What projects can be sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProjectOrderField {
    /// Last change.
    UpdatedAt,
    /// Start date (projects without one come last).
    StartDate,
    /// Title, ignoring case and accents.
    Title,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    Asc,
    /// Largest first (Z to A, newest first).
    #[default]
    Desc,
}

/// How to sort projects; ties are broken by creation order, in the same direction.
#[derive(InputObject, Debug)]
pub struct ProjectOrder {
    /// What to sort by.
    pub field: ProjectOrderField,
    /// Direction; default DESC.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// What local bodies can be sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum LocalBodyOrderField {
    /// Name, ignoring case and accents.
    Name,
    /// Last change.
    UpdatedAt,
}

/// How to sort local bodies; ties are broken by creation order, in the same direction.
#[derive(InputObject, Debug)]
pub struct LocalBodyOrder {
    /// What to sort by.
    pub field: LocalBodyOrderField,
    /// Direction; default ASC by name (A to Z), DESC by last change (most recent first).
    pub direction: Option<OrderDirection>,
}

/// What partners can be sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PartnerOrderField {
    /// Name, ignoring case and accents.
    Name,
    /// Last change.
    UpdatedAt,
}

/// How to sort partners; ties are broken by creation order, in the same direction.
#[derive(InputObject, Debug)]
pub struct PartnerOrder {
    /// What to sort by.
    pub field: PartnerOrderField,
    /// Direction; default ASC by name (A to Z), DESC by last change (most recent first).
    pub direction: Option<OrderDirection>,
}

/// The order of a history (the audit log, roster imports), which is the order things
/// happened in.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum HistoryOrder {
    /// Most recent first.
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

impl HistoryOrder {
    /// The ordering of a history by id, `newest` and `oldest` naming it in cursors.
    pub fn spec(self, newest: &'static str, oldest: &'static str) -> OrderSpec {
        match self {
            Self::NewestFirst => OrderSpec {
                name: newest,
                descending: &[true],
            },
            Self::OldestFirst => OrderSpec {
                name: oldest,
                descending: &[false],
            },
        }
    }
}

/// Which local bodies to list; every criterion given must hold.
#[derive(InputObject, Default, Debug)]
pub struct LocalBodyFilter {
    /// Of this kind.
    pub kind: Option<LocalBodyKind>,
    /// In this territory number.
    pub territory: Option<i32>,
    /// Belonging to this commune (INSEE code or name).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
    /// Belonging to this collège (UAI or name).
    #[graphql(validator(chars_max_length = 200))]
    pub college: Option<String>,
    /// Words found in the name.
    #[graphql(validator(chars_max_length = 200))]
    pub text: Option<String>,
    /// Archived bodies too (EDITOR token).
    pub include_archived: Option<bool>,
}

/// Which partners to list; every criterion given must hold.
#[derive(InputObject, Default, Debug)]
pub struct PartnerFilter {
    /// Of this kind.
    pub kind: Option<PartnerKind>,
    /// Working in this territory number (directly or through its commune).
    pub territory: Option<i32>,
    /// Working in this commune (INSEE code or name).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
    /// Words found in the name.
    #[graphql(validator(chars_max_length = 200))]
    pub text: Option<String>,
    /// Archived partners too (EDITOR token).
    pub include_archived: Option<bool>,
}

/// A territory number that must exist.
pub fn territory(
    dir: &Snapshot,
    number: Option<i32>,
    path: &[&str],
) -> Result<Option<TerritoryIx>> {
    number
        .map(|n| {
            dir.territory_by_number(n)
                .ok_or_else(|| Error::bad_input(format!("there is no territory {n}"), path))
        })
        .transpose()
}

/// A commune (INSEE code or name) that must exist, unambiguously.
pub fn commune(dir: &Snapshot, text: Option<&str>, path: &[&str]) -> Result<Option<CommuneIx>> {
    text.map(|t| {
        dir.commune_by_code_or_name(t).ok_or_else(|| {
            Error::bad_input(
                format!("no commune is called {t:?} (give its INSEE code or official name)"),
                path,
            )
        })
    })
    .transpose()
}

/// A collège (UAI or name) that must exist, unambiguously.
pub fn college(dir: &Snapshot, text: Option<&str>, path: &[&str]) -> Result<Option<CollegeIx>> {
    text.map(|t| {
        dir.college_named(t)
            .ok_or_else(|| Error::bad_input(format!("no collège has the UAI or name {t:?}"), path))
    })
    .transpose()
}

/// Archived or inactive items are for EDITOR tokens and above.
pub fn include_hidden(ctx: &Context<'_>, asked: Option<bool>) -> Result<bool> {
    if asked == Some(true) {
        viewer(ctx).require(Role::Editor)?;
        return Ok(true);
    }
    Ok(false)
}

fn words(text: Option<&str>) -> Vec<String> {
    text.map(fold_tokens).unwrap_or_default()
}

impl ProjectFilter {
    /// The domain query, every name resolved.
    pub fn resolve(self, ctx: &Context<'_>, dir: &Snapshot) -> Result<ProjectQuery> {
        let lead = match &self.lead {
            Some(id) => {
                let id = ids::decode_as(id, ids::COORDINATOR, "lead").map_err(|_| {
                    Error::bad_input("lead is not a coordinator ID", &["filter", "lead"])
                })?;
                Some(dir.coordinator_by_id(id).ok_or_else(|| {
                    Error::bad_input("no coordinator has this ID", &["filter", "lead"])
                })?)
            }
            None => None,
        };
        let theme = match &self.theme {
            Some(code) => Some(dir.theme_by_code_or_label(code).ok_or_else(|| {
                Error::bad_input(format!("there is no theme {code:?}"), &["filter", "theme"])
            })?),
            None => None,
        };
        let active_between = match (self.active_on, self.active_from, self.active_to) {
            (None, None, None) => None,
            (Some(on), None, None) => Some((Some(on.0), Some(on.0))),
            (None, from, to) => {
                if let (Some(from), Some(to)) = (from, to)
                    && to < from
                {
                    return Err(Error::bad_input(
                        "activeTo is before activeFrom",
                        &["filter", "activeTo"],
                    ));
                }
                Some((from.map(|d| d.0), to.map(|d| d.0)))
            }
            (Some(_), _, _) => {
                return Err(Error::bad_input(
                    "give activeOn, or activeFrom/activeTo, not both",
                    &["filter", "activeOn"],
                ));
            }
        };
        Ok(ProjectQuery {
            territory: territory(dir, self.territory, &["filter", "territory"])?,
            commune: commune(dir, self.commune.as_deref(), &["filter", "commune"])?,
            college: college(dir, self.college.as_deref(), &["filter", "college"])?,
            partner: None,
            statuses: self.status.unwrap_or_default(),
            axis: self.axis,
            theme,
            environment: self.environment,
            unit: self.unit,
            lead,
            active_between,
            words: words(self.text.as_deref()),
            updated_since: self.updated_since.map(DateTime::utc),
            include_archived: include_hidden(ctx, self.include_archived)?,
        })
    }
}

impl LocalBodyFilter {
    /// The domain query, every name resolved.
    pub fn resolve(self, ctx: &Context<'_>, dir: &Snapshot) -> Result<LocalBodyQuery> {
        Ok(LocalBodyQuery {
            kind: self.kind,
            territory: territory(dir, self.territory, &["filter", "territory"])?,
            commune: commune(dir, self.commune.as_deref(), &["filter", "commune"])?,
            college: college(dir, self.college.as_deref(), &["filter", "college"])?,
            words: words(self.text.as_deref()),
            include_archived: include_hidden(ctx, self.include_archived)?,
        })
    }
}

impl PartnerFilter {
    /// The domain query, every name resolved.
    pub fn resolve(self, ctx: &Context<'_>, dir: &Snapshot) -> Result<PartnerQuery> {
        Ok(PartnerQuery {
            kind: self.kind,
            territory: territory(dir, self.territory, &["filter", "territory"])?,
            commune: commune(dir, self.commune.as_deref(), &["filter", "commune"])?,
            words: words(self.text.as_deref()),
            include_archived: include_hidden(ctx, self.include_archived)?,
        })
    }
}

/// A page of projects: `filter` (with the territory forced to `in_territory` when given),
/// sorted by `order`.
pub fn project_page<'a>(
    ctx: &Context<'_>,
    dir: &'a Snapshot,
    filter: Option<ProjectFilter>,
    order: Option<ProjectOrder>,
    args: PageArgs,
    in_territory: Option<TerritoryIx>,
) -> Result<Page<Project<'a>>> {
    let mut query = filter.unwrap_or_default().resolve(ctx, dir)?;
    if in_territory.is_some() {
        query.territory = in_territory;
    }
    projects_page(dir, &query, order, &args)
}

/// A page of the projects `query` selects, sorted by `order` (default: most recently
/// updated first).
pub fn projects_page<'a>(
    dir: &'a Snapshot,
    query: &ProjectQuery,
    order: Option<ProjectOrder>,
    args: &PageArgs,
) -> Result<Page<Project<'a>>> {
    let (sort, descending) = match order {
        None => (ProjectSort::UpdatedAt, true),
        Some(order) => (
            match order.field {
                ProjectOrderField::UpdatedAt => ProjectSort::UpdatedAt,
                ProjectOrderField::StartDate => ProjectSort::StartDate,
                ProjectOrderField::Title => ProjectSort::Title,
            },
            order.direction == OrderDirection::Desc,
        ),
    };
    let selected = query.select(dir, sort, descending);
    paginate(
        &selected,
        &sort.spec(descending),
        |p| sort.key(&dir.projects[p]),
        args,
        |p| Project::at(dir, p),
    )
}

/// The domain sort of a name-or-update order: by name A to Z when none is given; a
/// missing direction is ASC by name, DESC by last change.
fn named_sort(field: Option<NamedSort>, direction: Option<OrderDirection>) -> (NamedSort, bool) {
    let sort = field.unwrap_or(NamedSort::Name);
    let descending = match direction {
        Some(direction) => direction == OrderDirection::Desc,
        None => sort == NamedSort::UpdatedAt,
    };
    (sort, descending)
}

/// A page of the local bodies `query` selects, sorted by `order` (default: by name).
pub fn local_bodies_page<'a>(
    dir: &'a Snapshot,
    query: &LocalBodyQuery,
    order: Option<LocalBodyOrder>,
    args: &PageArgs,
) -> Result<Page<LocalBody<'a>>> {
    let (sort, descending) = named_sort(
        order.as_ref().map(|o| match o.field {
            LocalBodyOrderField::Name => NamedSort::Name,
            LocalBodyOrderField::UpdatedAt => NamedSort::UpdatedAt,
        }),
        order.and_then(|o| o.direction),
    );
    let selected = query.select_sorted(dir, sort, descending);
    paginate(
        &selected,
        &sort.spec(descending),
        |b| {
            let model = &dir.local_bodies[b].model;
            sort.key(&model.name, model.updated_at, model.id)
        },
        args,
        |b| LocalBody::at(dir, b),
    )
}

/// A page of the partners `query` selects, sorted by `order` (default: by name).
pub fn partners_page<'a>(
    dir: &'a Snapshot,
    query: &PartnerQuery,
    order: Option<PartnerOrder>,
    args: &PageArgs,
) -> Result<Page<Partner<'a>>> {
    let (sort, descending) = named_sort(
        order.as_ref().map(|o| match o.field {
            PartnerOrderField::Name => NamedSort::Name,
            PartnerOrderField::UpdatedAt => NamedSort::UpdatedAt,
        }),
        order.and_then(|o| o.direction),
    );
    let selected = query.select_sorted(dir, sort, descending);
    paginate(
        &selected,
        &sort.spec(descending),
        |p| {
            let model = &dir.partners[p].model;
            sort.key(&model.name, model.updated_at, model.id)
        },
        args,
        |p| Partner::at(dir, p),
    )
}
