//! Which projects a query selects, and in which order.

use chrono::{DateTime, NaiveDate, Utc};
use entity::normalize::fold_tokens;
use entity::{ProjectStatus, SaecUnit, StrategicAxis, YouthEnvironment};

use super::order::{KeyPart, OrderSpec};
use super::snapshot::{
    CollegeIx, CommuneIx, CoordinatorIx, PartnerIx, ProjectIx, ProjectRow, Snapshot, TerritoryIx,
    ThemeIx,
};

/// What projects can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectSort {
    /// Last change (the default, most recent first).
    UpdatedAt,
    /// Start date; projects without one come last.
    StartDate,
    /// Title, ignoring case and accents.
    Title,
}

impl ProjectSort {
    /// Every sort.
    pub const ALL: [Self; 3] = [Self::UpdatedAt, Self::StartDate, Self::Title];

    /// The ordering: the sorted value, then the id, in the same direction.
    pub fn spec(self, descending: bool) -> OrderSpec {
        let directions: &'static [bool] = if descending {
            &[true, true]
        } else {
            &[false, false]
        };
        let name = match (self, descending) {
            (Self::UpdatedAt, false) => "projects.updated_at.asc",
            (Self::UpdatedAt, true) => "projects.updated_at.desc",
            (Self::StartDate, false) => "projects.start_date.asc",
            (Self::StartDate, true) => "projects.start_date.desc",
            (Self::Title, false) => "projects.title.asc",
            (Self::Title, true) => "projects.title.desc",
        };
        OrderSpec {
            name,
            descending: directions,
        }
    }

    /// The sort key of a project.
    pub fn key(self, project: &ProjectRow) -> Vec<KeyPart> {
        let model = &project.model;
        let value = match self {
            Self::UpdatedAt => KeyPart::Int(model.updated_at.timestamp_micros()),
            Self::StartDate => model.start_date.map_or(KeyPart::Null, |d| {
                KeyPart::Int(i64::from(d.num_days_from_ce()))
            }),
            Self::Title => KeyPart::Text(fold_tokens(&model.title).join(" ")),
        };
        vec![value, KeyPart::Int(i64::from(model.id))]
    }
}

use chrono::Datelike as _;

/// A selection of projects; every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct ProjectQuery {
    /// Belonging to this territory (directly, or through a commune or collège).
    pub territory: Option<TerritoryIx>,
    /// Linked to this commune.
    pub commune: Option<CommuneIx>,
    /// Linked to this collège.
    pub college: Option<CollegeIx>,
    /// With this partner taking part.
    pub partner: Option<PartnerIx>,
    /// In one of these statuses (any when empty).
    pub statuses: Vec<ProjectStatus>,
    /// On this axis.
    pub axis: Option<StrategicAxis>,
    /// With this theme.
    pub theme: Option<ThemeIx>,
    /// In this environment.
    pub environment: Option<YouthEnvironment>,
    /// Carried by this unit.
    pub unit: Option<SaecUnit>,
    /// Led by this coordinator.
    pub lead: Option<CoordinatorIx>,
    /// Under way at some point between these dates (both included; open when absent).
    pub active_between: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Every word found in the title or summary (folded).
    pub words: Vec<String>,
    /// Last changed at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Archived projects too.
    pub include_archived: bool,
}

impl ProjectQuery {
    /// Whether `project` is selected.
    pub fn matches(&self, project: &ProjectRow) -> bool {
        let model = &project.model;
        (self.include_archived || model.archived_at.is_none())
            && self
                .territory
                .is_none_or(|t| project.territories.contains(&t))
            && self.commune.is_none_or(|c| project.communes.contains(&c))
            && self.college.is_none_or(|c| project.colleges.contains(&c))
            && self.partner.is_none_or(|p| project.partners.contains(&p))
            && (self.statuses.is_empty() || self.statuses.contains(&model.status))
            && self.axis.is_none_or(|a| project.axes.contains(&a))
            && self.theme.is_none_or(|t| project.themes.contains(&t))
            && self
                .environment
                .is_none_or(|e| project.environments.contains(&e))
            && self.unit.is_none_or(|u| model.unit == Some(u))
            && self.lead.is_none_or(|l| project.lead == Some(l))
            && self.active_between.is_none_or(|(from, to)| {
                let starts_in_time = match (model.start_date, to) {
                    (Some(start), Some(to)) => start <= to,
                    _ => true,
                };
                let not_ended_before = match (model.end_date, from) {
                    (Some(end), Some(from)) => end >= from,
                    _ => true,
                };
                starts_in_time && not_ended_before
            })
            && self
                .words
                .iter()
                .all(|word| project.text.contains(word.as_str()))
            && self.updated_since.is_none_or(|t| model.updated_at >= t)
    }

    /// The selected projects, in the order `sort`.
    pub fn select(&self, dir: &Snapshot, sort: ProjectSort, descending: bool) -> Vec<ProjectIx> {
        dir.projects_in_order(sort, descending)
            .iter()
            .copied()
            .filter(|&p| self.matches(&dir.projects[p]))
            .collect()
    }
}
