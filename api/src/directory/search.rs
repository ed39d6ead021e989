//! Search across every kind of item, ranked: exact, then prefix, then contains, then all
//! words in any order, then typos (fewest edits first); then communes before coordinators, collèges, local bodies,
//! partners, themes, projects and territories; then by position.

use super::matching::{Match, MatchRank};
use super::snapshot::Snapshot;

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

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// What it is.
    pub kind: HitKind,
    /// Its position in the snapshot's list of that kind.
    pub item: usize,
    /// How well it matched.
    pub rank: MatchRank,
    /// How it matched: which name, which key, how many edits.
    pub matched: Match,
}

impl Hit {
    /// The text of the key that matched, if an indexed one did (a postal code does not).
    pub fn matched_text<'a>(&self, dir: &'a Snapshot) -> Option<&'a str> {
        let names = &dir.names;
        let index = match self.kind {
            HitKind::Commune => &names.communes,
            HitKind::Coordinator => &names.coordinators,
            HitKind::College => &names.colleges,
            HitKind::LocalBody => &names.local_bodies,
            HitKind::Partner => &names.partners,
            HitKind::Theme => &names.themes,
            HitKind::Project => &names.projects,
            HitKind::Territory => &names.territories,
        };
        self.matched.key.and_then(|key| index.key_text(key))
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
    let mut add =
        |kind: HitKind, matches: &dyn Fn() -> Vec<Match>, visible: &dyn Fn(usize) -> bool| {
            if !kinds.contains(kind) {
                return;
            }
            hits.extend(
                matches()
                    .into_iter()
                    .filter(|m| visible(m.item))
                    .map(|m| Hit {
                        kind,
                        item: m.item,
                        rank: m.rank,
                        matched: m,
                    }),
            );
        };
    add(HitKind::Commune, &|| dir.search_communes(text), &|_| true);
    add(
        HitKind::Coordinator,
        &|| dir.names.coordinators.search(text),
        &|i| all || dir.coordinators[i].model.active,
    );
    add(
        HitKind::College,
        &|| dir.names.colleges.search(text),
        &|i| all || dir.colleges[i].model.archived_at.is_none(),
    );
    add(
        HitKind::LocalBody,
        &|| dir.names.local_bodies.search(text),
        &|i| all || dir.local_bodies[i].model.archived_at.is_none(),
    );
    add(
        HitKind::Partner,
        &|| dir.names.partners.search(text),
        &|i| all || dir.partners[i].model.archived_at.is_none(),
    );
    add(
        HitKind::Project,
        &|| dir.names.projects.search(text),
        &|i| all || dir.projects[i].model.archived_at.is_none(),
    );
    add(HitKind::Theme, &|| dir.names.themes.search(text), &|i| {
        all || dir.themes[i].model.archived_at.is_none()
    });
    add(
        HitKind::Territory,
        &|| dir.names.territories.search(text),
        &|_| true,
    );
    hits.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then(a.matched.edits.cmp(&b.matched.edits))
            .then(a.matched.spare.cmp(&b.matched.spare))
            .then(a.kind.cmp(&b.kind))
            .then(a.item.cmp(&b.item))
    });
    hits.truncate(limit);
    hits
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
