//! Cross-origin access for browser apps: the origins of `CORS_ORIGINS`, checked when the
//! server starts (an entry a browser can never send, such as one with a trailing slash,
//! would otherwise be ignored silently), the request headers of `CORS_ALLOW_HEADERS`
//! (tracing and client headers included by default, or their preflight fails), and
//! `x-request-id` exposed to scripts so a failing request can be quoted to support.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::Error;

/// The request headers allowed by default (`CORS_ALLOW_HEADERS`).
pub const DEFAULT_ALLOW_HEADERS: &str = "content-type,authorization,traceparent,tracestate,\
    baggage,sentry-trace,apollographql-client-name,apollographql-client-version,x-request-id,\
    apollo-require-preflight,x-apollo-operation-name";

/// The allowed origins: any, or a list of exact origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    /// `*`: any origin (no credentials are involved: tokens travel in a header).
    Any,
    /// Exact `scheme://host[:port]` origins.
    List(Vec<HeaderValue>),
}

/// Checks the entries of `CORS_ORIGINS`; `None` when there is none. The message names
/// the entry at fault (read by the administrator, hence French).
pub fn origins(entries: &[String]) -> Result<Option<Origins>, Error> {
    let entries: Vec<&str> = entries
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Ok(None);
    }
    if entries == ["*"] {
        return Ok(Some(Origins::Any));
    }
    let mut list = Vec::with_capacity(entries.len());
    for entry in entries {
        let refused = |why: &str| {
            Error::Config(format!(
                "CORS_ORIGINS : l'entrée « {entry} » n'est pas une origine valide : {why}"
            ))
        };
        if entry == "*" {
            return Err(refused(
                "« * » (toutes les origines) doit être la seule entrée",
            ));
        }
        if entry.eq_ignore_ascii_case("null") {
            return Err(refused(
                "« null » est l'origine des pages locales et des iframes isolées, n'importe quel site peut l'obtenir",
            ));
        }
        if entry.contains('*') {
            return Err(refused(
                "les jokers ne sont pas pris en charge ; listez chaque origine",
            ));
        }
        let Some((scheme, authority)) = entry.split_once("://") else {
            return Err(refused(
                "il manque le schéma (https://…) ; exemple : https://annuaire.example.fr",
            ));
        };
        if scheme != "https" && scheme != "http" {
            return Err(refused("le schéma doit être https ou http"));
        }
        if authority.ends_with('/') {
            return Err(refused(
                "retirez la barre oblique finale (un navigateur envoie l'origine sans elle)",
            ));
        }
        if authority.is_empty()
            || authority.contains(['/', '?', '#', '@', ' '])
            || !authority.is_ascii()
        {
            return Err(refused(
                "une origine n'a ni chemin, ni paramètres, ni identifiants : schéma://hôte[:port]",
            ));
        }
        if let Some((_, port)) = authority.rsplit_once(':')
            && !authority.ends_with(']')
            && port.parse::<u16>().is_err()
        {
            return Err(refused("le port n'est pas un nombre"));
        }
        if authority != authority.to_ascii_lowercase() {
            return Err(refused(
                "écrivez l'hôte en minuscules (un navigateur l'envoie ainsi)",
            ));
        }
        let value = HeaderValue::from_str(entry).map_err(|_| refused("caractère interdit"))?;
        list.push(value);
    }
    Ok(Some(Origins::List(list)))
}

/// Checks the entries of `CORS_ALLOW_HEADERS` (header names, lower-cased).
pub fn allow_headers(entries: &[String]) -> Result<Vec<HeaderName>, Error> {
    entries
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(|entry| {
            HeaderName::from_bytes(entry.to_ascii_lowercase().as_bytes()).map_err(|_| {
                Error::Config(format!(
                    "CORS_ALLOW_HEADERS : « {entry} » n'est pas un nom d'en-tête HTTP valide"
                ))
            })
        })
        .collect()
}

/// The CORS layer; none when no origin is configured. Call [`origins`] and
/// [`allow_headers`] at startup first: here an invalid entry is skipped.
pub fn layer(origin_entries: &[String], header_entries: &[String]) -> Option<CorsLayer> {
    let allow = match origins(origin_entries).ok()?? {
        Origins::Any => AllowOrigin::any(),
        Origins::List(list) => AllowOrigin::list(list),
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(allow_headers(header_entries).unwrap_or_default())
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entries: &[&str]) -> Result<Option<Origins>, Error> {
        origins(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn exact_origins_pass_and_the_rest_is_named() {
        assert_eq!(check(&[]).ok(), Some(None));
        assert_eq!(check(&["*"]).ok(), Some(Some(Origins::Any)));
        assert!(matches!(
            check(&["https://a.example", " http://localhost:5173 "]),
            Ok(Some(Origins::List(list))) if list.len() == 2
        ));
        for bad in [
            "https://a.example/",
            "null",
            "https://*.example.fr",
            "a.example",
            "ftp://a.example",
            "https://a.example/path",
            "https://a.example:port",
            "https://A.example",
        ] {
            let refused = check(&["https://ok.example", bad]);
            assert!(
                matches!(&refused, Err(error) if error.to_string().contains(bad)),
                "{bad}: {refused:?}"
            );
        }
        assert!(check(&["*", "https://a.example"]).is_err());
    }

    #[test]
    fn the_default_headers_are_valid() {
        let entries: Vec<String> = DEFAULT_ALLOW_HEADERS
            .split(',')
            .map(str::to_owned)
            .collect();
        let names = allow_headers(&entries).unwrap_or_default();
        assert!(names.iter().any(|n| n == "traceparent"));
        assert!(allow_headers(&["bad header".to_owned()]).is_err());
    }
}
