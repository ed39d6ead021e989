//! GraphiQL, served by the binary with no network: graphiql 4 and React 18 production
//! builds vendored under `api/assets/graphiql/` (versions, licences and hashes in its
//! README), embedded at build time and served under fixed versioned paths with
//! `Cache-Control: immutable`; our own init script (no inline script) opens the example
//! operations of `docs/operations/` as tabs. The page carries a written-out
//! Content-Security-Policy: scripts and connections to this origin only, no framing, and
//! styles from this origin plus the one `<style>` element GraphiQL's dialogs add,
//! allowed by a per-page nonce rather than `'unsafe-inline'`. `GRAPHIQL=off` removes the
//! page and the assets.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::operations::EXAMPLES;

/// The pinned graphiql version (`dist/index.umd.js` and `dist/style.css` of the npm
/// package, served as `graphiql.min.js` and `graphiql.min.css`).
pub const GRAPHIQL_VERSION: &str = "4.1.2";
/// The pinned React and ReactDOM version (their `umd/*.production.min.js`).
pub const REACT_VERSION: &str = "18.3.1";

/// Where the assets are served; every path below it names the version of its file.
pub const ASSETS_PREFIX: &str = "/graphql/assets";

/// One embedded file.
struct Asset {
    /// The path under [`ASSETS_PREFIX`].
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Whether the path changes when the content does (vendored files), so caches may
    /// keep it for a year; our init script is revalidated instead.
    immutable: bool,
}

/// Every asset the page references, in the order it loads them.
const ASSETS: &[Asset] = &[
    Asset {
        path: "graphiql-4.1.2/graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2/graphiql.min.css"),
        immutable: true,
    },
    Asset {
        path: "react-18.3.1/react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/react-18.3.1/react.production.min.js"),
        immutable: true,
    },
    Asset {
        path: "react-dom-18.3.1/react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/react-dom-18.3.1/react-dom.production.min.js"),
        immutable: true,
    },
    Asset {
        path: "graphiql-4.1.2/graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2/graphiql.min.js"),
        immutable: true,
    },
    Asset {
        path: "territoires/init.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/graphiql/init.js"),
        immutable: false,
    },
];

/// The policy of the page, but for the style nonce appended to `style-src`. Fonts are
/// `data:` URLs inside graphiql's stylesheet; `worker-src` is what the editor may use.
const CSP: &str = "default-src 'self'; script-src 'self'; \
                   worker-src 'self' blob:; img-src 'self' data:; font-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   form-action 'self'; object-src 'none'";

/// The GraphiQL page, with a fresh style nonce.
pub fn page() -> Response {
    let nonce = nonce();
    let mut html = String::with_capacity(4096);
    html.push_str(
        "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Territoires — GraphiQL</title>\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <link rel=\"icon\" href=\"data:,\">\n",
    );
    for asset in ASSETS
        .iter()
        .filter(|a| a.content_type.starts_with("text/css"))
    {
        html.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{ASSETS_PREFIX}/{}\">\n",
            asset.path
        ));
    }
    html.push_str(&format!(
        "<style nonce=\"{nonce}\">html, body, #graphiql {{ height: 100%; margin: 0; }}</style>\n"
    ));
    html.push_str("</head>\n");
    html.push_str(&format!("<body data-style-nonce=\"{nonce}\">\n"));
    html.push_str("<div id=\"graphiql\">Chargement…</div>\n");
    // A data block, not a script: the policy does not run it.
    html.push_str("<script type=\"application/json\" id=\"territoires-operations\">");
    html.push_str(&operations_json());
    html.push_str("</script>\n");
    for asset in ASSETS
        .iter()
        .filter(|a| a.content_type.starts_with("text/javascript"))
    {
        html.push_str(&format!(
            "<script src=\"{ASSETS_PREFIX}/{}\"></script>\n",
            asset.path
        ));
    }
    html.push_str("</body>\n</html>\n");
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&format!("{CSP}; style-src 'self' 'nonce-{nonce}'")) {
        headers.insert(HeaderName::from_static("content-security-policy"), policy);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The nonce is new on every load: never reuse the page.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /graphql/assets/{*path}`: an embedded file, or 404.
pub async fn asset(Path(path): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (CONTENT_TYPE, asset.content_type),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response()
}

/// The example GraphiQL opens first: the public directory, which needs no variables.
const FIRST_EXAMPLE: &str = "directory";

/// The examples as a JSON array of `{name, document, variables}`, safe inside a
/// `<script>` data block (`<` is escaped, so no `</script>` can end it).
fn operations_json() -> String {
    let first = EXAMPLES.iter().filter(|e| e.name == FIRST_EXAMPLE);
    let examples: Vec<serde_json::Value> = first
        .chain(EXAMPLES.iter().filter(|e| e.name != FIRST_EXAMPLE))
        .map(|example| {
            serde_json::json!({
                "name": example.name,
                "document": example.document,
                "variables": example.variables,
            })
        })
        .collect();
    serde_json::to_string(&examples)
        .unwrap_or_else(|_| "[]".to_owned())
        .replace('<', "\\u003c")
}

/// 16 random bytes in hex; a constant if the system has no randomness (the page still
/// works, its dialogs' scroll lock style is then merely refused).
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    format!("{:032x}", u128::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_versions_are_those_of_the_paths() {
        for asset in ASSETS.iter().filter(|a| a.immutable) {
            assert!(
                asset.path.contains(GRAPHIQL_VERSION) || asset.path.contains(REACT_VERSION),
                "{}",
                asset.path
            );
        }
    }

    #[test]
    fn the_operations_block_cannot_close_its_script() {
        let json = operations_json();
        assert!(!json.contains('<'));
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(parsed.len(), EXAMPLES.len());
    }
}
