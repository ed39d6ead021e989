//! `College`: a public collège.

use crate::graphql::types::DateTime;
use async_graphql::{ID, Object, Result};

use super::{Commune, LocalBody, Project, Territory};
use crate::directory::{CollegeIx, CollegeRow, ProjectQuery, ProjectSort, Snapshot};
use crate::graphql::ids;
use crate::graphql::inputs::{ProjectOrder, projects_page};
use crate::graphql::pagination::{Page, PageArgs};

/// A public collège of the département, identified by its UAI code.
pub struct College<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CollegeRow,
    pub(crate) index: CollegeIx,
}

impl<'a> College<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: CollegeIx) -> Option<Self> {
        dir.colleges.get(index).map(|row| Self { dir, row, index })
    }

    /// The collèges at `positions` that are not archived.
    pub(crate) fn visible(dir: &'a Snapshot, positions: &[CollegeIx]) -> Vec<Self> {
        positions
            .iter()
            .filter_map(|&i| Self::at(dir, i))
            .filter(|c| c.row.model.archived_at.is_none())
            .collect()
    }
}

/// A public collège of the département, identified by its UAI code.
#[Object]
impl<'a> College<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::COLLEGE, self.row.model.id)
    }

    /// UAI code (*unité administrative immatriculée*), e.g. "0920068Z".
    async fn uai(&self) -> &str {
        &self.row.model.uai
    }

    /// Official name, e.g. "Collège Maison-Blanche".
    async fn name(&self) -> &str {
        &self.row.model.name
    }

    /// The commune where the collège stands.
    async fn commune(&self) -> Option<Commune<'a>> {
        Commune::at(self.dir, self.row.commune)
    }

    /// The territory of its commune.
    async fn territory(&self) -> Option<Territory<'a>> {
        let commune = self.dir.communes.get(self.row.commune)?;
        Territory::at(self.dir, commune.territory)
    }

    /// The local bodies of the collège (its CESC…), not archived, by name.
    async fn local_bodies(&self) -> Vec<LocalBody<'a>> {
        LocalBody::visible(self.dir, &self.row.local_bodies)
    }

    /// The projects linked to the collège (not archived), most recently updated first;
    /// all at once (see `projectsConnection` for pages).
    #[graphql(deprecation = "A list without pages: read `projectsConnection`.")]
    async fn projects(&self) -> Vec<Project<'a>> {
        let query = ProjectQuery {
            college: Some(self.index),
            ..Default::default()
        };
        query
            .select(self.dir, ProjectSort::UpdatedAt, true)
            .into_iter()
            .filter_map(|p| Project::at(self.dir, p))
            .collect()
    }

    /// The projects linked to the collège (not archived), a page at a time, most
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
            college: Some(self.index),
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

    /// Whether the collège is archived (no longer listed; still readable with a token).
    async fn archived(&self) -> bool {
        self.row.model.archived_at.is_some()
    }

    /// When it was archived.
    async fn archived_at(&self) -> Option<DateTime> {
        self.row.model.archived_at.map(DateTime::from)
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.model.version
    }
}
