//! The root query fields, one module per area.

mod admin;
mod directory;
mod node;
mod search;
mod viewer;
mod work;

pub use admin::AdminQuery;
pub use directory::DirectoryQuery;
pub use node::NodeQuery;
pub use search::SearchQuery;
pub use viewer::ViewerQuery;
pub use work::WorkQuery;
