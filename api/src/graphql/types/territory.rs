//! `Territory`: one of the territories and what belongs to it.

use async_graphql::{Context, ID, Object, Result};
use entity::LocalBodyKind;

use super::{College, Commune, Coordinator, LocalBody, Partner, Project, TerritoryOverview};
use crate::directory::{
    LocalBodyQuery, PartnerQuery, Snapshot, TerritoryIx, TerritoryRow, overview,
};
use crate::graphql::ids;
use crate::graphql::inputs::{
    LocalBodyOrder, PartnerOrder, ProjectFilter, ProjectOrder, local_bodies_page, partners_page,
    project_page,
};
use crate::graphql::pagination::{Page, PageArgs};
use crate::graphql::types::GeoJson;

/// A territory (*territoire*) of the département: its communes, collèges, coordinator,
/// local bodies, partners and projects.
pub struct Territory<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a TerritoryRow,
    pub(crate) index: TerritoryIx,
}

impl<'a> Territory<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: TerritoryIx) -> Option<Self> {
        dir.territories
            .get(index)
            .map(|row| Self { dir, row, index })
    }
}

/// A territory (*territoire*) of the département: its communes, collèges, coordinator,
/// local bodies, partners and projects.
#[Object]
impl<'a> Territory<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::TERRITORY, self.row.id)
    }

    /// The territory's number, 1 to 7.
    async fn number(&self) -> i32 {
        self.row.number
    }

    /// Display name, e.g. "Territoire 3".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// The territory's outline, a GeoJSON `Polygon` or `MultiPolygon`: the union of its
    /// communes' outlines, so it follows a commune an import moves (simplified: for maps,
    /// not for telling which territory an address near a border is in).
    async fn outline(&self) -> Option<GeoJson> {
        self.row.outline.clone().map(GeoJson)
    }

    /// The communes of the territory, by name.
    async fn communes(&self) -> Vec<Commune<'a>> {
        self.row
            .communes
            .iter()
            .filter_map(|&i| Commune::at(self.dir, i))
            .collect()
    }

    /// The public collèges of the territory's communes, by name.
    async fn colleges(&self) -> Vec<College<'a>> {
        College::visible(self.dir, &self.row.colleges)
    }

    /// The active coordinators of the territory, the one assigned first first (several
    /// during an interim, none while the post is vacant).
    async fn coordinators(&self) -> Vec<Coordinator<'a>> {
        self.row
            .coordinators
            .iter()
            .filter_map(|&i| Coordinator::at(self.dir, i))
            .collect()
    }

    /// The territory's coordinator: the active one with the earliest current assignment;
    /// null while the post is vacant.
    async fn coordinator(&self) -> Option<Coordinator<'a>> {
        self.row
            .coordinators
            .first()
            .and_then(|&i| Coordinator::at(self.dir, i))
    }

    /// The local bodies of the territory (not archived), by name; all at once (see
    /// `localBodiesConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `localBodiesConnection`.")]
    async fn local_bodies(
        &self,
        #[graphql(desc = "Only this kind of body.")] kind: Option<LocalBodyKind>,
    ) -> Vec<LocalBody<'a>> {
        LocalBody::visible(self.dir, &self.row.local_bodies)
            .into_iter()
            .filter(|b| kind.is_none_or(|k| b.row.model.kind == k))
            .collect()
    }

    /// The partners working in the territory (not archived), by name; all at once (see
    /// `partnersConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `partnersConnection`.")]
    async fn partners(&self) -> Vec<Partner<'a>> {
        Partner::visible(self.dir, &self.row.partners)
    }

    /// The local bodies of the territory (not archived), a page at a time, by name unless
    /// `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn local_bodies_connection(
        &self,
        #[graphql(desc = "Only this kind of body.")] kind: Option<LocalBodyKind>,
        #[graphql(desc = "Sort order; default: by name, A to Z.")] order_by: Option<LocalBodyOrder>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
    ) -> Result<Page<LocalBody<'a>>> {
        let query = LocalBodyQuery {
            kind,
            territory: Some(self.index),
            ..Default::default()
        };
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(local_bodies_page(self.dir, &query, order_by, &args)?)
    }

    /// The partners working in the territory (not archived), a page at a time, by name
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
            territory: Some(self.index),
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

    /// The projects of the territory — linked to it directly or through one of its
    /// communes or collèges — most recently updated first unless `orderBy` says
    /// otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Further criteria (the territory is this one).")] filter: Option<
            ProjectFilter,
        >,
        #[graphql(desc = "Sort order; default: most recently updated first.")] order_by: Option<
            ProjectOrder,
        >,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
    ) -> Result<Page<Project<'a>>> {
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(project_page(
            ctx,
            self.dir,
            filter,
            order_by,
            args,
            Some(self.index),
        )?)
    }

    /// The *état des lieux* of the territory: what it holds, counted.
    async fn overview(&self) -> TerritoryOverview<'a> {
        TerritoryOverview {
            dir: self.dir,
            counts: overview(self.dir, self.index),
        }
    }
}
