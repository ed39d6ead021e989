//! Tableau de bord: the last import whatever its outcome, the next scheduled run, the
//! files waiting in the drop folder, and what needs attention (vacant territories,
//! imports that did not go through in the last 24 hours).

use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use maud::{Markup, html};

use super::html;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, internal};
use crate::roster_runs::{self, RunSummary, WaitingFile};

/// `GET /admin`.
pub async fn show(State(state): State<ConsoleState>, session: Session) -> Response {
    let now = Utc::now();
    let gathered = async {
        let last = roster_runs::last_import(&state.db).await?;
        let failures = roster_runs::failures_since(&state.db, now - Duration::hours(24)).await?;
        let (waiting, waiting_total) = roster_runs::waiting_files(&state.sync).await?;
        let snapshot = state.directory.fresh().await?;
        let vacant: Vec<String> = snapshot
            .territories
            .iter()
            .filter(|t| t.coordinators.is_empty())
            .map(|t| t.name.clone())
            .collect();
        crate::Result::Ok((last, failures, waiting, waiting_total, vacant))
    };
    let (last, failures, waiting, waiting_total, vacant) = match gathered.await {
        Ok(gathered) => gathered,
        Err(error) => return internal(error),
    };
    let next = roster_runs::next_scheduled_run(&state.sync, now);
    let content = html! {
        (alerts(&vacant, &failures))
        div.grid {
            section.card aria-labelledby="dernier-import" {
                h2 #dernier-import { "Dernier import" }
                (last_import(last.as_ref()))
            }
            section.card aria-labelledby="prochain-import" {
                h2 #prochain-import { "Prochain import planifié" }
                @match (state.sync.scheduled, next) {
                    (false, _) => p {
                        "Aucun : ce serveur ne lance pas l'import nocturne (SYNC_SCHEDULE=false). \
                         Les fichiers déposés attendent qu'un autre serveur le lance, ou un \
                         dépôt depuis « Déposer une liste »."
                    },
                    (true, Some(at)) => p { (layout::time(at)) },
                    (true, None) => p { "Aucun : l'expression SYNC_CRON ou le fuseau SYNC_TIMEZONE n'est pas valide." },
                }
                @if state.sync.scheduled {
                    p.muted { "Planification : " code { (state.sync.cron) } " (" (state.sync.timezone) ")." }
                }
            }
        }
        section.card aria-labelledby="depot" {
            h2 #depot { "Fichiers en attente dans le dossier de dépôt" }
            (waiting_files(&waiting, waiting_total, next))
        }
    };
    html(layout::page(
        "Tableau de bord",
        Nav::Dashboard,
        &session,
        content,
    ))
}

fn alerts(vacant: &[String], failures: &[RunSummary]) -> Markup {
    html! {
        @if !vacant.is_empty() || !failures.is_empty() {
            section.card.alert aria-labelledby="alertes" {
                h2 #alertes { "Alertes" }
                ul {
                    @if !vacant.is_empty() {
                        li {
                            "Territoires sans coordonnateur actif : "
                            strong { (vacant.join(", ")) } "."
                        }
                    }
                    @for run in failures {
                        li {
                            "Import n° " (run.id) " du " (layout::time(run.started_at)) " : "
                            (layout::status(run.status)) " — "
                            a href=(format!("{BASE}/historique/{}", run.id)) { "voir le rapport" }
                        }
                    }
                }
            }
        } @else {
            (layout::notice("success", "Aucune alerte : chaque territoire a un coordonnateur actif et aucun import n'a échoué ces dernières 24 heures."))
        }
    }
}

fn last_import(run: Option<&RunSummary>) -> Markup {
    let Some(run) = run else {
        return html! { p { "Aucun import n'a encore eu lieu." } };
    };
    html! {
        dl.facts {
            dt { "Statut" } dd { (layout::status(run.status)) }
            dt { "Début" } dd { (layout::time(run.started_at)) }
            dt { "Fichier" } dd { (run.file_name.as_deref().unwrap_or("—")) }
            dt { "Lancé par" } dd { (run.actor) " (" (entity::Labelled::label(run.trigger)) ")" }
        }
        @if let Some(message) = &run.message {
            p { (message) }
        }
        (counts(run))
        p { a href=(format!("{BASE}/historique/{}", run.id)) { "Voir le rapport de l'import n° " (run.id) } }
    }
}

/// The counts of a run, as a small table: one row per kind of change, so it fits a
/// half-width card (six columns side by side overflowed it).
pub fn counts(run: &RunSummary) -> Markup {
    let rows = [
        ("Ajouts", run.added),
        ("Modifications", run.updated),
        ("Changements de territoire", run.moved),
        ("Désactivations", run.deactivated),
        ("Réactivations", run.reactivated),
        ("Inchangés", run.unchanged),
    ];
    html! {
        table.counts {
            caption { "Changements" }
            thead { tr { th scope="col" { "Changement" } th.num scope="col" { "Nombre" } } }
            tbody {
                @for (label, count) in rows {
                    tr { th scope="row" { (label) } td.num { (layout::number(count)) } }
                }
            }
        }
    }
}

fn waiting_files(
    files: &[WaitingFile],
    total: usize,
    next: Option<chrono::DateTime<Utc>>,
) -> Markup {
    html! {
        @if files.is_empty() {
            p { "Aucun fichier en attente." }
        } @else {
            p {
                "Au prochain import"
                @if let Some(at) = next { " (" (layout::time(at)) ")" }
                ", le fichier complet le plus récent sera importé ; les plus anciens seront \
                 archivés sans être importés."
            }
            table {
                caption { (total) " fichier(s) en attente" }
                thead { tr {
                    th scope="col" { "Fichier" } th scope="col" class="num" { "Taille (octets)" }
                    th scope="col" { "Modifié le" } th scope="col" { "État" }
                } }
                tbody {
                    @for file in files {
                        tr {
                            td { (file.name) }
                            td.num { (layout::number(i64::try_from(file.size).unwrap_or(i64::MAX))) }
                            td { (layout::time_or_dash(file.modified)) }
                            td { @if file.settled { "Prêt" } @else { "En cours de copie (trop récent)" } }
                        }
                    }
                }
            }
            @if total > files.len() {
                p.muted { "Seuls les " (files.len()) " plus récents sont affichés." }
            }
        }
    }
}
