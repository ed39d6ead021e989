//! The GraphQL object types. Each wraps a row of the request's snapshot (borrowed for
//! the request's lifetime) and resolves relations through the snapshot's positions.

mod audit;
mod author;
mod college;
mod commune;
mod commune_lookup;
mod coordinator;
mod local_body;
mod node;
mod overview;
mod partner;
mod project;
mod saec;
mod scalars;
mod sync_run;
mod territory;
mod theme;
mod vocabulary;

pub use audit::{AuditChange, AuditEntityKind, AuditEntry};
pub use author::{Author, AuthorKind};
pub use college::College;
pub use commune::Commune;
pub use commune_lookup::{
    AnyCommune, CommuneCandidate, CommuneLookupReason, CommuneLookupResult, CommuneMatchedOn,
    OtherCommune,
};
pub use coordinator::{Assignment, Coordinator};
pub use local_body::LocalBody;
pub use node::{Node, SearchHit};
pub use overview::{CountByKey, TerritoryOverview};
pub use partner::{Partner, PartnerExpectation};
pub use project::Project;
pub use saec::{Saec, SaecCoordinatorFunction};
pub use scalars::{Date, DateTime, GeoJson, Json};
pub use sync_run::{ProblemsLoader, SyncProblem, SyncRun};
pub use territory::Territory;
pub use theme::Theme;
pub use vocabulary::Vocabulary;
