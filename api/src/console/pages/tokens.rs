//! Jetons d'accès: the tokens (never their secrets), creating one (its secret shown
//! once, on the answer to the form) and revoking one. Both writes are audited under the
//! signed-in token's name.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::{Labelled, Role, api_token};
use maud::{Markup, html};

use super::html;
use crate::Error;
use crate::console::form::Posted;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, internal};
use crate::editing::Author;

/// Longest token name accepted.
const MAX_NAME_LEN: usize = 100;
/// Longest validity offered, in days (ten years).
const MAX_DAYS: u32 = 3_650;

/// A name a token may have: not empty, bounded, no control character (which PostgreSQL
/// refuses in text, and no one types).
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME_LEN && !name.chars().any(char::is_control)
}

/// `GET /admin/jetons`.
pub async fn list(State(state): State<ConsoleState>, session: Session) -> Response {
    render(&state, &session, StatusCode::OK, None).await
}

/// What to show above the list after a form.
enum Outcome {
    Created { name: String, secret: String },
    Revoked(String),
    Refused(String),
}

async fn render(
    state: &ConsoleState,
    session: &Session,
    status: StatusCode,
    outcome: Option<Outcome>,
) -> Response {
    let tokens = match crate::access::list_tokens(&state.db).await {
        Ok(tokens) => tokens,
        Err(error) => return internal(error),
    };
    let content = html! {
        @match &outcome {
            Some(Outcome::Created { name, secret }) => {
                div.notice.success role="status" {
                    p { "Le jeton « " (name) " » est créé. Copiez-le maintenant : il ne sera plus jamais affiché." }
                    pre.secret { code { (secret) } }
                }
            }
            Some(Outcome::Revoked(name)) => {
                (layout::notice("success", &format!("Le jeton « {name} » est révoqué : il est refusé dès maintenant.")))
            }
            Some(Outcome::Refused(why)) => (layout::notice("error", why)),
            None => {}
        }
        (token_table(&tokens, session))
        (create_form(session))
    };
    let page = layout::page("Jetons d'accès", Nav::Tokens, session, content);
    (status, html(page)).into_response()
}

fn token_state(token: &api_token::Model) -> &'static str {
    if token.revoked_at.is_some() {
        "Révoqué"
    } else if token.expires_at.is_some_and(|at| at <= Utc::now()) {
        "Expiré"
    } else {
        "Actif"
    }
}

fn token_table(tokens: &[api_token::Model], session: &Session) -> Markup {
    html! {
        @if tokens.is_empty() {
            p { "Aucun jeton." }
        } @else {
            table {
                caption { (tokens.len()) " jeton(s)" }
                thead { tr {
                    th scope="col" { "Nom" } th scope="col" { "Rôle" } th scope="col" { "Créé le" }
                    th scope="col" { "Expire le" } th scope="col" { "État" } th scope="col" { "Action" }
                } }
                tbody {
                    @for token in tokens {
                        tr {
                            td { (token.name) }
                            td { (token.role.code()) }
                            td { (layout::time(token.created_at)) }
                            td { @match token.expires_at { Some(at) => (layout::time(at)), None => "Jamais" } }
                            td { (token_state(token)) @if let Some(at) = token.revoked_at { " le " (layout::time(at)) } }
                            td {
                                @if token.revoked_at.is_none() {
                                    form.inline method="post" action=(format!("{BASE}/jetons/revocation")) {
                                        (layout::csrf_field(&session.csrf))
                                        input type="hidden" name="name" value=(token.name);
                                        button.danger type="submit" aria-label=(format!("Révoquer le jeton {}", token.name)) { "Révoquer" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn create_form(session: &Session) -> Markup {
    html! {
        section.card aria-labelledby="nouveau" {
            h2 #nouveau { "Créer un jeton" }
            form method="post" action=(format!("{BASE}/jetons")) {
                (layout::csrf_field(&session.csrf))
                div.field {
                    label for="nom" { "Nom" }
                    span.hint #nom-aide { "Qui ou quoi le détiendra, par exemple « portail-public » ; unique." }
                    input #nom type="text" name="name" required maxlength=(MAX_NAME_LEN) aria-describedby="nom-aide";
                }
                div.field {
                    label for="role" { "Rôle" }
                    select #role name="role" {
                        @for role in Role::ALL {
                            option value=(role.code()) { (role.code()) " — " (role.label()) }
                        }
                    }
                }
                div.field {
                    label for="jours" { "Validité en jours" }
                    span.hint #jours-aide { "Laisser vide pour un jeton sans expiration." }
                    input #jours type="number" name="days" min="1" max=(MAX_DAYS) aria-describedby="jours-aide";
                }
                button type="submit" { "Créer le jeton" }
            }
        }
    }
}

/// `POST /admin/jetons`: creates a token, audited, and shows its secret once.
pub async fn create(State(state): State<ConsoleState>, posted: Posted) -> Response {
    let Posted { session, form } = posted;
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    let role = Role::ALL
        .iter()
        .copied()
        .find(|r| Some(r.code()) == form.get("role"));
    let days = match form.get("days").map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(days) => days
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .map(Some)
            .ok_or(()),
    };
    let refused = |why: String| Some(Outcome::Refused(why));
    let (role, days) = match (role, days) {
        _ if !valid_name(&name) => {
            let why = format!(
                "Le nom est obligatoire, fait au plus {MAX_NAME_LEN} caractères et ne contient \
                 pas de caractère de contrôle."
            );
            return render(&state, &session, StatusCode::BAD_REQUEST, refused(why)).await;
        }
        (None, _) => {
            let why = "Choisissez le rôle du jeton.".to_owned();
            return render(&state, &session, StatusCode::BAD_REQUEST, refused(why)).await;
        }
        (_, Err(())) => {
            let why = format!("La validité est un nombre de jours entre 1 et {MAX_DAYS}.");
            return render(&state, &session, StatusCode::BAD_REQUEST, refused(why)).await;
        }
        (Some(role), Ok(days)) => (role, days),
    };
    match crate::access::create_token_as(&state.db, &Author::from(&session), &name, role, days)
        .await
    {
        Ok(secret) => {
            tracing::info!(token = %session.author, created = %name, "console: token created");
            let outcome = Some(Outcome::Created { name, secret });
            render(&state, &session, StatusCode::OK, outcome).await
        }
        Err(Error::Conflict(_)) => {
            let why = format!("Un jeton nommé « {name} » existe déjà : choisissez un autre nom.");
            render(&state, &session, StatusCode::CONFLICT, refused(why)).await
        }
        Err(error) => internal(error),
    }
}

/// `POST /admin/jetons/revocation`: revokes a token, audited.
pub async fn revoke(State(state): State<ConsoleState>, posted: Posted) -> Response {
    let Posted { session, form } = posted;
    let name = form.get("name").unwrap_or_default().trim().to_owned();
    if !valid_name(&name) {
        let why = "Aucun jeton ne porte ce nom.".to_owned();
        return render(
            &state,
            &session,
            StatusCode::NOT_FOUND,
            Some(Outcome::Refused(why)),
        )
        .await;
    }
    match crate::access::revoke_token_as(&state.db, &Author::from(&session), &name).await {
        Ok(_) => {
            tracing::info!(token = %session.author, revoked = %name, "console: token revoked");
            render(
                &state,
                &session,
                StatusCode::OK,
                Some(Outcome::Revoked(name)),
            )
            .await
        }
        Err(Error::NotFound(_)) => {
            let why = format!("Aucun jeton ne s'appelle « {name} ».");
            render(
                &state,
                &session,
                StatusCode::NOT_FOUND,
                Some(Outcome::Refused(why)),
            )
            .await
        }
        Err(error) => internal(error),
    }
}
