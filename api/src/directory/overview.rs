//! The *état des lieux* of a territory: what it holds, counted.

use entity::{Labelled, LocalBodyKind, PartnerKind, ProjectStatus, StrategicAxis};

use super::snapshot::{Snapshot, TerritoryIx, ThemeIx};

/// The counts of one territory; lists include zero counts.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// The territory's communes.
    pub communes: usize,
    /// Collèges (not archived).
    pub colleges: usize,
    /// Partners (not archived).
    pub partners: usize,
    /// Partners by kind.
    pub partners_by_kind: Vec<(PartnerKind, usize)>,
    /// Local bodies (not archived).
    pub local_bodies: usize,
    /// Local bodies by kind.
    pub local_bodies_by_kind: Vec<(LocalBodyKind, usize)>,
    /// Projects (not archived).
    pub projects: usize,
    /// Projects by status.
    pub projects_by_status: Vec<(ProjectStatus, usize)>,
    /// Projects by axis (a project on two axes counts in both).
    pub projects_by_axis: Vec<(StrategicAxis, usize)>,
    /// Projects by theme: position of the theme, count (current themes, and archived
    /// ones still used).
    pub projects_by_theme: Vec<(ThemeIx, usize)>,
    /// Projects whose lead is missing or has left the roster.
    pub projects_without_active_lead: usize,
}

fn count_each<K: Labelled + PartialEq>(values: impl Iterator<Item = K>) -> Vec<(K, usize)> {
    let mut counts: Vec<(K, usize)> = K::ALL.iter().map(|&k| (k, 0)).collect();
    for value in values {
        if let Some(entry) = counts.iter_mut().find(|(k, _)| *k == value) {
            entry.1 += 1;
        }
    }
    counts
}

/// Counts what territory `territory` holds.
pub fn overview(dir: &Snapshot, territory: TerritoryIx) -> Overview {
    let Some(row) = dir.territories.get(territory) else {
        return Overview::default();
    };
    let bodies: Vec<_> = row
        .local_bodies
        .iter()
        .map(|&b| &dir.local_bodies[b])
        .filter(|b| b.model.archived_at.is_none())
        .collect();
    let partners: Vec<_> = row
        .partners
        .iter()
        .map(|&p| &dir.partners[p])
        .filter(|p| p.model.archived_at.is_none())
        .collect();
    let projects: Vec<_> = dir
        .projects
        .iter()
        .filter(|p| p.model.archived_at.is_none() && p.territories.contains(&territory))
        .collect();
    let mut themes: Vec<(ThemeIx, usize)> = dir
        .themes
        .indices()
        .map(|i| (i, projects.iter().filter(|p| p.themes.contains(&i)).count()))
        .filter(|&(i, count)| dir.themes[i].model.archived_at.is_none() || count > 0)
        .collect();
    themes.sort_by_key(|&(i, _)| i);
    Overview {
        communes: row.communes.len(),
        colleges: row
            .colleges
            .iter()
            .filter(|&&c| dir.colleges[c].model.archived_at.is_none())
            .count(),
        partners: partners.len(),
        partners_by_kind: count_each(partners.iter().map(|p| p.model.kind)),
        local_bodies: bodies.len(),
        local_bodies_by_kind: count_each(bodies.iter().map(|b| b.model.kind)),
        projects: projects.len(),
        projects_by_status: count_each(projects.iter().map(|p| p.model.status)),
        projects_by_axis: count_each(projects.iter().flat_map(|p| p.axes.iter().copied())),
        projects_by_theme: themes,
        projects_without_active_lead: projects
            .iter()
            .filter(|p| p.lead.is_none_or(|l| !dir.coordinators[l].model.active))
            .count(),
    }
}
