//! Signing in with an ADMIN API token (or, first, through the identity provider when
//! the console has a client there: see [`super::provider`]), and signing out.
//!
//! The sign-in form is posted before any session exists, so its form secret is a random
//! value also set in a short-lived cookie of its own (double submit), on top of the
//! origin check every POST passes.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use entity::Role;
use maud::html;
use serde::Deserialize;

use super::html;
use crate::access::authenticate_token;
use crate::console::form::{Form, Posted};
use crate::console::session::{self, Missing, cookie, cookie_value};
use crate::console::{BASE, ConsoleState, csrf, internal, layout};

/// The cookie holding the sign-in form's secret.
const SIGN_IN_COOKIE: &str = "territoires_connexion";
/// The longest token read from the form (tokens are 48 characters).
const MAX_TOKEN_LEN: usize = 200;

/// `?motif=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct Reason {
    motif: Option<String>,
}

/// `GET /admin/connexion`: the sign-in form, with the reason the browser was sent here;
/// an administrator already signed in goes to the dashboard.
pub async fn form(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(reason): Query<Reason>,
) -> Response {
    if session::check(&state, &headers).await.is_ok() {
        return Redirect::to(BASE).into_response();
    }
    let reason = reason.motif.as_deref().and_then(Missing::from_code);
    let (message, kind) = match reason {
        Some(Missing::SignedOut) => (Some(Missing::SignedOut.message()), "success"),
        Some(missing) => (Some(missing.message()), "info"),
        None => (None, "info"),
    };
    render(&state, StatusCode::OK, message.map(|m| (kind, m)))
}

fn render(state: &ConsoleState, status: StatusCode, notice: Option<(&str, &str)>) -> Response {
    let secret = match session::random_secret() {
        Ok(secret) => secret,
        Err(error) => return internal(error),
    };
    let page = layout::bare_with(
        "Connexion à la console",
        html! {
            @if let Some((kind, message)) = notice {
                (layout::notice(kind, message))
            }
            @if state.provider().is_some() {
                div.card {
                    p {
                        "Les administrateurs de Territoires se connectent avec leur compte du "
                        "Département."
                    }
                    a.button href=(format!("{BASE}/connexion/oidc")) {
                        "Se connecter avec le compte du Département"
                    }
                }
                h2 { "Ou avec un jeton d'accès" }
            }
            p {
                "La console d'administration de Territoires s'ouvre avec un jeton d'accès "
                "de rôle ADMIN (créé par « territoires token create --role admin »)."
            }
            form.card method="post" action=(format!("{BASE}/connexion")) {
                (layout::csrf_field(&secret))
                div.field {
                    label for="jeton" { "Jeton d'accès" }
                    span.hint #jeton-aide { "Il commence par « terr_ ». Il n'est pas conservé par le navigateur." }
                    input #jeton type="password" name="token" required autocomplete="off"
                        aria-describedby="jeton-aide" maxlength="200";
                }
                button type="submit" { "Se connecter" }
            }
        },
    );
    let mut response = (status, html(page)).into_response();
    let value = cookie(
        SIGN_IN_COOKIE,
        &secret,
        Duration::hours(1),
        "Strict",
        state.https(),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /admin/connexion`: checks the token with the API's own token check, and opens
/// a session for an ADMIN token.
pub async fn submit(State(state): State<ConsoleState>, request: Request<Body>) -> Response {
    if !csrf::same_origin(&state, request.headers()) {
        return csrf::refused();
    }
    let expected = cookie_value(request.headers(), SIGN_IN_COOKIE).map(str::to_owned);
    let form = match Form::read(request, &state).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if !expected.is_some_and(|expected| csrf::matches(&expected, form.get(csrf::FIELD))) {
        return csrf::refused();
    }
    let token = form.get("token").unwrap_or_default().trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return render(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(("error", "Saisissez un jeton d'accès ADMIN.")),
        );
    }
    let snapshot = match state.directory.fresh().await {
        Ok(snapshot) => snapshot,
        Err(error) => return internal(error.into()),
    };
    let viewer = match authenticate_token(&format!("Bearer {token}"), &snapshot, Utc::now()) {
        Ok(viewer) => viewer,
        Err(_) => {
            return render(
                &state,
                StatusCode::UNAUTHORIZED,
                Some((
                    "error",
                    "Jeton inconnu, révoqué ou expiré : la connexion est refusée.",
                )),
            );
        }
    };
    let Some(author) = viewer
        .token_name
        .filter(|_| viewer.role == Some(Role::Admin))
    else {
        return render(
            &state,
            StatusCode::FORBIDDEN,
            Some((
                "error",
                "Ce jeton n'a pas le rôle ADMIN : seuls les jetons d'administration ouvrent la \
                 console.",
            )),
        );
    };
    let secret = match session::open(&state.db, &author, token).await {
        Ok(secret) => secret,
        Err(error) => return internal(error),
    };
    tracing::info!(token = %author, "console sign-in");
    let mut response = Redirect::to(BASE).into_response();
    let cookies = [
        cookie(
            session::COOKIE,
            &secret,
            session::ABSOLUTE_EXPIRY,
            "Lax",
            state.https(),
        ),
        session::clear_cookie(SIGN_IN_COOKIE, state.https()),
    ];
    for value in cookies {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `POST /admin/deconnexion`: ends the session; a person signed in through the provider
/// is then signed out there too, when the provider has an `end_session_endpoint`.
pub async fn sign_out(State(state): State<ConsoleState>, posted: Posted) -> Response {
    let id_token = match session::close(&state.db, &posted.session).await {
        Ok(id_token) => id_token,
        Err(error) => return internal(error),
    };
    tracing::info!(token = %posted.session.author, "console sign-out");
    let at_provider = id_token.and_then(|token| super::provider::end_session_url(&state, &token));
    let Some(url) = at_provider else {
        return Missing::SignedOut.redirect(&state);
    };
    // Not a redirect: browsers hold a form's whole redirect chain to the page's
    // `form-action 'self'`, so a 303 to the provider would be blocked. A page that moves
    // on by itself (`Refresh`), with a link for browsers that do not, is not a form
    // submission.
    let page = layout::bare_with(
        "Déconnexion",
        html! {
            p { "Votre session est fermée. Vous allez être déconnecté de votre compte du Département." }
            p { a href=(url) { "Terminer la déconnexion auprès du fournisseur d'identité" } }
        },
    );
    let mut response = (StatusCode::OK, html(page)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&session::clear_cookie(session::COOKIE, state.https()))
    {
        headers.append(header::SET_COOKIE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("0;url={url}")) {
        headers.insert(HeaderName::from_static("refresh"), value);
    }
    response
}
