//! `Commune`: a commune of the département.

use async_graphql::{ID, Object, Result};

use super::{College, LocalBody, Partner, Project, Territory};
use crate::directory::{CommuneIx, CommuneRow, PartnerQuery, ProjectQuery, ProjectSort, Snapshot};
use crate::graphql::ids;
use crate::graphql::inputs::{PartnerOrder, ProjectOrder, partners_page, projects_page};
use crate::graphql::pagination::{Page, PageArgs};
use crate::graphql::types::GeoJson;

/// A commune of the département, identified by its official INSEE code.
pub struct Commune<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CommuneRow,
    pub(crate) index: CommuneIx,
}

impl<'a> Commune<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: CommuneIx) -> Option<Self> {
        dir.communes.get(index).map(|row| Self { dir, row, index })
    }
}

/// A commune of the département, identified by its official INSEE code.
#[Object]
impl<'a> Commune<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::COMMUNE, self.row.id)
    }

    /// Official INSEE code (*code officiel géographique*), e.g. "92004".
    async fn insee_code(&self) -> &str {
        &self.row.insee_code
    }

    /// Official name, e.g. "Asnières-sur-Seine".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// Postal codes, ascending (Meudon has two).
    async fn postal_codes(&self) -> &[String] {
        &self.row.postal_codes
    }

    /// Other names people use for the commune ("Asnières", "Boulogne"), all accepted by
    /// `commune(name:)`.
    async fn aliases(&self) -> &[String] {
        &self.row.aliases
    }

    /// The commune's outline, a GeoJSON `Polygon` (simplified: for maps, not for telling
    /// which commune an address near a border is in); null if the map does not draw it.
    async fn outline(&self) -> Option<GeoJson> {
        self.row.outline.clone().map(GeoJson)
    }

    /// The territory the commune belongs to.
    async fn territory(&self) -> Option<Territory<'a>> {
        Territory::at(self.dir, self.row.territory)
    }

    /// The public collèges of the commune, by name.
    async fn colleges(&self) -> Vec<College<'a>> {
        College::visible(self.dir, &self.row.colleges)
    }

    /// The local bodies of the commune (not archived), by name.
    async fn local_bodies(&self) -> Vec<LocalBody<'a>> {
        LocalBody::visible(self.dir, &self.row.local_bodies)
    }

    /// The partners working in the commune (not archived), by name; all at once (see
    /// `partnersConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `partnersConnection`.")]
    async fn partners(&self) -> Vec<Partner<'a>> {
        Partner::visible(self.dir, &self.row.partners)
    }

    /// The projects linked to the commune (not archived), most recently updated first;
    /// all at once (see `projectsConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `projectsConnection`.")]
    async fn projects(&self) -> Vec<Project<'a>> {
        let query = ProjectQuery {
            commune: Some(self.index),
            ..Default::default()
        };
        query
            .select(self.dir, ProjectSort::UpdatedAt, true)
            .into_iter()
            .filter_map(|p| Project::at(self.dir, p))
            .collect()
    }

    /// The partners working in the commune (not archived), a page at a time, by name
    /// unless `orderBy` says otherwise.
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn partners_connection(
        &self,
        #[graphql(desc = "Sort order; default: by name, A to Z.")] order_by: Option<PartnerOrder>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
    ) -> Result<Page<Partner<'a>>> {
        let query = PartnerQuery {
            commune: Some(self.index),
            ..Default::default()
        };
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(partners_page(self.dir, &query, order_by, &args)?)
    }

    /// The projects linked to the commune (not archived), a page at a time, most
    /// recently updated first unless `orderBy` says otherwise.
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
            commune: Some(self.index),
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
