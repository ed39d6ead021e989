//! `search`: one box for everything.

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use entity::Role;

use crate::directory::{Hit, HitItem, HitKind, HitKinds, KeySource, MatchRank, Visibility, search};
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

/// Which of an item's names matched a search.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMatchedOn {
    /// Its name (a coordinator's full name, a project's title, a theme's label).
    Name,
    /// Another name people use: a commune's alias ("Clichy-la-Garenne"), a glued
    /// surname ("vanderheyden").
    Alias,
    /// A code: a collège's UAI, a theme's code, a territory's number ("T3").
    Code,
    /// A commune's postal code or INSEE code.
    PostalCode,
    /// A coordinator's e-mail address.
    Email,
    /// A coordinator's title.
    Title,
    /// The French label of one of a project's themes.
    ThemeLabel,
}

impl From<KeySource> for SearchMatchedOn {
    fn from(source: KeySource) -> Self {
        match source {
            KeySource::Name => Self::Name,
            KeySource::Alias => Self::Alias,
            KeySource::Code => Self::Code,
            KeySource::PostalCode => Self::PostalCode,
            KeySource::Email => Self::Email,
            KeySource::Title => Self::Title,
            KeySource::ThemeLabel => Self::ThemeLabel,
        }
    }
}

/// How a search text matched, best first.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMatchHow {
    /// The name is the text (case, accents, punctuation and spacing aside: glued or
    /// split words count as exact).
    Exact,
    /// The name starts with the text.
    Prefix,
    /// The name contains the text.
    Contains,
    /// Every word of the text starts a word of the name, in any order.
    Words,
    /// The text is the name with a typo or two (see `SearchMatch.edits`; one edit
    /// from 4 letters, two from 8).
    Typo,
}

impl From<MatchRank> for SearchMatchHow {
    fn from(rank: MatchRank) -> Self {
        match rank {
            MatchRank::Exact => Self::Exact,
            MatchRank::Prefix => Self::Prefix,
            MatchRank::Contains => Self::Contains,
            MatchRank::Words => Self::Words,
            MatchRank::Typo => Self::Typo,
        }
    }
}

/// What matched a search text, and how.
#[derive(SimpleObject)]
pub struct SearchMatch {
    /// Which of the item's names matched.
    pub on: SearchMatchedOn,
    /// How it matched.
    pub how: SearchMatchHow,
    /// The name that matched, as written in the directory (null for a postal code,
    /// which is the text itself).
    pub text: Option<String>,
    /// Letters inserted, deleted, replaced or swapped between the text and the name
    /// (0 unless `how` is `TYPO`).
    pub edits: i32,
}

/// One ranked search result: the item, its score and what matched.
#[derive(SimpleObject)]
pub struct SearchResult<'a> {
    /// The item found.
    pub item: SearchHit<'a>,
    /// How well it matched, in ]0, 1]: 1 for an exact name, then prefix (0.8), contains
    /// (0.6), all words (0.5), typos (0.4, 0.2 for two edits). Results come best first.
    pub score: f64,
    /// What matched, and how.
    pub matched: SearchMatch,
}

/// The hits of `search` and `searchResults`, as GraphQL items.
fn run<'a>(
    ctx: &Context<'a>,
    text: &str,
    first: Option<i32>,
    kinds: Option<Vec<SearchKind>>,
) -> Result<Vec<(Hit, SearchHit<'a>)>> {
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
    Ok(search(dir, text, kinds, visibility, limit)
        .into_iter()
        .filter_map(|hit| {
            let item = match hit.item {
                HitItem::Commune(i) => Commune::at(dir, i).map(SearchHit::Commune),
                HitItem::Coordinator(i) => Coordinator::at(dir, i).map(SearchHit::Coordinator),
                HitItem::College(i) => College::at(dir, i).map(SearchHit::College),
                HitItem::LocalBody(i) => LocalBody::at(dir, i).map(SearchHit::LocalBody),
                HitItem::Partner(i) => Partner::at(dir, i).map(SearchHit::Partner),
                HitItem::Project(i) => Project::at(dir, i).map(SearchHit::Project),
                HitItem::Theme(i) => Theme::at(dir, i).map(SearchHit::Theme),
                HitItem::Territory(i) => Territory::at(dir, i).map(SearchHit::Territory),
            }?;
            Some((hit, item))
        })
        .collect())
}

/// The search query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Communes, coordinators, collèges, local bodies, partners and projects (and, when
    /// `kinds` asks for them, themes and territories) matching `text`, best first: exact names, then names starting with it, then containing it,
    /// then containing all its words in any order (case, accents, hyphens and
    /// apostrophes ignored; short names such as "Boulogne" and postal codes work), then
    /// names with a typo or two ("nantere", "courbevois"). Archived
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
        Ok(run(ctx, &text, first, kinds)?
            .into_iter()
            .map(|(_, item)| item)
            .collect())
    }

    /// The same search as `search`, each result with its score and what matched (the
    /// name, alias, postal code, e-mail, theme label… and whether exactly, as a prefix
    /// or with a typo), best first.
    async fn search_results<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "What to look for.", validator(chars_max_length = 200))] text: String,
        #[graphql(desc = "How many results (at most 100).", default_with = "Some(10)")]
        first: Option<i32>,
        #[graphql(
            desc = "Which kinds of item to return (at most 16 entries, duplicates ignored). \
                    Null or absent: every kind except THEME and TERRITORY.",
            validator(max_items = 16)
        )]
        kinds: Option<Vec<SearchKind>>,
    ) -> Result<Vec<SearchResult<'a>>> {
        let dir = snapshot(ctx)?;
        Ok(run(ctx, &text, first, kinds)?
            .into_iter()
            .map(|(hit, item)| SearchResult {
                item,
                score: hit.matched.score(),
                matched: SearchMatch {
                    on: hit.matched.on.into(),
                    how: hit.rank.into(),
                    text: hit.matched_text(dir).map(str::to_owned),
                    edits: i32::from(hit.matched.edits),
                },
            })
            .collect())
    }
}
