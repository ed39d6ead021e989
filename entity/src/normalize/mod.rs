//! Normalisers: how what people type becomes what is stored and compared.
//!
//! They are pure functions shared by the API (lookups, search, edits) and the roster
//! sync (spreadsheet cells), so a commune typed in GraphQL and in the HR file match alike.

mod email;
mod phone;
mod text;

pub use email::{EmailError, normalize_email};
pub use phone::{PhoneError, display_phone, normalize_phone};
pub use text::{fold, fold_tokens};
