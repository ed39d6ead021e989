//! `Coordinator`: a territory coordinator, as the HR roster describes them.

use crate::graphql::types::DateTime;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::Role;
use entity::normalize::display_phone;

use super::{LocalBody, Project, Territory};
use crate::directory::{CoordinatorIx, CoordinatorRow, ProjectQuery, Snapshot};
use crate::graphql::access::{RoleGuard, viewer};
use crate::graphql::ids;
use crate::graphql::inputs::{ProjectOrder, projects_page};
use crate::graphql::pagination::{Page, PageArgs};

/// A territory coordinator (*coordonnateur / coordonnatrice de territoire*).
///
/// Identity, contact and territory come from the HR roster, imported every night: the
/// API does not edit them (the next import would undo it). The e-mail and phone are the
/// professional contacts the Département publishes; they leave public view as soon as the
/// person leaves the roster (EDITOR tokens still see them until they are erased).
pub struct Coordinator<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CoordinatorRow,
    pub(crate) index: CoordinatorIx,
}

impl<'a> Coordinator<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: CoordinatorIx) -> Option<Self> {
        dir.coordinators
            .get(index)
            .map(|row| Self { dir, row, index })
    }

    /// The coordinator at `index` if the caller may see them: a departed coordinator
    /// (no longer on the roster) is hidden from the public everywhere they could be
    /// reached (lookups, `node`, a project's lead, a body's representatives) and stays
    /// visible to EDITOR and ADMIN callers.
    pub(crate) fn seen_by(
        ctx: &Context<'_>,
        dir: &'a Snapshot,
        index: CoordinatorIx,
    ) -> Option<Self> {
        Self::at(dir, index).filter(|c| c.row.model.active || viewer(ctx).has(Role::Editor))
    }

    fn contact<'b>(&'b self, ctx: &Context<'_>, value: Option<&'b str>) -> Option<&'b str> {
        (self.row.model.active || viewer(ctx).has(Role::Editor))
            .then_some(value)
            .flatten()
    }
}

/// One period of a coordinator on a territory.
#[derive(SimpleObject)]
pub struct Assignment<'a> {
    /// The territory.
    pub territory: Option<Territory<'a>>,
    /// Start of the period.
    pub started_at: DateTime,
    /// End of the period; null while current.
    pub ended_at: Option<DateTime>,
}

/// A territory coordinator (*coordonnateur / coordonnatrice de territoire*).
///
/// Identity, contact and territory come from the HR roster, imported every night: the
/// API does not edit them (the next import would undo it). The e-mail and phone are the
/// professional contacts the Département publishes; they leave public view as soon as the
/// person leaves the roster (EDITOR tokens still see them until they are erased).
#[Object]
impl<'a> Coordinator<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::COORDINATOR, self.row.model.id)
    }

    /// HR employee id (*matricule*). ADMIN token only.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn employee_id(&self) -> Option<&str> {
        self.row.model.employee_id.as_deref()
    }

    /// First name, as written by HR.
    async fn first_name(&self) -> &str {
        &self.row.model.first_name
    }

    /// Last name, as written by HR (often upper case: "LARA").
    async fn last_name(&self) -> &str {
        &self.row.model.last_name
    }

    /// First and last name, e.g. "Sandrine LARA".
    async fn full_name(&self) -> String {
        format!("{} {}", self.row.model.first_name, self.row.model.last_name)
    }

    /// Job title, e.g. "Coordonnatrice de territoire 1".
    async fn title(&self) -> Option<&str> {
        self.row.model.title.as_deref()
    }

    /// Professional e-mail, lower case. Once the person has left the roster: null
    /// without an EDITOR token at once, and null for everyone after the retention
    /// period, when the contact is erased.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.contact(ctx, self.row.model.email.as_deref())
    }

    /// Professional phone as the Département publishes it, e.g. "07 60 77 99 05". Once
    /// the person has left the roster: null without an EDITOR token at once, and null for
    /// everyone after the retention period, when the contact is erased.
    async fn phone(&self, ctx: &Context<'_>) -> Option<String> {
        self.contact(ctx, self.row.model.phone.as_deref())
            .map(display_phone)
    }

    /// The same phone in E.164, for `tel:` links, e.g. "+33760779905".
    async fn phone_e164(&self, ctx: &Context<'_>) -> Option<&str> {
        self.contact(ctx, self.row.model.phone.as_deref())
    }

    /// Professional landline (*téléphone fixe*), e.g. "01 41 37 11 11"; public like the
    /// phone, and like it null once the person has left the roster (without an EDITOR
    /// token) and for everyone after the retention period.
    async fn landline(&self, ctx: &Context<'_>) -> Option<String> {
        self.contact(ctx, self.row.model.landline.as_deref())
            .map(display_phone)
    }

    /// The same landline in E.164, for `tel:` links, e.g. "+33141371111".
    async fn landline_e164(&self, ctx: &Context<'_>) -> Option<&str> {
        self.contact(ctx, self.row.model.landline.as_deref())
    }

    /// Whether the person is in the current HR roster.
    async fn active(&self) -> bool {
        self.row.model.active
    }

    /// The person's main territory: the earliest of their current assignments; null if
    /// they have none.
    async fn territory(&self) -> Option<Territory<'a>> {
        self.row
            .territories
            .first()
            .and_then(|&i| Territory::at(self.dir, i))
    }

    /// Every territory the person currently covers (two during an interim).
    async fn territories(&self) -> Vec<Territory<'a>> {
        self.row
            .territories
            .iter()
            .filter_map(|&i| Territory::at(self.dir, i))
            .collect()
    }

    /// The history of the person's territories, most recent first.
    async fn assignments(&self) -> Vec<Assignment<'a>> {
        self.row
            .history
            .iter()
            .map(|a| Assignment {
                territory: Territory::at(self.dir, a.territory),
                started_at: a.started_at.into(),
                ended_at: a.ended_at.map(DateTime::from),
            })
            .collect()
    }

    /// The local bodies where the person represents the Département (not archived), by
    /// name.
    async fn representations(&self) -> Vec<LocalBody<'a>> {
        LocalBody::visible(self.dir, &self.row.representations)
    }

    /// The projects the person leads (not archived), most recently updated first; all at
    /// once (see `projectsConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `projectsConnection`.")]
    async fn projects(&self) -> Vec<Project<'a>> {
        Project::visible(self.dir, &self.row.projects_led)
    }

    /// The projects the person leads (not archived), a page at a time, most recently
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
            lead: Some(self.index),
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
}
