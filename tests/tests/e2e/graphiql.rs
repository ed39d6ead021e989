//! GraphiQL served by the binary: the page's security headers, every asset it references
//! served from this origin with its type and the hash its README pins, nothing fetched
//! from another host, and `GRAPHIQL=off` removing page and assets.

use territoires::config::Switch;
use territoires_tests::{TestApp, TestDb, spawn_app, spawn_app_with};

const README: &str = include_str!("../../../api/assets/graphiql/README.md");

async fn page(app: &TestApp) -> reqwest::Response {
    app.client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The values of `attribute="…"` in `html`.
fn attributes<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// `(served path, sha256)` of each row of the README's table.
fn pinned() -> Vec<(String, String)> {
    README
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_owned(),
                cells[5].trim_matches('`').to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_page_has_a_written_out_policy() {
    let app = spawn_app().await;
    let response = page(&app).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let csp = header(&response, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{directive} missing from {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    // The style nonce is the page's, and new on every load.
    let html = response.text().await.unwrap();
    let nonce = attributes(&html, "data-style-nonce")[0].to_owned();
    assert_eq!(nonce.len(), 32);
    assert!(
        csp.contains(&format!("style-src 'self' 'nonce-{nonce}'")),
        "{csp}"
    );
    let again = page(&app).await.text().await.unwrap();
    assert_ne!(attributes(&again, "data-style-nonce")[0], nonce);
    // No inline script: every <script> is a data block or has a src.
    for (at, _) in html.match_indices("<script") {
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        assert!(
            tag.contains(" src=\"") || tag.contains("type=\"application/json\""),
            "inline script: {tag}"
        );
    }
    // The example operations ride along, for the tabs.
    assert!(html.contains("query Directory"), "{html}");
}

#[tokio::test]
async fn every_asset_is_served_with_its_type_and_pinned_hash() {
    let app = spawn_app().await;
    let html = page(&app).await.text().await.unwrap();
    let mut referenced: Vec<&str> = attributes(&html, "src");
    // The empty icon is inline (`data:`), so the browser asks for no /favicon.ico.
    referenced.extend(
        attributes(&html, "href")
            .into_iter()
            .filter(|h| *h != "data:,"),
    );
    let pinned = pinned();
    assert_eq!(pinned.len(), 4, "the README's table");
    assert_eq!(
        referenced.len(),
        pinned.len() + 1,
        "{referenced:?}: the vendored files and init.js"
    );
    let mut init = None;
    for path in &referenced {
        let relative = path
            .strip_prefix("/graphql/assets/")
            .unwrap_or_else(|| panic!("{path} is not one of ours"));
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let expected_type = if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(header(&response, "content-type"), expected_type, "{path}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        let cache = header(&response, "cache-control");
        let body = response.bytes().await.unwrap();
        match pinned.iter().find(|(served, _)| served == relative) {
            Some((_, hash)) => {
                assert_eq!(
                    &territoires_sync::sha256_hex(&body),
                    hash,
                    "{path} differs from the README"
                );
                assert_eq!(cache, "public, max-age=31536000, immutable", "{path}");
            }
            None => {
                assert_eq!(relative, "territoires/init.js");
                assert_eq!(cache, "no-cache");
                init = Some(String::from_utf8(body.to_vec()).unwrap());
            }
        }
    }
    for (served, _) in &pinned {
        assert!(
            referenced.iter().any(|r| r.ends_with(served.as_str())),
            "{served} unused"
        );
    }
    // Nothing of the page or of our script reaches another host.
    let init = init.expect("the page loads init.js");
    for text in [html.as_str(), init.as_str()] {
        assert!(
            !text.contains("http://") && !text.contains("https://") && !text.contains("//unpkg")
        );
    }
    let missing = app
        .get("/graphql/assets/graphiql-4.1.2/../../healthz")
        .await;
    assert_eq!(missing.0, 404);
    let missing = app
        .get("/graphql/assets/graphiql-4.0.0/graphiql.min.js")
        .await;
    assert_eq!(missing.0, 404);
}

#[tokio::test]
async fn graphiql_off_serves_neither_page_nor_assets() {
    let app = spawn_app_with(TestDb::new().await, |config| config.graphiql = Switch::Off).await;
    assert_eq!(page(&app).await.status().as_u16(), 404);
    for (served, _) in pinned() {
        let (status, _) = app.get(&format!("/graphql/assets/{served}")).await;
        assert_eq!(status, 404, "{served}");
    }
    assert_eq!(app.get("/graphql/assets/territoires/init.js").await.0, 404);
    // The API itself is untouched.
    let data = app.data("{ territories { number } }").await;
    assert_eq!(data["territories"].as_array().map(Vec::len), Some(7));
}
