//! `Commune`: a commune of the département.

use async_graphql::{ID, Object};

use super::{College, Territory, ids};
use crate::directory::{CommuneRow, Snapshot};

/// A commune of the département, identified by its official INSEE code.
pub struct Commune<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CommuneRow,
}

impl<'a> Commune<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: usize) -> Option<Self> {
        dir.communes.get(index).map(|row| Self { dir, row })
    }
}

#[Object]
impl<'a> Commune<'a> {
    /// Opaque global ID (see `node`).
    async fn id(&self) -> ID {
        ids::encode("Commune", self.row.id)
    }

    /// Official INSEE code (*code officiel géographique*), e.g. "92004".
    async fn insee_code(&self) -> &str {
        &self.row.insee_code
    }

    /// Official name, e.g. "Asnières-sur-Seine".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// Postal codes, ascending (Meudon has two).
    async fn postal_codes(&self) -> &[String] {
        &self.row.postal_codes
    }

    /// Other names people use for the commune ("Asnières", "Boulogne"), all accepted by
    /// `commune(name:)`.
    async fn aliases(&self) -> &[String] {
        &self.row.aliases
    }

    /// The territory the commune belongs to.
    async fn territory(&self) -> Option<Territory<'a>> {
        Territory::at(self.dir, self.row.territory)
    }

    /// The public collèges of the commune, by name.
    async fn colleges(&self) -> Vec<College<'a>> {
        self.row
            .colleges
            .iter()
            .filter_map(|&i| College::at(self.dir, i))
            .filter(|c| c.row.model.archived_at.is_none())
            .collect()
    }
}
