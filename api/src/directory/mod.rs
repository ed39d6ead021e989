//! The directory: an immutable in-memory snapshot of everything the API reads, the
//! domain queries over it, and the cache that keeps it coherent with the database.
//!
//! Every request is answered from one snapshot, so it never sees half of a roster
//! import. Before answering, the cache checks the database's data version (one tiny
//! statement, shared by concurrent requests) and reloads the snapshot when another
//! process or request has written since: no replica serves stale data.

mod cache;
mod ix;
mod local_bodies;
pub mod matcher;
mod matching;
mod order;
pub mod outline;
mod overview;
mod projects;
mod rows;
mod saec;
mod search;
mod snapshot;

pub use cache::DirectoryCache;
pub use ix::{Ix, IxVec};
pub use local_bodies::{LocalBodyQuery, NamedSort, PartnerQuery};
pub use matching::{KeySource, Match, MatchRank, NameIndex};
pub use order::{IdWindow, KeyPart, OrderSpec};
pub use overview::{Overview, overview};
pub use projects::{ProjectQuery, ProjectSort};
pub use rows::Rows;
pub use saec::{CoordinatorFunction, SAEC, Saec};
pub use search::{Hit, HitItem, HitKind, HitKinds, Visibility, search};
pub use snapshot::{
    AssignmentRow, CollegeIx, CollegeRow, CommuneIx, CommuneLookup, CommuneRow, CoordinatorIx,
    CoordinatorRow, LocalBodyIx, LocalBodyRow, PartnerIx, PartnerRow, ProjectIx, ProjectRow,
    Snapshot, TerritoryIx, TerritoryRow, ThemeIx, ThemeRow,
};
