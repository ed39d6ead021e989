//! Coordonnateurs: the current roster by territory — who covers each one, since when,
//! how to reach them — with each territory's assignment history, and the downloads of
//! the template and of the export of the current roster (the same spreadsheets as
//! `territoires roster template|export`).

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use maud::html;

use super::{attachment, html};
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::{BASE, ConsoleState, internal};
use crate::roster_files::{self, Period, TerritoryRoster, french_phone};

/// `GET /admin/coordonnateurs`.
pub async fn show(State(state): State<ConsoleState>, session: Session) -> Response {
    let roster = match roster_files::roster_by_territory(&state.db).await {
        Ok(roster) => roster,
        Err(error) => return internal(error),
    };
    let people: usize = roster.iter().map(|t| t.current.len()).sum();
    let vacant = roster.iter().filter(|t| t.current.is_empty()).count();
    let content = html! {
        section.card aria-labelledby="telechargements" {
            h2 #telechargements { "Téléchargements" }
            ul {
                li {
                    a href=(format!("{BASE}/coordonnateurs/modele.xlsx")) { "Télécharger le modèle (.xlsx)" }
                    " — les colonnes attendues, une ligne d'exemple et la liste des territoires."
                }
                li {
                    a href=(format!("{BASE}/coordonnateurs/export.xlsx")) { "Exporter la liste actuelle (.xlsx)" }
                    " — au format du modèle : importer cet export ne change rien."
                }
            }
        }
        p {
            (people) " affectation(s) en cours sur " (roster.len()) " territoire(s)"
            @if vacant > 0 { ", dont " strong { (vacant) " sans coordonnateur" } }
            "."
        }
        @for territory in &roster { (territory_section(territory)) }
    };
    html(layout::page(
        "Coordonnateurs",
        Nav::Coordinators,
        &session,
        content,
    ))
}

fn anchor(territory: &TerritoryRoster) -> String {
    format!("territoire-{}", territory.territory.number)
}

fn person(period: &Period) -> String {
    format!(
        "{} {}",
        period.coordinator.last_name, period.coordinator.first_name
    )
}

fn territory_section(territory: &TerritoryRoster) -> maud::Markup {
    let id = anchor(territory);
    html! {
        section.card.alert[territory.current.is_empty()] aria-labelledby=(id) {
            h2 #(id) { (territory.territory.name) }
            @if territory.current.is_empty() {
                p { strong { "Aucun coordonnateur actif : territoire vacant." } }
            } @else {
                table {
                    caption { "Coordonnateurs actuels" }
                    thead { tr {
                        th scope="col" { "Nom" } th scope="col" { "Fonction" }
                        th scope="col" { "Courriel" } th scope="col" { "Téléphone" }
                        th scope="col" { "Depuis le" }
                    } }
                    tbody {
                        @for period in &territory.current {
                            @let c = &period.coordinator;
                            tr {
                                td { (person(period)) }
                                td { (c.title.as_deref().unwrap_or("—")) }
                                td { @match &c.email { Some(email) => a href=(format!("mailto:{email}")) { (email) }, None => "—" } }
                                td {
                                    @let phones: Vec<String> = [c.phone.as_deref(), c.landline.as_deref()].into_iter().flatten().map(french_phone).collect();
                                    @if phones.is_empty() { "—" } @else { (phones.join(" / ")) }
                                }
                                td { (layout::time(period.started_at)) }
                            }
                        }
                    }
                }
            }
            @if territory.history.is_empty() {
                p.muted { "Aucune affectation passée." }
            } @else {
                details {
                    summary { "Historique des affectations (" (territory.history.len() + territory.older) ")" }
                    table {
                        thead { tr {
                            th scope="col" { "Nom" } th scope="col" { "Du" } th scope="col" { "Au" }
                        } }
                        tbody {
                            @for period in &territory.history {
                                tr {
                                    td {
                                        (person(period))
                                        @if !period.coordinator.active { " " span.muted { "(a quitté la liste)" } }
                                    }
                                    td { (layout::time(period.started_at)) }
                                    td { (layout::time_or_dash(period.ended_at)) }
                                }
                            }
                        }
                    }
                    @if territory.older > 0 {
                        p.muted { (territory.older) " affectation(s) plus ancienne(s) non affichée(s)." }
                    }
                }
            }
        }
    }
}

/// `GET /admin/coordonnateurs/modele.xlsx`: the template (`roster template`).
pub async fn template(State(state): State<ConsoleState>, session: Session) -> Response {
    match territoires_sync::template_bytes(&state.db).await {
        Ok(bytes) => {
            tracing::info!(token = %session.author, "console: template downloaded");
            attachment("modele-coordonnateurs.xlsx", bytes)
        }
        Err(error) => internal(error.into()),
    }
}

/// `GET /admin/coordonnateurs/export.xlsx`: the current roster (`roster export`), named
/// with today's date in Paris.
pub async fn export(State(state): State<ConsoleState>, session: Session) -> Response {
    match territoires_sync::export_bytes(&state.db).await {
        Ok((bytes, summary)) => {
            tracing::info!(
                token = %session.author,
                coordinators = summary.coordinators,
                "console: roster exported"
            );
            let today = Utc::now()
                .with_timezone(&chrono_tz::Europe::Paris)
                .format("%Y-%m-%d");
            attachment(&format!("coordonnateurs-{today}.xlsx"), bytes)
        }
        Err(error) => internal(error.into()),
    }
}
