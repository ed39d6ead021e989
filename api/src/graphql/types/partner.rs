//! `Partner`: a local partner of the Département.

use crate::graphql::types::DateTime;
use async_graphql::{Context, ID, Object, Result};
use entity::normalize::display_phone;
use entity::{Labelled, PartnerKind, Role, partner_expectation};

use super::{Commune, Date, Project, Territory};
use crate::directory::{PartnerIx, PartnerRow, ProjectQuery, Snapshot};
use crate::graphql::access::RoleGuard;
use crate::graphql::ids;
use crate::graphql::inputs::{ProjectOrder, include_hidden, projects_page};
use crate::graphql::pagination::{Page, PageArgs};

/// A local partner (*acteur local*): collège staff, municipal youth service, specialised
/// prevention, project leader, association… Its name and kind are public; its contact and
/// the expectations recorded by coordinators need an EDITOR token.
pub struct Partner<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a PartnerRow,
    pub(crate) index: PartnerIx,
}

impl<'a> Partner<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: PartnerIx) -> Option<Self> {
        dir.partners.get(index).map(|row| Self { dir, row, index })
    }

    /// The partners at `positions` that are not archived.
    pub(crate) fn visible(dir: &'a Snapshot, positions: &[PartnerIx]) -> Vec<Self> {
        positions
            .iter()
            .filter_map(|&i| Self::at(dir, i))
            .filter(|p| p.row.model.archived_at.is_none())
            .collect()
    }
}

/// What a partner expects from the Département, as recorded by a coordinator.
pub struct PartnerExpectation<'a>(pub(crate) &'a partner_expectation::Model);

/// What a partner expects from the Département, as recorded by a coordinator.
#[Object]
impl PartnerExpectation<'_> {
    /// Opaque ID of the recorded expectation.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::PARTNER_EXPECTATION, self.0.id)
    }

    /// The expectation, in the partner's words.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// When it was recorded.
    async fn recorded_on(&self) -> Date {
        Date(self.0.recorded_on)
    }

    /// Whether it is archived (hidden from `Partner.expectations` unless
    /// `includeArchived`).
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    /// When it was archived.
    async fn archived_at(&self) -> Option<DateTime> {
        self.0.archived_at.map(DateTime::from)
    }

    /// Incremented on every change; send it back as `expectedVersion` when archiving or
    /// restoring it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A local partner (*acteur local*): collège staff, municipal youth service, specialised
/// prevention, project leader, association… Its name and kind are public; its contact and
/// the expectations recorded by coordinators need an EDITOR token.
#[Object]
impl<'a> Partner<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::PARTNER, self.row.model.id)
    }

    /// Name, e.g. "Service jeunesse de Bagneux".
    async fn name(&self) -> &str {
        &self.row.model.name
    }

    /// The kind of partner.
    async fn kind(&self) -> PartnerKind {
        self.row.model.kind
    }

    /// The kind in French, e.g. "Prévention spécialisée".
    async fn kind_label(&self) -> &'static str {
        self.row.model.kind.label()
    }

    /// The territory it works in (set, or its commune's).
    async fn territory(&self) -> Option<Territory<'a>> {
        self.row.territory.and_then(|t| Territory::at(self.dir, t))
    }

    /// The commune it works in, if any.
    async fn commune(&self) -> Option<Commune<'a>> {
        self.row.commune.and_then(|c| Commune::at(self.dir, c))
    }

    /// Contact person. EDITOR token.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn contact_name(&self) -> Option<&str> {
        self.row.model.contact_name.as_deref()
    }

    /// Contact e-mail. EDITOR token.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn contact_email(&self) -> Option<&str> {
        self.row.model.contact_email.as_deref()
    }

    /// Contact phone, e.g. "01 41 37 11 11". EDITOR token.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn contact_phone(&self) -> Option<String> {
        self.row.model.contact_phone.as_deref().map(display_phone)
    }

    /// What the partner expects from the Département, oldest first; archived ones only
    /// with `includeArchived`. EDITOR token.
    #[graphql(guard = "RoleGuard(Role::Editor)")]
    async fn expectations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also the archived expectations.")] include_archived: Option<bool>,
    ) -> Result<Vec<PartnerExpectation<'a>>> {
        let include_archived = include_hidden(ctx, include_archived)?;
        Ok(self
            .row
            .expectations
            .iter()
            .filter(|e| include_archived || e.archived_at.is_none())
            .map(PartnerExpectation)
            .collect())
    }

    /// The projects it takes part in (not archived), most recently updated first; all at
    /// once (see `projectsConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `projectsConnection`.")]
    async fn projects(&self) -> Vec<Project<'a>> {
        Project::visible(self.dir, &self.row.projects)
    }

    /// The projects it takes part in (not archived), a page at a time, most recently
    /// updated first unless `orderBy` says otherwise.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn projects_connection(
        &self,
        #[graphql(desc = "Sort order; default: most recently updated first.")] order_by: Option<
            ProjectOrder,
        >,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
    ) -> Result<Page<Project<'a>>> {
        let query = ProjectQuery {
            partner: Some(self.index),
            ..Default::default()
        };
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(projects_page(self.dir, &query, order_by, &args)?)
    }

    /// Whether the partner is archived (no longer listed; still readable with a token).
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
