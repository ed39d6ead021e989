//! `search`: one box for everything.

use async_graphql::{Context, Object, Result};
use entity::Role;

use crate::directory::{HitKind, Visibility, search};
use crate::error::Error;
use crate::graphql::access::viewer;
use crate::graphql::pagination::MAX_PAGE_SIZE;
use crate::graphql::snapshot;
use crate::graphql::types::{
    College, Commune, Coordinator, LocalBody, Partner, Project, SearchHit,
};

/// The search query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Communes, coordinators, collèges, local bodies, partners and projects matching
    /// `text`, best first: exact names, then names starting with it, then containing it,
    /// then containing all its words in any order (case, accents, hyphens and
    /// apostrophes ignored; short names such as "Boulogne" and postal codes work). Archived
    /// items and people who left the roster only with an EDITOR token.
    async fn search<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "What to look for.", validator(chars_max_length = 200))] text: String,
        #[graphql(desc = "How many results (at most 100).", default_with = "Some(10)")]
        first: Option<i32>,
    ) -> Result<Vec<SearchHit<'a>>> {
        let dir = snapshot(ctx)?;
        let limit = usize::try_from(first.unwrap_or(10))
            .ok()
            .filter(|&n| n <= MAX_PAGE_SIZE)
            .ok_or_else(|| {
                Error::bad_input(
                    format!("first must be between 0 and {MAX_PAGE_SIZE}"),
                    &["first"],
                )
            })?;
        let visibility = Visibility {
            everything: viewer(ctx).has(Role::Editor),
        };
        Ok(search(dir, &text, visibility, limit)
            .into_iter()
            .filter_map(|hit| match hit.kind {
                HitKind::Commune => Commune::at(dir, hit.item).map(SearchHit::Commune),
                HitKind::Coordinator => Coordinator::at(dir, hit.item).map(SearchHit::Coordinator),
                HitKind::College => College::at(dir, hit.item).map(SearchHit::College),
                HitKind::LocalBody => LocalBody::at(dir, hit.item).map(SearchHit::LocalBody),
                HitKind::Partner => Partner::at(dir, hit.item).map(SearchHit::Partner),
                HitKind::Project => Project::at(dir, hit.item).map(SearchHit::Project),
            })
            .collect())
    }
}
