//! Cross-site request forgery: every POST must come from a page of the console itself.
//!
//! Two independent checks. The `Origin` header (or, when a browser sends none, the
//! `Referer`) must be the address users reach — `PUBLIC_URL` when set, else the `Host`
//! the request was sent to; a request carrying neither is refused. And every form
//! carries the session's secret in a hidden field (`csrf`), compared in constant time;
//! the sign-in form, posted before any session exists, carries a secret it was given in
//! a cookie of its own (double submit).

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::ConsoleState;

/// The hidden field holding the form secret.
pub const FIELD: &str = "csrf";

/// The scheme and authority of a URL (`https://host:port`), lower case, without path.
fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty()
        || !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
    {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

/// The origin requests must come from: `PUBLIC_URL`'s, or this request's `Host` (with
/// the scheme the request came in on, plain http behind no proxy).
fn expected_origin(state: &ConsoleState, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = state.public_url.as_deref() {
        return origin_of(url);
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    origin_of(&format!("http://{host}"))
}

/// Whether the request comes from the console's own origin.
pub fn same_origin(state: &ConsoleState, headers: &HeaderMap) -> bool {
    let Some(expected) = expected_origin(state, headers) else {
        return false;
    };
    let sent = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok())
        .and_then(origin_of);
    sent.is_some_and(|sent| sent == expected)
}

/// Whether the form secret `sent` is `expected`, compared in constant time.
pub fn matches(expected: &str, sent: Option<&str>) -> bool {
    let Some(sent) = sent else {
        return false;
    };
    let (a, b) = (expected.as_bytes(), sent.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to a forged or foreign request.
pub fn refused() -> Response {
    super::error_page(
        StatusCode::FORBIDDEN,
        "Requête refusée",
        "Cette action n'a pas été faite : le formulaire ne vient pas de la console, ou il a \
         expiré. Revenez à la page, rechargez-la et recommencez.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_and_authority_only() {
        assert_eq!(
            origin_of("HTTPS://Admin.Example:8443/admin/x?y").as_deref(),
            Some("https://admin.example:8443")
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("https:///x"), None);
    }

    #[test]
    fn form_secrets_must_be_equal_and_present() {
        assert!(matches("abc", Some("abc")));
        assert!(!matches("abc", Some("abd")));
        assert!(!matches("abc", Some("ab")));
        assert!(!matches("abc", None));
        assert!(!matches("", Some("")));
    }
}
