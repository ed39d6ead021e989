//! `Territory`: one of the seven territories and what belongs to it.

use async_graphql::{ID, Object};

use super::{College, Commune, Coordinator, ids};
use crate::directory::{Snapshot, TerritoryRow};

/// A territory (*territoire*) of the département: its communes, collèges and coordinator.
pub struct Territory<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a TerritoryRow,
}

impl<'a> Territory<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: usize) -> Option<Self> {
        dir.territories.get(index).map(|row| Self { dir, row })
    }
}

#[Object]
impl<'a> Territory<'a> {
    /// Opaque global ID (see `node`).
    async fn id(&self) -> ID {
        ids::encode("Territory", self.row.id)
    }

    /// The territory's number, 1 to 7.
    async fn number(&self) -> i32 {
        self.row.number
    }

    /// Display name, e.g. "Territoire 3".
    async fn name(&self) -> &str {
        &self.row.name
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
        self.row
            .colleges
            .iter()
            .filter_map(|&i| College::at(self.dir, i))
            .filter(|c| c.row.model.archived_at.is_none())
            .collect()
    }

    /// The active coordinators of the territory, the one assigned first first
    /// (several during an interim, none when the post is vacant).
    async fn coordinators(&self) -> Vec<Coordinator<'a>> {
        self.row
            .coordinators
            .iter()
            .filter_map(|&i| Coordinator::at(self.dir, i))
            .collect()
    }

    /// The territory's coordinator: the active one with the earliest current
    /// assignment; null while the post is vacant.
    async fn coordinator(&self) -> Option<Coordinator<'a>> {
        self.row
            .coordinators
            .first()
            .and_then(|&i| Coordinator::at(self.dir, i))
    }
}
