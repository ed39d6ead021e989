//! `LocalBody`: a local body where the Département is represented.

use crate::graphql::types::DateTime;
use async_graphql::{Context, ID, Object};
use entity::{Labelled, LocalBodyKind};

use super::{College, Commune, Coordinator, Territory};
use crate::directory::{LocalBodyIx, LocalBodyRow, Snapshot};
use crate::graphql::ids;

/// A local body (*instance locale*: CLSPD, CESC, steering committee…) where a coordinator
/// represents the Département.
pub struct LocalBody<'a> {
    pub(crate) dir: &'a Snapshot,
    pub(crate) row: &'a LocalBodyRow,
}

impl<'a> LocalBody<'a> {
    pub(crate) fn at(dir: &'a Snapshot, index: LocalBodyIx) -> Option<Self> {
        dir.local_bodies.get(index).map(|row| Self { dir, row })
    }

    /// The local bodies at `positions` that are not archived.
    pub(crate) fn visible(dir: &'a Snapshot, positions: &[LocalBodyIx]) -> Vec<Self> {
        positions
            .iter()
            .filter_map(|&i| Self::at(dir, i))
            .filter(|b| b.row.model.archived_at.is_none())
            .collect()
    }
}

/// A local body (*instance locale*: CLSPD, CESC, steering committee…) where a coordinator
/// represents the Département.
#[Object]
impl<'a> LocalBody<'a> {
    /// Opaque global ID (see `node`).
    pub(crate) async fn id(&self) -> ID {
        ids::encode(ids::LOCAL_BODY, self.row.model.id)
    }

    /// The kind of body.
    async fn kind(&self) -> LocalBodyKind {
        self.row.model.kind
    }

    /// The kind in French, e.g. "Comité de pilotage".
    async fn kind_label(&self) -> &'static str {
        self.row.model.kind.label()
    }

    /// Name, e.g. "CLSPD de Nanterre".
    async fn name(&self) -> &str {
        &self.row.model.name
    }

    /// Purpose, rhythm of meetings.
    async fn description(&self) -> Option<&str> {
        self.row.model.description.as_deref()
    }

    /// The territory it belongs to.
    async fn territory(&self) -> Option<Territory<'a>> {
        Territory::at(self.dir, self.row.territory)
    }

    /// The commune it belongs to, if any.
    async fn commune(&self) -> Option<Commune<'a>> {
        self.row.commune.and_then(|c| Commune::at(self.dir, c))
    }

    /// The collège it belongs to (a CESC), if any.
    async fn college(&self) -> Option<College<'a>> {
        self.row.college.and_then(|c| College::at(self.dir, c))
    }

    /// The coordinators representing the Département in it, by name. Public callers
    /// see only those still on the roster; EDITOR callers see departed ones too.
    async fn representatives(&self, ctx: &Context<'_>) -> Vec<Coordinator<'a>> {
        self.row
            .representatives
            .iter()
            .filter_map(|&c| Coordinator::seen_by(ctx, self.dir, c))
            .collect()
    }

    /// Whether the body is archived (no longer listed; still readable with a token).
    async fn archived(&self) -> bool {
        self.row.model.archived_at.is_some()
    }

    /// When it was archived.
    async fn archived_at(&self) -> Option<DateTime> {
        self.row.model.archived_at.map(DateTime::from)
    }

    /// Creation time.
    async fn created_at(&self) -> DateTime {
        self.row.model.created_at.into()
    }

    /// Last change.
    async fn updated_at(&self) -> DateTime {
        self.row.model.updated_at.into()
    }

    /// Incremented on every change; send it back as `expectedVersion` when updating.
    async fn version(&self) -> i32 {
        self.row.model.version
    }
}
