//! Journal: the audit log, newest first, 25 a page, filtered by kind of object and by
//! author — every write through the API, every roster import's changes, and the
//! console's own actions (sign-in, sign-out, tokens).

use axum::extract::{Query, State};
use axum::response::Response;
use entity::Labelled;
use entity::audit_log::{self, AuditEntity, FieldChange};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::html;
use super::runs::page_number;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, internal};
use crate::editing::audit::{self, AuditQuery};

/// Entries a page.
pub const PAGE_SIZE: u64 = 25;
/// Longest value shown in a change; longer ones are cut with "…".
const MAX_VALUE_CHARS: usize = 200;
/// Longest filter value read from the address.
const MAX_FILTER_LEN: usize = 200;

/// `?objet=&auteur=&page=`.
#[derive(Debug, Deserialize)]
pub struct JournalQuery {
    objet: Option<String>,
    auteur: Option<String>,
    page: Option<String>,
}

/// What people call each kind of object the log names; a kind this version does not
/// know (a row from a newer version) shows as stored.
pub fn kind_label(kind: &str) -> &str {
    AuditEntity::from_stored(kind).map_or(kind, |known| known.label())
}

/// A filter from the address; empty, overlong or control-character values (which no
/// name holds, and PostgreSQL refuses in text) filter nothing.
fn filter(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= MAX_FILTER_LEN && !v.chars().any(char::is_control))
}

/// `GET /admin/journal`.
pub async fn list(
    State(state): State<ConsoleState>,
    session: Session,
    Query(query): Query<JournalQuery>,
) -> Response {
    let page = page_number(query.page.as_deref());
    let audit_query = AuditQuery {
        entity: filter(query.objet),
        actor: filter(query.auteur),
        ..AuditQuery::default()
    };
    let gathered = async {
        let (entries, total) = audit_query
            .numbered_page(&state.db, page, PAGE_SIZE)
            .await?;
        let kinds = audit::kinds(&state.db).await?;
        let authors = audit::authors(&state.db).await?;
        crate::Result::Ok((entries, total, kinds, authors))
    };
    let (entries, total, kinds, authors) = match gathered.await {
        Ok(gathered) => gathered,
        Err(error) => return internal(error),
    };
    let pages = layout::page_count(total, PAGE_SIZE);
    let link = |n: u64| {
        let mut href = format!("{BASE}/journal?page={n}");
        if let Some(kind) = &audit_query.entity {
            href.push_str(&format!("&objet={}", layout::query_value(kind)));
        }
        if let Some(actor) = &audit_query.actor {
            href.push_str(&format!("&auteur={}", layout::query_value(actor)));
        }
        href
    };
    let content = html! {
        form.card.filters method="get" action=(format!("{BASE}/journal")) {
            div.field {
                label for="objet" { "Type d'objet" }
                select #objet name="objet" {
                    option value="" { "Tous les objets" }
                    @for kind in &kinds {
                        option value=(kind) selected[audit_query.entity.as_ref() == Some(kind)] { (kind_label(kind)) }
                    }
                }
            }
            div.field {
                label for="auteur" { "Auteur" }
                select #auteur name="auteur" {
                    option value="" { "Tous les auteurs" }
                    @for author in &authors {
                        option value=(author) selected[audit_query.actor.as_ref() == Some(author)] { (author) }
                    }
                }
            }
            button type="submit" { "Filtrer" }
        }
        @if entries.is_empty() {
            p { "Aucune entrée." }
        } @else {
            table {
                caption { (layout::number(i64::try_from(total).unwrap_or(i64::MAX))) " entrée(s)" }
                thead { tr {
                    th scope="col" { "Date" } th scope="col" { "Auteur" } th scope="col" { "Objet" }
                    th scope="col" { "Action" } th scope="col" { "Changements" }
                } }
                tbody {
                    @for entry in &entries { (row(entry)) }
                }
            }
        }
        (layout::pager(page, pages, link))
    };
    html(layout::page("Journal", Nav::Journal, &session, content))
}

fn row(entry: &audit_log::Model) -> Markup {
    let changes: Vec<FieldChange> = serde_json::from_str(&entry.changes).unwrap_or_default();
    html! {
        tr {
            td { (layout::time(entry.at)) }
            td { (entry.actor) }
            td { (kind_label(&entry.entity)) " n° " (entry.entity_id) }
            td { (entry.action.label()) }
            td {
                @if changes.is_empty() { "—" }
                @for change in &changes {
                    code { (change.field) } " : " (value(&change.before)) " → " (value(&change.after)) br;
                }
            }
        }
    }
}

fn value(value: &Value) -> String {
    let text = match value {
        Value::Null => "(vide)".to_owned(),
        // Moments are stored as RFC 3339 UTC (machine format); people read Paris time.
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(at) => territoires_sync::local_time(at.with_timezone(&chrono::Utc)),
            Err(_) => s.clone(),
        },
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_CHARS {
        let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::value;
    use serde_json::Value;

    #[test]
    fn moments_read_in_paris_time_and_other_values_as_stored() {
        let at = Value::String("2026-12-03T18:16:55.016232186+00:00".to_owned());
        assert_eq!(value(&at), "03/12/2026 19:16:55 +01:00");
        let summer = Value::String("2026-07-01T10:00:00Z".to_owned());
        assert_eq!(value(&summer), "01/07/2026 12:00:00 +02:00");
        assert_eq!(value(&Value::String("EDITOR".to_owned())), "EDITOR");
        assert_eq!(value(&Value::String("2026-12-03".to_owned())), "2026-12-03");
        assert_eq!(value(&Value::Null), "(vide)");
    }
}
