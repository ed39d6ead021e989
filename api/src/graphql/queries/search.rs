//! `search`: one box for everything.

use async_graphql::{Context, Enum, Object, Result};
use entity::Role;

use crate::directory::{HitKind, HitKinds, Visibility, search};
use crate::error::Error;
use crate::graphql::access::viewer;
use crate::graphql::pagination::MAX_PAGE_SIZE;
use crate::graphql::snapshot;
use crate::graphql::types::{
    College, Commune, Coordinator, LocalBody, Partner, Project, SearchHit, Territory, Theme,
};

/// The kinds of item `search` can return. Themes and territories are left out unless
/// asked for, so clients written before they became searchable never receive a type
/// they cannot read.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Communes (by name, alias or postal code).
    Commune,
    /// Coordinators.
    Coordinator,
    /// Collèges.
    College,
    /// Local bodies.
    LocalBody,
    /// Partners.
    Partner,
    /// Projects.
    Project,
    /// Themes, by French label or code (not returned by default).
    Theme,
    /// Territories, by name or number: "Territoire 3", "T3" (not returned by default).
    Territory,
}

impl From<SearchKind> for HitKind {
    fn from(kind: SearchKind) -> Self {
        match kind {
            SearchKind::Commune => HitKind::Commune,
            SearchKind::Coordinator => HitKind::Coordinator,
            SearchKind::College => HitKind::College,
            SearchKind::LocalBody => HitKind::LocalBody,
            SearchKind::Partner => HitKind::Partner,
            SearchKind::Project => HitKind::Project,
            SearchKind::Theme => HitKind::Theme,
            SearchKind::Territory => HitKind::Territory,
        }
    }
}

/// The search query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Communes, coordinators, collèges, local bodies, partners and projects (and, when
    /// `kinds` asks for them, themes and territories) matching `text`, best first: exact names, then names starting with it, then containing it,
    /// then containing all its words in any order (case, accents, hyphens and
    /// apostrophes ignored; short names such as "Boulogne" and postal codes work). Archived
    /// items and people who left the roster only with an EDITOR token.
    async fn search<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "What to look for.", validator(chars_max_length = 200))] text: String,
        #[graphql(desc = "How many results (at most 100).", default_with = "Some(10)")]
        first: Option<i32>,
        #[graphql(
            desc = "Which kinds of item to return (at most 16 entries, duplicates ignored). \
                    Null or absent: every kind except THEME and TERRITORY, as before they \
                    were searchable.",
            validator(max_items = 16)
        )]
        kinds: Option<Vec<SearchKind>>,
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
        // Bounded by the validator; collecting into a set drops duplicates.
        let kinds = kinds.map_or_else(HitKinds::default_kinds, |kinds| {
            kinds.into_iter().map(HitKind::from).collect()
        });
        let visibility = Visibility {
            everything: viewer(ctx).has(Role::Editor),
        };
        Ok(search(dir, &text, kinds, visibility, limit)
            .into_iter()
            .filter_map(|hit| match hit.kind {
                HitKind::Commune => Commune::at(dir, hit.item).map(SearchHit::Commune),
                HitKind::Coordinator => Coordinator::at(dir, hit.item).map(SearchHit::Coordinator),
                HitKind::College => College::at(dir, hit.item).map(SearchHit::College),
                HitKind::LocalBody => LocalBody::at(dir, hit.item).map(SearchHit::LocalBody),
                HitKind::Partner => Partner::at(dir, hit.item).map(SearchHit::Partner),
                HitKind::Project => Project::at(dir, hit.item).map(SearchHit::Project),
                HitKind::Theme => Theme::at(dir, hit.item).map(SearchHit::Theme),
                HitKind::Territory => Territory::at(dir, hit.item).map(SearchHit::Territory),
            })
            .collect())
    }
}
