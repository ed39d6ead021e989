//! The console's style sheet, embedded in the binary (no CDN, works offline) and served
//! under a name carrying its hash: browsers may keep it a year, and a new version of the
//! binary with another style sheet is fetched under its new name at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// The style sheet.
pub const STYLESHEET: &str = include_str!("assets/console.css");

/// `console-<12 hex digits of its SHA-256>.css`.
static STYLESHEET_NAME: LazyLock<String> = LazyLock::new(|| {
    let hash = crate::access::hash_token(STYLESHEET);
    format!("console-{}.css", &hash[..12])
});

/// Where pages link the style sheet.
pub fn stylesheet_url() -> String {
    format!("{}/static/{}", super::BASE, STYLESHEET_NAME.as_str())
}

/// `GET /admin/static/{file}`: the style sheet under its current name; anything else is
/// not found.
pub async fn serve(Path(file): Path<String>) -> Response {
    if file != *STYLESHEET_NAME {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        STYLESHEET,
    )
        .into_response()
}
