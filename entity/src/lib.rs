//! The Territoires data model.
//!
//! One module per table (sea-orm entities), the domain enums stored as checked text
//! columns, and the normalisers shared by the API and the roster sync: how a commune
//! name, a phone number or an e-mail address typed by a person becomes the value stored.

pub mod enums;
pub mod normalize;

pub mod api_token;
pub mod audit_log;
pub mod college;
pub mod commune;
pub mod commune_alias;
pub mod commune_postal_code;
pub mod console_session;
pub mod console_sign_in;
pub mod coordinator;
pub mod coordinator_assignment;
pub mod data_change;
pub mod data_version;
pub mod local_body;
pub mod local_body_representative;
pub mod partner;
pub mod partner_expectation;
pub mod project;
pub mod project_link;
pub use project_link::*;
pub mod roster_file;
pub mod sync_run;
pub mod sync_run_problem;
pub mod territory;
pub mod theme;
pub mod transaction;

pub use audit_log::AuditEntity;
pub use enums::*;
