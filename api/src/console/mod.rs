//! The administration console at `/admin`: French pages rendered by the server (maud),
//! every asset embedded in the binary, no JavaScript needed — it works on an intranet
//! with no internet access.
//!
//! - [`session`]: signing in with an ADMIN token or through the identity provider, sessions kept in the database (idle
//!   expiry 30 min, absolute 12 h), the session cookie;
//! - [`csrf`]: the origin check and the form secret every POST must carry;
//! - [`form`]: request bodies of forms, read within a small bound;
//! - [`upload`]: the roster file form (multipart, form secret first, API limits);
//! - [`assets`]: the style sheet, served under a versioned name with a long cache;
//! - [`layout`]: the page frame (skip link, navigation, sign-out) and French formatting;
//! - [`pages`]: one module per page.
//!
//! Every console response carries `Cache-Control: no-store` (assets excepted), a strict
//! `Content-Security-Policy` and `X-Content-Type-Options: nosniff`. Handlers stay thin:
//! queries live in [`crate::roster_runs`], [`crate::access`] and [`crate::editing::audit`].

pub mod assets;
pub mod csrf;
pub mod form;
pub mod layout;
pub mod pages;
pub mod session;
pub mod upload;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use territoires_sync::SyncConfig;

use crate::directory::DirectoryCache;
use crate::server::AppState;

/// Where the console is mounted.
pub const BASE: &str = "/admin";

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The directory (tokens, territories and their coordinators).
    pub directory: Arc<DirectoryCache>,
    /// The roster sync settings (drop folder, schedule).
    pub sync: Arc<SyncConfig>,
    /// `PUBLIC_URL`: the address users reach, if configured (origin checks, `Secure`).
    pub public_url: Option<Arc<str>>,
    /// Seconds a client has to send a form.
    pub body_timeout_secs: u64,
    /// Largest roster file accepted (`SYNC_MAX_FILE_SIZE`), as for the API's upload.
    pub upload_limit: u64,
    /// The upload slots shared with the API (`MAX_CONCURRENT_UPLOADS`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// The identity provider, when one is configured (the console signs in through it
    /// when it has a console client).
    pub oidc: Option<Arc<crate::oidc::Verifier>>,
}

impl ConsoleState {
    /// The console's share of the server's state.
    pub fn of(app: &AppState) -> Self {
        Self {
            db: app.db.clone(),
            directory: app.directory.clone(),
            sync: app.sync.clone(),
            public_url: app.config.public_url.as_deref().map(Arc::from),
            body_timeout_secs: app.config.body_timeout_secs,
            upload_limit: app.upload_limit,
            uploads: app.uploads.clone(),
            oidc: app.oidc.clone(),
        }
    }

    /// The provider, when the console signs in through it.
    pub fn provider(&self) -> Option<&crate::oidc::Verifier> {
        self.oidc.as_deref().filter(|v| v.console().is_some())
    }

    /// Whether users reach the service over https (the cookies are then `Secure`).
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }
}

/// The console's routes, to be nested under [`BASE`].
pub fn router<S>(state: ConsoleState) -> Router<S> {
    Router::new()
        .route("/", get(pages::dashboard::show))
        .route(
            "/connexion",
            get(pages::sign_in::form).post(pages::sign_in::submit),
        )
        .route("/connexion/oidc", get(pages::provider::start))
        .route("/connexion/oidc/retour", get(pages::provider::callback))
        .route("/deconnexion", post(pages::sign_in::sign_out))
        .route(
            "/deposer",
            get(pages::upload::form).post(pages::upload::submit),
        )
        .route("/deposer/appliquer", post(pages::upload::apply))
        .route("/coordonnateurs", get(pages::coordinators::show))
        .route(
            "/coordonnateurs/modele.xlsx",
            get(pages::coordinators::template),
        )
        .route(
            "/coordonnateurs/export.xlsx",
            get(pages::coordinators::export),
        )
        .route("/historique", get(pages::runs::list))
        .route("/historique/{id}", get(pages::runs::show))
        .route("/historique/{id}/fichier", get(pages::runs::download))
        .route("/historique/{id}/annote", get(pages::runs::annotated))
        .route(
            "/historique/{id}/rapport.txt",
            get(pages::runs::report_text),
        )
        .route(
            "/historique/{id}/rapport.json",
            get(pages::runs::report_json),
        )
        .route("/historique/{id}/forcer", post(pages::runs::force))
        .route(
            "/jetons",
            get(pages::tokens::list).post(pages::tokens::create),
        )
        .route("/jetons/revocation", post(pages::tokens::revoke))
        .route("/journal", get(pages::journal::list))
        .route("/static/{file}", get(assets::serve))
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The policy of every console page: nothing from elsewhere, no frames, forms posted
/// only here, no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; \
     style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// Adds the console's security headers; pages are never cached (they hold personal data
/// and secrets shown once), versioned assets keep the long cache they set.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A plain French error page with `status`.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (status, Html(layout::bare(title, message).into_string())).into_response()
}

async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page introuvable",
        "Cette page n'existe pas dans la console d'administration.",
    )
}

/// A failure while building a page: logged, shown as a French apology without details.
pub fn internal(error: crate::Error) -> Response {
    tracing::error!(error = %error, "console page failed");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur interne",
        "La page n'a pas pu être préparée. Réessayez ; si l'erreur persiste, prévenez \
         l'équipe technique (le détail est dans les journaux du service).",
    )
}
