//! Search across every kind of item, ranked: exact, then prefix, then contains, then all
//! words in any order, then typos (fewest edits first); then communes before coordinators, collèges, local bodies,
//! partners, themes, projects and territories; then by position.

use super::ix::Ix;
use super::matching::{Match, MatchRank};
use super::snapshot::{
    CollegeIx, CommuneIx, CoordinatorIx, LocalBodyIx, PartnerIx, ProjectIx, Snapshot, TerritoryIx,
    ThemeIx,
};

/// The kinds of item search returns, in their tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitKind {
    /// A commune.
    Commune,
    /// A coordinator.
    Coordinator,
    /// A collège.
    College,
    /// A local body.
    LocalBody,
    /// A partner.
    Partner,
    /// A theme (only when asked for: see [`HitKind::DEFAULT`]); before projects, which
    /// its label also finds.
    Theme,
    /// A project.
    Project,
    /// A territory (only when asked for: see [`HitKind::DEFAULT`]).
    Territory,
}

impl HitKind {
    /// The kinds search returned before themes and territories became searchable: what
    /// a client gets unless it asks otherwise, so it never receives a type it cannot read.
    pub const DEFAULT: [HitKind; 6] = [
        HitKind::Commune,
        HitKind::Coordinator,
        HitKind::College,
        HitKind::LocalBody,
        HitKind::Partner,
        HitKind::Project,
    ];
}

/// A set of [`HitKind`]s: duplicates collapse, so its size is bounded by the kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HitKinds(u8);

impl HitKinds {
    /// Whether `kind` is in the set.
    pub fn contains(self, kind: HitKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }

    /// The kinds search returns by default ([`HitKind::DEFAULT`]).
    pub fn default_kinds() -> Self {
        HitKind::DEFAULT.into_iter().collect()
    }
}

impl FromIterator<HitKind> for HitKinds {
    fn from_iter<I: IntoIterator<Item = HitKind>>(kinds: I) -> Self {
        Self(
            kinds
                .into_iter()
                .fold(0, |set, kind| set | (1 << kind as u8)),
        )
    }
}

/// A search result's item: its kind and its position in the snapshot's list of that
/// kind, typed, so a commune's position is only ever read from the communes. Variants
/// in [`HitKind`]'s order: the derived order is kind, then position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HitItem {
    /// A commune.
    Commune(CommuneIx),
    /// A coordinator.
    Coordinator(CoordinatorIx),
    /// A collège.
    College(CollegeIx),
    /// A local body.
    LocalBody(LocalBodyIx),
    /// A partner.
    Partner(PartnerIx),
    /// A theme.
    Theme(ThemeIx),
    /// A project.
    Project(ProjectIx),
    /// A territory.
    Territory(TerritoryIx),
}

impl HitItem {
    /// What it is.
    pub fn kind(self) -> HitKind {
        match self {
            HitItem::Commune(_) => HitKind::Commune,
            HitItem::Coordinator(_) => HitKind::Coordinator,
            HitItem::College(_) => HitKind::College,
            HitItem::LocalBody(_) => HitKind::LocalBody,
            HitItem::Partner(_) => HitKind::Partner,
            HitItem::Theme(_) => HitKind::Theme,
            HitItem::Project(_) => HitKind::Project,
            HitItem::Territory(_) => HitKind::Territory,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// What it is and where it is in the snapshot.
    pub item: HitItem,
    /// How well it matched.
    pub rank: MatchRank,
    /// How it matched: which name, which key, how many edits.
    pub matched: Match<HitItem>,
}

impl Hit {
    /// What it is.
    pub fn kind(&self) -> HitKind {
        self.item.kind()
    }

    /// The text of the key that matched, if an indexed one did (a postal code does not).
    pub fn matched_text<'a>(&self, dir: &'a Snapshot) -> Option<&'a str> {
        let names = &dir.names;
        let key = self.matched.key?;
        match self.item {
            HitItem::Commune(_) => names.communes.key_text(key),
            HitItem::Coordinator(_) => names.coordinators.key_text(key),
            HitItem::College(_) => names.colleges.key_text(key),
            HitItem::LocalBody(_) => names.local_bodies.key_text(key),
            HitItem::Partner(_) => names.partners.key_text(key),
            HitItem::Theme(_) => names.themes.key_text(key),
            HitItem::Project(_) => names.projects.key_text(key),
            HitItem::Territory(_) => names.territories.key_text(key),
        }
    }
}

/// What the searcher may see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visibility {
    /// Archived items and coordinators who left the roster (EDITOR and above).
    pub everything: bool,
}

/// The best `limit` items of `kinds` matching `text`.
pub fn search(
    dir: &Snapshot,
    text: &str,
    kinds: HitKinds,
    visibility: Visibility,
    limit: usize,
) -> Vec<Hit> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let all = visibility.everything;
    let mut hits = Vec::new();
    let mut add = Adder {
        hits: &mut hits,
        kinds,
    };
    add.kind(
        HitKind::Commune,
        HitItem::Commune,
        || dir.search_communes(text),
        |_| true,
    );
    add.kind(
        HitKind::Coordinator,
        HitItem::Coordinator,
        || dir.names.coordinators.search(text),
        |i| all || dir.coordinators[i].model.active,
    );
    add.kind(
        HitKind::College,
        HitItem::College,
        || dir.names.colleges.search(text),
        |i| all || dir.colleges[i].model.archived_at.is_none(),
    );
    add.kind(
        HitKind::LocalBody,
        HitItem::LocalBody,
        || dir.names.local_bodies.search(text),
        |i| all || dir.local_bodies[i].model.archived_at.is_none(),
    );
    add.kind(
        HitKind::Partner,
        HitItem::Partner,
        || dir.names.partners.search(text),
        |i| all || dir.partners[i].model.archived_at.is_none(),
    );
    add.kind(
        HitKind::Project,
        HitItem::Project,
        || dir.names.projects.search(text),
        |i| all || dir.projects[i].model.archived_at.is_none(),
    );
    add.kind(
        HitKind::Theme,
        HitItem::Theme,
        || dir.names.themes.search(text),
        |i| all || dir.themes[i].model.archived_at.is_none(),
    );
    add.kind(
        HitKind::Territory,
        HitItem::Territory,
        || dir.names.territories.search(text),
        |_| true,
    );
    hits.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then(a.matched.edits.cmp(&b.matched.edits))
            .then(a.matched.spare.cmp(&b.matched.spare))
            // Kind, then position (HitItem's order).
            .then(a.item.cmp(&b.item))
    });
    hits.truncate(limit);
    hits
}

/// Gathers the hits of each kind asked for.
struct Adder<'h> {
    hits: &'h mut Vec<Hit>,
    kinds: HitKinds,
}

impl Adder<'_> {
    /// The `matches` of `kind` (searched only if asked for) that are `visible`, tagged
    /// with `tag`.
    fn kind<T>(
        &mut self,
        kind: HitKind,
        tag: fn(Ix<T>) -> HitItem,
        matches: impl FnOnce() -> Vec<Match<Ix<T>>>,
        visible: impl Fn(Ix<T>) -> bool,
    ) {
        if !self.kinds.contains(kind) {
            return;
        }
        self.hits
            .extend(matches().into_iter().filter(|m| visible(m.item)).map(|m| {
                let item = tag(m.item);
                Hit {
                    item,
                    rank: m.rank,
                    matched: m.with_item(item),
                }
            }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_sets_collapse_duplicates_and_default_to_the_original_six() {
        let set: HitKinds = [HitKind::Theme, HitKind::Theme, HitKind::Project]
            .into_iter()
            .collect();
        assert!(set.contains(HitKind::Theme) && set.contains(HitKind::Project));
        assert!(!set.contains(HitKind::Commune) && !set.contains(HitKind::Territory));
        let default = HitKinds::default_kinds();
        for kind in HitKind::DEFAULT {
            assert!(default.contains(kind), "{kind:?}");
        }
        assert!(!default.contains(HitKind::Theme) && !default.contains(HitKind::Territory));
    }
}
