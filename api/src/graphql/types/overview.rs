//! `TerritoryOverview`: the *état des lieux* of a territory.

use async_graphql::{Object, SimpleObject};
use entity::Labelled;

use super::SyncRun;
use crate::directory::{Overview, Snapshot};

/// One count of a breakdown: the code, its French label, how many.
#[derive(SimpleObject)]
pub struct CountByKey {
    /// Stable code, e.g. "IN_PROGRESS" or a theme code.
    pub key: String,
    /// French label, e.g. "En cours".
    pub label: String,
    /// How many.
    pub count: i32,
}

fn counts<K: Labelled>(list: &[(K, usize)]) -> Vec<CountByKey> {
    list.iter()
        .map(|&(key, count)| CountByKey {
            key: key.code().to_owned(),
            label: key.label().to_owned(),
            count: count_to_i32(count),
        })
        .collect()
}

fn count_to_i32(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// The *état des lieux* of a territory: what it holds, counted. Breakdowns list every
/// value, zeros included, so charts need no client-side completion. Archived items are
/// not counted.
pub struct TerritoryOverview<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) counts: Overview,
}

/// The *état des lieux* of a territory: what it holds, counted. Breakdowns list every
/// value, zeros included, so charts need no client-side completion. Archived items are
/// not counted.
#[Object]
impl TerritoryOverview<'_> {
    /// How many communes the territory covers.
    async fn commune_count(&self) -> i32 {
        count_to_i32(self.counts.communes)
    }

    /// Public collèges.
    async fn college_count(&self) -> i32 {
        count_to_i32(self.counts.colleges)
    }

    /// Partners working in the territory.
    async fn partner_count(&self) -> i32 {
        count_to_i32(self.counts.partners)
    }

    /// Partners by kind, every kind listed (the schemes such as the city policy and the
    /// Département's own professionals included).
    async fn partners_by_kind(&self) -> Vec<CountByKey> {
        counts(&self.counts.partners_by_kind)
    }

    /// Local bodies where the Département sits for the territory.
    async fn local_body_count(&self) -> i32 {
        count_to_i32(self.counts.local_bodies)
    }

    /// Local bodies by kind.
    async fn local_bodies_by_kind(&self) -> Vec<CountByKey> {
        counts(&self.counts.local_bodies_by_kind)
    }

    /// Projects the territory takes part in, whatever their status.
    async fn project_count(&self) -> i32 {
        count_to_i32(self.counts.projects)
    }

    /// Projects by status.
    async fn projects_by_status(&self) -> Vec<CountByKey> {
        counts(&self.counts.projects_by_status)
    }

    /// Projects by strategic axis (a project on two axes counts in both).
    async fn projects_by_axis(&self) -> Vec<CountByKey> {
        counts(&self.counts.projects_by_axis)
    }

    /// Projects by theme (current themes, and archived ones still used).
    async fn projects_by_theme(&self) -> Vec<CountByKey> {
        self.counts
            .projects_by_theme
            .iter()
            .filter_map(|&(theme, count)| {
                let model = &self.dir.themes.get(theme)?.model;
                Some(CountByKey {
                    key: model.code.clone(),
                    label: model.label.clone(),
                    count: count_to_i32(count),
                })
            })
            .collect()
    }

    /// Projects without a lead, or whose lead has left the roster.
    async fn projects_without_active_lead(&self) -> i32 {
        count_to_i32(self.counts.projects_without_active_lead)
    }

    /// The last roster import that was applied (or found nothing to change).
    async fn last_roster_import(&self) -> Option<SyncRun> {
        self.dir.last_roster_import.clone().map(SyncRun::summary)
    }
}
