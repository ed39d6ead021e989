//! Historique: every roster import, newest first, 25 a page, filtered by status; and one
//! import's report — its outcome, the changes planned or applied, the communes moved,
//! the territories left vacant and the problems with their row and column.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use entity::{Labelled, SyncStatus};
use maud::{Markup, html};
use serde::Deserialize;
use territoires_sync::{CompactPlan, Plan, StoredPlan};

use super::html;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, error_page, internal};
use crate::roster_runs::{self, RunFilter};

/// Runs a page.
pub const PAGE_SIZE: u64 = 25;
/// Most changes listed on a run's page; the rest are counted.
const MAX_CHANGES_SHOWN: usize = 2_000;

/// `?statut=&page=`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    statut: Option<String>,
    page: Option<String>,
}

/// A page number from the address: 1 when absent or not a positive number.
pub fn page_number(page: Option<&str>) -> u64 {
    page.and_then(|p| p.trim().parse::<u64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1)
}

/// `GET /admin/historique`.
pub async fn list(
    State(state): State<ConsoleState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Response {
    let status = query
        .statut
        .as_deref()
        .and_then(|code| SyncStatus::ALL.iter().copied().find(|s| s.code() == code));
    let page = page_number(query.page.as_deref());
    let (runs, total) = match (RunFilter { status })
        .page(&state.db, page, PAGE_SIZE)
        .await
    {
        Ok(found) => found,
        Err(error) => return internal(error),
    };
    let pages = layout::page_count(total, PAGE_SIZE);
    let link = |n: u64| match status {
        Some(s) => format!("{BASE}/historique?statut={}&page={n}", s.code()),
        None => format!("{BASE}/historique?page={n}"),
    };
    let content = html! {
        form.card.filters method="get" action=(format!("{BASE}/historique")) {
            div.field {
                label for="statut" { "Statut" }
                select #statut name="statut" {
                    option value="" { "Tous les statuts" }
                    @for s in SyncStatus::ALL {
                        option value=(s.code()) selected[status == Some(*s)] { (s.label()) }
                    }
                }
            }
            button type="submit" { "Filtrer" }
        }
        @if runs.is_empty() {
            p { "Aucun import" @if status.is_some() { " avec ce statut" } "." }
        } @else {
            table {
                caption { (layout::number(i64::try_from(total).unwrap_or(i64::MAX))) " import(s)" }
                thead { tr {
                    th scope="col" { "N°" } th scope="col" { "Début" } th scope="col" { "Statut" }
                    th scope="col" { "Fichier" } th scope="col" { "Lancé par" }
                    th scope="col" class="num" { "Ajouts" } th scope="col" class="num" { "Modif." }
                    th scope="col" class="num" { "Désact." }
                } }
                tbody {
                    @for run in &runs {
                        tr {
                            td { a href=(format!("{BASE}/historique/{}", run.id)) { "Import n° " (run.id) } }
                            td { (layout::time(run.started_at)) }
                            td {
                                (layout::status(run.status))
                                @if run.dry_run { " " span.muted { "(essai à blanc)" } }
                                @if run.forced { " " span.muted { "(forcé)" } }
                            }
                            td { (run.file_name.as_deref().unwrap_or("—")) }
                            td { (run.actor) " (" (run.trigger.label()) ")" }
                            td.num { (layout::number(run.added)) }
                            td.num { (layout::number(run.updated)) }
                            td.num { (layout::number(run.deactivated)) }
                        }
                    }
                }
            }
        }
        (layout::pager(page, pages, link))
    };
    html(layout::page(
        "Historique des imports",
        Nav::Runs,
        &session,
        content,
    ))
}

/// `GET /admin/historique/{id}`.
pub async fn show(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let missing = || {
        error_page(
            StatusCode::NOT_FOUND,
            "Import introuvable",
            "Aucun import ne porte ce numéro.",
        )
    };
    let Ok(id) = id.parse::<i32>() else {
        return missing();
    };
    let details = match roster_runs::run_details(&state.db, id).await {
        Ok(Some(details)) => details,
        Ok(None) => return missing(),
        Err(error) => return internal(error),
    };
    let run = &details.run;
    let content = html! {
        p { a href=(format!("{BASE}/historique")) { "← Retour à l'historique" } }
        section.card aria-labelledby="resultat" {
            h2 #resultat { "Résultat" }
            dl.facts {
                dt { "Statut" } dd {
                    (layout::status(run.status))
                    @if run.dry_run { " — essai à blanc (rien n'a été modifié)" }
                    @if run.forced { " — forcé" }
                }
                dt { "Fichier" } dd { (run.file_name.as_deref().unwrap_or("—")) }
                dt { "Empreinte SHA-256" } dd { code { (run.file_sha256.as_deref().unwrap_or("—")) } }
                dt { "Lancé par" } dd { (run.actor) " (" (run.trigger.label()) ")" }
                dt { "Début" } dd { (layout::time(run.started_at)) }
                dt { "Fin" } dd { (layout::time_or_dash(run.finished_at)) }
            }
            @if let Some(message) = &run.message { p { (message) } }
        }
        @match &details.plan {
            Some(StoredPlan::Full(plan)) => (plan_sections(plan)),
            Some(StoredPlan::Compact(plan)) => (compact_sections(plan)),
            None => {},
        }
        section.card aria-labelledby="problemes" {
            h2 #problemes { "Problèmes (" (details.problems.len()) ")" }
            @if details.problems.is_empty() {
                p { "Aucun problème relevé dans le fichier." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Gravité" } th scope="col" class="num" { "Ligne" }
                        th scope="col" { "Colonne" } th scope="col" { "Code" } th scope="col" { "Message" }
                    } }
                    tbody {
                        @for problem in &details.problems {
                            tr {
                                td { (problem.severity.label()) }
                                td.num { (problem.row_number.map_or_else(|| "—".to_owned(), |r| r.to_string())) }
                                td { (problem.column_name.as_deref().unwrap_or("—")) }
                                td { code { (problem.code) } }
                                td { (problem.message) }
                            }
                        }
                    }
                }
            }
        }
    };
    html(layout::page(
        &format!("Import n° {}", run.id),
        Nav::Runs,
        &session,
        content,
    ))
}

fn territories(list: &[i32]) -> String {
    if list.is_empty() {
        "—".to_owned()
    } else {
        list.iter()
            .map(|t| format!("T{t}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An applied run's plan: counts and changed fields; each change with its values is in
/// the journal.
fn compact_sections(plan: &CompactPlan) -> Markup {
    html! {
        @if !plan.vacated_territories.is_empty() {
            section.card.alert aria-labelledby="vacants" {
                h2 #vacants { "Territoires laissés sans coordonnateur" }
                ul { @for t in &plan.vacated_territories { li { (t.name) } } }
            }
        }
        section.card aria-labelledby="changements" {
            h2 #changements { "Changements (" (plan.people) ")" }
            @if plan.people == 0 {
                p { "Aucun changement de personne." }
            } @else {
                dl.facts {
                    dt { "Ajouts" } dd { (plan.counts.added) }
                    dt { "Modifications" } dd { (plan.counts.updated) }
                    dt { "Changements de territoire" } dd { (plan.counts.moved) }
                    dt { "Désactivations" } dd { (plan.counts.deactivated) }
                    dt { "Réactivations" } dd { (plan.counts.reactivated) }
                    dt { "Sans changement" } dd { (plan.counts.unchanged) }
                }
                @if !plan.fields.is_empty() {
                    table {
                        thead { tr {
                            th scope="col" { "Champ modifié" } th scope="col" class="num" { "Personnes" }
                        } }
                        tbody {
                            @for f in &plan.fields {
                                tr { td { (f.field.label()) } td.num { (f.people) } }
                            }
                        }
                    }
                }
                p.muted {
                    "Détail dans le "
                    a href=(format!("{BASE}/journal")) { "journal" }
                    " : chaque modification y figure avec ses valeurs avant et après."
                }
            }
            @if plan.counts.communes_moved > 0 {
                p { (plan.counts.communes_moved) " commune(s) ont changé de territoire." }
            }
        }
    }
}

fn plan_sections(plan: &Plan) -> Markup {
    html! {
        @if !plan.vacated_territories.is_empty() {
            section.card.alert aria-labelledby="vacants" {
                h2 #vacants { "Territoires laissés sans coordonnateur" }
                ul { @for t in &plan.vacated_territories { li { (t.name) } } }
            }
        }
        section.card aria-labelledby="changements" {
            h2 #changements { "Changements (" (plan.changes.len()) ")" }
            @if plan.changes.is_empty() {
                p { "Aucun changement de personne." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Action" } th scope="col" { "Personne" }
                        th scope="col" { "Territoire" } th scope="col" { "Ligne" } th scope="col" { "Détail" }
                    } }
                    tbody {
                        @for change in plan.changes.iter().take(MAX_CHANGES_SHOWN) {
                            tr {
                                td { (change.kind.label()) }
                                td { (change.last_name) " " (change.first_name) }
                                td {
                                    @if change.territories_changed() && !change.territories_before.is_empty() {
                                        (territories(&change.territories_before)) " → "
                                    }
                                    (territories(&change.territories_after))
                                }
                                td { (change.rows.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")) }
                                td {
                                    @for field in &change.fields {
                                        (field.field.label()) " : " (field.before.as_deref().unwrap_or("(vide)"))
                                        " → " (field.after.as_deref().unwrap_or("(vide)")) br;
                                    }
                                }
                            }
                        }
                    }
                }
                @if plan.changes.len() > MAX_CHANGES_SHOWN {
                    p.muted { "Seuls les " (MAX_CHANGES_SHOWN) " premiers changements sont affichés." }
                }
            }
            @if !plan.commune_moves.is_empty() {
                h2 { "Communes changeant de territoire" }
                ul {
                    @for m in &plan.commune_moves {
                        li { (m.name) " : Territoire " (m.from_territory) " → Territoire " (m.to_territory) " (ligne " (m.row) ")" }
                    }
                }
            }
        }
    }
}
