//! Search across every kind of item, ranked: exact, then prefix, then contains, then all
//! words in any order; then communes before coordinators, collèges, local bodies,
//! partners and projects; then by name.

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
    /// A project.
    Project,
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
}

/// What the searcher may see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visibility {
    /// Archived items and coordinators who left the roster (EDITOR and above).
    pub everything: bool,
}

/// The best `limit` items matching `text`.
pub fn search(dir: &Snapshot, text: &str, visibility: Visibility, limit: usize) -> Vec<Hit> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let all = visibility.everything;
    let mut hits = Vec::new();
    let mut add = |kind: HitKind, matches: Vec<Match>, visible: &dyn Fn(usize) -> bool| {
        hits.extend(
            matches
                .into_iter()
                .filter(|m| visible(m.item))
                .map(|m| Hit {
                    kind,
                    item: m.item,
                    rank: m.rank,
                }),
        );
    };
    add(HitKind::Commune, dir.search_communes(text), &|_| true);
    add(
        HitKind::Coordinator,
        dir.names.coordinators.search(text),
        &|i| all || dir.coordinators[i].model.active,
    );
    add(HitKind::College, dir.names.colleges.search(text), &|i| {
        all || dir.colleges[i].model.archived_at.is_none()
    });
    add(
        HitKind::LocalBody,
        dir.names.local_bodies.search(text),
        &|i| all || dir.local_bodies[i].model.archived_at.is_none(),
    );
    add(HitKind::Partner, dir.names.partners.search(text), &|i| {
        all || dir.partners[i].model.archived_at.is_none()
    });
    add(HitKind::Project, dir.names.projects.search(text), &|i| {
        all || dir.projects[i].model.archived_at.is_none()
    });
    hits.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then(a.kind.cmp(&b.kind))
            .then(a.item.cmp(&b.item))
    });
    hits.truncate(limit);
    hits
}
