//! `College`: a public collège.

use async_graphql::{ID, Object};

use super::{Commune, Territory, ids};
use crate::directory::{CollegeRow, Snapshot};

/// A public collège of the département, identified by its UAI code.
pub struct College<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a CollegeRow,
}

impl<'a> College<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: usize) -> Option<Self> {
        dir.colleges.get(index).map(|row| Self { dir, row })
    }
}

#[Object]
impl<'a> College<'a> {
    /// Opaque global ID (see `node`).
    async fn id(&self) -> ID {
        ids::encode("College", self.row.model.id)
    }

    /// UAI code (*unité administrative immatriculée*), e.g. "0920068Z".
    async fn uai(&self) -> &str {
        &self.row.model.uai
    }

    /// Official name, e.g. "Collège Maison-Blanche".
    async fn name(&self) -> &str {
        &self.row.model.name
    }

    /// The commune where the collège stands.
    async fn commune(&self) -> Option<Commune<'a>> {
        Commune::at(self.dir, self.row.commune)
    }

    /// The territory of its commune.
    async fn territory(&self) -> Option<Territory<'a>> {
        let commune = self.dir.communes.get(self.row.commune)?;
        Territory::at(self.dir, commune.territory)
    }
}
