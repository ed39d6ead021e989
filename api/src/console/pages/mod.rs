//! The console's pages, one module each; handlers read their query through the domain
//! functions and render with [`super::layout`].

pub mod dashboard;
pub mod journal;
pub mod runs;
pub mod sign_in;
pub mod tokens;

use axum::response::{Html, IntoResponse, Response};
use maud::Markup;

/// An HTML page answer.
pub fn html(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}
