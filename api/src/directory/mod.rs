//! The directory: an immutable in-memory snapshot of everything the public API reads,
//! and the cache that keeps it coherent with the database.
//!
//! Every request is answered from one snapshot, so it never sees half of a roster
//! import. Before answering, the cache checks the database's data version (one tiny
//! statement, shared by concurrent requests) and reloads the snapshot when another
//! process or request has written since: no replica serves stale data.

mod cache;
mod matching;
mod snapshot;

pub use cache::DirectoryCache;
pub use matching::{Match, MatchRank, NameIndex};
pub use snapshot::{
    AssignmentRow, CollegeRow, CommuneLookup, CommuneRow, CoordinatorRow, Snapshot, TerritoryRow,
    ThemeRow,
};
