//! `Project`: a cross-cutting project followed by coordinators.

use crate::graphql::types::DateTime;
use async_graphql::{Context, ID, Object};
use entity::{Labelled, ProjectStatus, SaecUnit, StrategicAxis, YouthEnvironment};

use super::{College, Commune, Coordinator, Date, Partner, Territory, Theme};
use crate::directory::{ProjectIx, ProjectRow, Snapshot};
use crate::graphql::ids;

/// A cross-cutting project (*action / projet transversal*): what it is, where, with whom,
/// on which axes and themes.
pub struct Project<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a ProjectRow,
}

impl<'a> Project<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: ProjectIx) -> Option<Self> {
        dir.projects.get(index).map(|row| Self { dir, row })
    }

    /// The projects at `positions` that are not archived.
    pub(crate) fn visible(dir: &'a Snapshot, positions: &[ProjectIx]) -> Vec<Self> {
        positions
            .iter()
            .filter_map(|&i| Self::at(dir, i))
            .filter(|p| p.row.model.archived_at.is_none())
            .collect()
    }
}

/// A cross-cutting project (*action / projet transversal*): what it is, where, with whom,
/// on which axes and themes.
#[Object]
impl<'a> Project<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::PROJECT, self.row.model.id)
    }

    /// The project's short title, as coordinators name it.
    async fn title(&self) -> &str {
        &self.row.model.title
    }

    /// What the project does and for whom, free text; null when nobody wrote one.
    async fn summary(&self) -> Option<&str> {
        self.row.model.summary.as_deref()
    }

    /// Where the project stands.
    async fn status(&self) -> ProjectStatus {
        self.row.model.status
    }

    /// The status in French, e.g. "En cours".
    async fn status_label(&self) -> &'static str {
        self.row.model.status.label()
    }

    /// The strategic axes it serves.
    async fn axes(&self) -> &[StrategicAxis] {
        &self.row.axes
    }

    /// The youth environments it works in.
    async fn environments(&self) -> &[YouthEnvironment] {
        &self.row.environments
    }

    /// Its themes, in the themes' order.
    async fn themes(&self) -> Vec<Theme<'a>> {
        self.row
            .themes
            .iter()
            .filter_map(|&t| Theme::at(self.dir, t))
            .collect()
    }

    /// The SAEC unit carrying it, if any.
    async fn unit(&self) -> Option<SaecUnit> {
        self.row.model.unit
    }

    /// The unit in French.
    async fn unit_label(&self) -> Option<&'static str> {
        self.row.model.unit.map(Labelled::label)
    }

    /// The coordinator leading it, if any. Null for public callers once the lead has
    /// left the roster (EDITOR callers still see them, with `active: false`).
    async fn lead(&self, ctx: &Context<'_>) -> Option<Coordinator<'a>> {
        self.row
            .lead
            .and_then(|c| Coordinator::seen_by(ctx, self.dir, c))
    }

    /// Every territory it belongs to: linked directly or through a commune or collège,
    /// by number.
    async fn territories(&self) -> Vec<Territory<'a>> {
        self.row
            .territories
            .iter()
            .filter_map(|&t| Territory::at(self.dir, t))
            .collect()
    }

    /// The communes it is linked to, by name.
    async fn communes(&self) -> Vec<Commune<'a>> {
        self.row
            .communes
            .iter()
            .filter_map(|&c| Commune::at(self.dir, c))
            .collect()
    }

    /// The collèges it is linked to, by name.
    async fn colleges(&self) -> Vec<College<'a>> {
        self.row
            .colleges
            .iter()
            .filter_map(|&c| College::at(self.dir, c))
            .collect()
    }

    /// Its partners, by name.
    async fn partners(&self) -> Vec<Partner<'a>> {
        self.row
            .partners
            .iter()
            .filter_map(|&p| Partner::at(self.dir, p))
            .collect()
    }

    /// Whether it spans several communes (*inter-communes*).
    async fn inter_commune(&self) -> bool {
        self.row.communes.len() > 1
    }

    /// Whether it spans several collèges (*inter-collèges*).
    async fn inter_college(&self) -> bool {
        self.row.colleges.len() > 1
    }

    /// Start date.
    async fn start_date(&self) -> Option<Date> {
        self.row.model.start_date.map(Date)
    }

    /// End date.
    async fn end_date(&self) -> Option<Date> {
        self.row.model.end_date.map(Date)
    }

    /// Whether the project is archived (no longer listed; still readable with a token).
    async fn archived(&self) -> bool {
        self.row.model.archived_at.is_some()
    }

    /// When it was archived.
    async fn archived_at(&self) -> Option<DateTime> {
        self.row.model.archived_at.map(DateTime::from)
    }

    /// Creation time.
    async fn created_at(&self) -> DateTime {
        self.row.model.created_at.into()
    }

    /// Last change.
    async fn updated_at(&self) -> DateTime {
        self.row.model.updated_at.into()
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.model.version
    }
}
