//! The forgiving commune matcher: what a resident types ("nantere", "92 130",
//! "st cloud 92210", "villedavray", "Clichy-la-Garenne") to a ranked list of French
//! communes, the Hauts-de-Seine ones first on ties, with a reason a frontend can show.
//!
//! Names are folded (case, accents, punctuation, "St") then glued (spaces dropped), so
//! glued and split words match alike. Exact and prefix matches come from a sorted key
//! list; typos from a deletion-neighbourhood (symmetric-delete) index built once: no
//! lookup scans the 35,000 names.

mod distance;
mod france;
mod index;
mod lookup;
mod message;
mod query;

pub use france::{France, OtherRow, france};
pub use index::{Index, Key};
pub use lookup::{Candidate, MatchedOn, Outcome, Quality, Reason, Target, lookup};
pub use query::glue;
