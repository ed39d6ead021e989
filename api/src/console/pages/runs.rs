//! Historique: every roster import, newest first, 25 a page, filtered by status; and one
//! import's report — its outcome, the changes planned or applied, the communes moved,
//! the territories left vacant and the problems with their row and column — with the
//! downloads of its file when kept, of its text and JSON reports and of the annotated
//! copy (all three made on demand from what the run stored), and for a refused import
//! "Relancer en forçant".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entity::{Labelled, SyncStatus};
use maud::{Markup, html};
use serde::Deserialize;
use territoires_sync::{ANNOTATED_SUFFIX, CompactPlan, StoredPlan};

use super::{html, upload};
use crate::console::form::Posted;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, error_page, internal};
use crate::editing::Author;
use crate::roster_files::{self, Applied};
use crate::roster_runs::{self, RunDetails, RunFilter};

/// Runs a page.
pub const PAGE_SIZE: u64 = 25;

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
    let details = match run_or_404(&state, &id, no_run).await {
        Ok(details) => details,
        Err(answer) => return answer,
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
                dt { "Fichier" } dd {
                    (run.file_name.as_deref().unwrap_or("—"))
                    @if details.file_kept {
                        " — " a href=(format!("{BASE}/historique/{}/fichier", run.id)) { "télécharger le fichier déposé" }
                    }
                }
                dt { "Rapport" } dd {
                    a href=(format!("{BASE}/historique/{}/rapport.txt", run.id)) { "texte" }
                    " — "
                    a href=(format!("{BASE}/historique/{}/rapport.json", run.id)) { "JSON" }
                    @if details.file_kept {
                        " — "
                        a href=(format!("{BASE}/historique/{}/annote", run.id)) { "fichier annoté (Excel)" }
                    }
                }
                dt { "Empreinte SHA-256" } dd { code { (run.file_sha256.as_deref().unwrap_or("—")) } }
                dt { "Lancé par" } dd { (run.actor) " (" (run.trigger.label()) ")" }
                dt { "Début" } dd { (layout::time(run.started_at)) }
                dt { "Fin" } dd { (layout::time_or_dash(run.finished_at)) }
            }
            @if let Some(message) = &run.message { p { (message) } }
        }
        @if run.status == SyncStatus::Refused && details.file_kept {
            (super::upload::force_form(
                &session,
                "Relancer en forçant",
                &format!("{BASE}/historique/{}/forcer", run.id),
                &[],
                state.sync.max_deactivation_ratio,
            ))
        }
        @match &details.plan {
            Some(StoredPlan::Full(plan)) => (super::upload::diff(plan)),
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

/// `GET /admin/historique/{id}/fichier`: the run's file, as kept, under the run's name.
pub async fn download(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let run = match run_or_404(&state, &id, no_file).await {
        Ok(details) => details.run,
        Err(answer) => return answer,
    };
    let Some(sha) = run.file_sha256.as_deref() else {
        return no_file();
    };
    let file = match territoires_sync::kept_file(&state.db, sha).await {
        Ok(Some(file)) => file,
        Ok(None) => return no_file(),
        Err(error) => return internal(error.into()),
    };
    tracing::info!(token = %session.author, run_id = run.id, "console: roster file downloaded");
    let name = run.file_name.unwrap_or(file.file_name);
    super::attachment(&name, file.bytes)
}

/// `GET /admin/historique/{id}/annote`: the annotated copy of the run's file
/// (`….annote.xlsx`), made now from the kept file and the run's report.
pub async fn annotated(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let details = match run_or_404(&state, &id, no_file).await {
        Ok(details) => details,
        Err(answer) => return answer,
    };
    let bytes = match roster_runs::annotated_copy(&state.db, &details, &state.sync).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return no_file(),
        Err(error) => return internal(error),
    };
    tracing::info!(token = %session.author, run_id = details.run.id, "console: annotated copy downloaded");
    super::attachment(&details.download_name(ANNOTATED_SUFFIX), bytes)
}

/// `GET /admin/historique/{id}/rapport.txt`: the run's report as readable French text.
pub async fn report_text(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let details = match run_or_404(&state, &id, no_run).await {
        Ok(details) => details,
        Err(answer) => return answer,
    };
    let text = details.report(state.sync.max_deactivation_ratio).to_text();
    tracing::info!(token = %session.author, run_id = details.run.id, "console: text report downloaded");
    super::attachment(&details.download_name(".rapport.txt"), text.into_bytes())
}

/// `GET /admin/historique/{id}/rapport.json`: the run's report as JSON (times in UTC).
pub async fn report_json(
    State(state): State<ConsoleState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let details = match run_or_404(&state, &id, no_run).await {
        Ok(details) => details,
        Err(answer) => return answer,
    };
    let json = details.report(state.sync.max_deactivation_ratio).to_json();
    tracing::info!(token = %session.author, run_id = details.run.id, "console: JSON report downloaded");
    super::attachment(&details.download_name(".rapport.json"), json.into_bytes())
}

/// Run `id` (as written in the address) in full, or the French 404 `missing` gives when
/// the address names no run.
async fn run_or_404(
    state: &ConsoleState,
    id: &str,
    missing: fn() -> Response,
) -> Result<RunDetails, Response> {
    let Ok(id) = id.trim().parse::<i32>() else {
        return Err(missing());
    };
    match roster_runs::run_details(&state.db, id).await {
        Ok(Some(details)) => Ok(details),
        Ok(None) => Err(missing()),
        Err(error) => Err(internal(error)),
    }
}

fn no_run() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Import introuvable",
        "Aucun import ne porte ce numéro.",
    )
}

fn no_file() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Fichier introuvable",
        "Le fichier de cet import n'est pas conservé (import trop ancien, ou fichier \
         supprimé avec les archives).",
    )
}

/// `POST /admin/historique/{id}/forcer`: imports a refused run's kept file again,
/// forced (the confirmation box ticked), then shows the new run.
pub async fn force(
    State(state): State<ConsoleState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let Posted { session, form } = posted;
    if form.get(upload::CONFIRM_FIELD) != Some("oui") {
        return upload::unconfirmed();
    }
    let not_refused = || {
        error_page(
            StatusCode::NOT_FOUND,
            "Relance impossible",
            "Seul un import refusé dont le fichier est conservé peut être relancé en forçant. \
             Rien n'a été modifié.",
        )
    };
    let Ok(id) = id.parse::<i32>() else {
        return not_refused();
    };
    let details = match roster_runs::run_details(&state.db, id).await {
        Ok(Some(details)) => details,
        Ok(None) => return not_refused(),
        Err(error) => return internal(error),
    };
    let sha = match details.run.file_sha256.as_deref() {
        Some(sha) if details.run.status == SyncStatus::Refused && details.file_kept => sha,
        _ => return not_refused(),
    };
    let Ok(slot) = state.uploads.clone().try_acquire_owned() else {
        return upload::busy();
    };
    let applied = roster_files::apply_kept(
        &state.db,
        &state.sync,
        &Author::from(&session),
        sha,
        None,
        true,
    )
    .await;
    drop(slot);
    match applied {
        Ok(Applied::Run(run_id)) => {
            tracing::info!(token = %session.author, refused = id, run_id, "console: refused import forced");
            Redirect::to(&format!("{BASE}/historique/{run_id}")).into_response()
        }
        Ok(Applied::UnknownFile | Applied::Stale(_) | Applied::Busy(_)) => upload::unknown_file(),
        Err(error) => internal(error),
    }
}
