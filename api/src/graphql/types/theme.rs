//! `Theme`: a theme projects are filed under.

use async_graphql::{ID, Object};

use crate::directory::{Snapshot, ThemeIx, ThemeRow};
use crate::graphql::ids;

/// A priority theme (social networks, mental health, fight prevention…), with its French
/// label. The list is extensible by ADMIN tokens.
pub struct Theme<'a> {
    pub(crate) row: &'a ThemeRow,
}

impl<'a> Theme<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: ThemeIx) -> Option<Self> {
        dir.themes.get(index).map(|row| Self { row })
    }
}

/// A priority theme (social networks, mental health, fight prevention…), with its French
/// label. The list is extensible by ADMIN tokens.
#[Object]
impl Theme<'_> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::THEME, self.row.model.id)
    }

    /// Stable code, e.g. "MENTAL_HEALTH" (what `ProjectFilter.theme` takes).
    async fn code(&self) -> &str {
        &self.row.model.code
    }

    /// French label, e.g. "Santé mentale".
    async fn label(&self) -> &str {
        &self.row.model.label
    }

    /// Whether the theme is archived (no longer offered; still shown on its projects).
    async fn archived(&self) -> bool {
        self.row.model.archived_at.is_some()
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.model.version
    }
}
