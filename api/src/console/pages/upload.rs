//! Déposer une liste: the form (no JavaScript needed), then the immediate dry run of the
//! file shown as a readable diff — people added, changed (before → after), moved,
//! deactivated, reactivated; the territories left vacant; the problems with their row
//! and column — with "Appliquer" (the kept file, by SHA-256, refused if the data changed
//! since the plan was shown) and "Forcer" behind an explicit confirmation.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use entity::{Labelled, SyncStatus};
use maud::{Markup, html};
use territoires_sync::{ChangeKind, Plan, Problem, SyncReport};

use super::html;
use crate::console::form::Posted;
use crate::console::layout::{self, Nav};
use crate::console::session::Session;
use crate::console::upload::{self, FILE_FIELD, Received, Refused};
use crate::console::{BASE, ConsoleState, csrf, error_page, internal};
use crate::editing::Author;
use crate::roster_files::{self, Applied, DryRun};

/// Most people listed per kind of change; the rest are counted.
const MAX_LISTED: usize = 2_000;
/// The form field naming the kept file.
pub const SHA_FIELD: &str = "empreinte";
/// The form field carrying the data version the plan was computed against.
pub const VERSION_FIELD: &str = "version";
/// The form field asking to force (`oui`).
pub const FORCE_FIELD: &str = "forcer";
/// The confirmation checkbox of a forced import (`oui`).
pub const CONFIRM_FIELD: &str = "confirmation";

/// `GET /admin/deposer`.
pub async fn form(State(state): State<ConsoleState>, session: Session) -> Response {
    form_page(&state, &session, StatusCode::OK, None)
}

fn form_page(
    state: &ConsoleState,
    session: &Session,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let content = html! {
        @if let Some(error) = error { (layout::notice("error", error)) }
        p {
            "Déposez la liste des coordonnateurs transmise par les ressources humaines. Un "
            strong { "essai à blanc" } " montre aussitôt ce qui changerait : rien n'est modifié \
            avant que vous n'appliquiez."
        }
        form.card method="post" action=(format!("{BASE}/deposer")) enctype="multipart/form-data" {
            (layout::csrf_field(&session.csrf))
            div.field {
                label for="fichier" { "Fichier de la liste" }
                span.hint #fichier-aide {
                    "Classeur .xlsx, .xls ou .ods, ou fichier .csv ; "
                    (layout::number(i64::try_from(state.upload_limit / 1024).unwrap_or(i64::MAX)))
                    " Kio au plus."
                }
                input #fichier type="file" name=(FILE_FIELD) required
                    accept=".xlsx,.xlsm,.xls,.ods,.csv" aria-describedby="fichier-aide";
            }
            button type="submit" { "Lancer l'essai à blanc" }
        }
        p.muted {
            "Pour partir d'un fichier au bon format : "
            a href=(format!("{BASE}/coordonnateurs/modele.xlsx")) { "télécharger le modèle" }
            " ou "
            a href=(format!("{BASE}/coordonnateurs/export.xlsx")) { "exporter la liste actuelle" }
            "."
        }
    };
    let page = layout::page("Déposer une liste", Nav::Upload, session, content);
    (status, html(page)).into_response()
}

/// `POST /admin/deposer`: checks (origin, session, form secret first, limits, type),
/// keeps the file and shows its dry run.
pub async fn submit(State(state): State<ConsoleState>, request: Request<Body>) -> Response {
    if !csrf::same_origin(&state, request.headers()) {
        return csrf::refused();
    }
    let (mut parts, body) = request.into_parts();
    let session = match Session::from_request_parts(&mut parts, &state).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let request = Request::from_parts(parts, body);
    let Received {
        file_name,
        bytes,
        slot,
    } = match upload::receive(request, &state, &session).await {
        Ok(received) => received,
        Err(Refused::Forged) => return csrf::refused(),
        Err(refused) => {
            tracing::info!(token = %session.author, ?refused, "console: upload refused");
            let message = refused.message(state.upload_limit, state.body_timeout_secs);
            return form_page(&state, &session, refused.status(), Some(&message));
        }
    };
    let dry = roster_files::dry_run(
        &state.db,
        &state.sync,
        &Author::from(&session),
        &file_name,
        bytes,
    )
    .await;
    drop(slot);
    match dry {
        Ok(dry) => {
            tracing::info!(token = %session.author, run_id = ?dry.report.run_id, "console: dry run");
            plan_page(&state, &session, &dry, StatusCode::OK, None)
        }
        Err(error) => internal(error),
    }
}

/// `POST /admin/deposer/appliquer`: applies the kept file of a plan (forced when asked
/// and confirmed), then shows its history entry.
pub async fn apply(State(state): State<ConsoleState>, posted: Posted) -> Response {
    let Posted { session, form } = posted;
    let sha = form.get(SHA_FIELD).unwrap_or_default().trim().to_owned();
    let Some(version) = form
        .get(VERSION_FIELD)
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Plan non identifié",
            "Le formulaire ne dit pas sur quel état de la liste le plan a été calculé. \
             Déposez à nouveau le fichier.",
        );
    };
    let force = form.get(FORCE_FIELD) == Some("oui");
    if force && form.get(CONFIRM_FIELD) != Some("oui") {
        return unconfirmed();
    }
    let Ok(slot) = state.uploads.clone().try_acquire_owned() else {
        return busy();
    };
    let applied = roster_files::apply_kept(
        &state.db,
        &state.sync,
        &Author::from(&session),
        &sha,
        Some(version),
        force,
    )
    .await;
    drop(slot);
    match applied {
        Ok(Applied::Run(run_id)) => {
            tracing::info!(token = %session.author, run_id, force, "console: import applied");
            Redirect::to(&format!("{BASE}/historique/{run_id}")).into_response()
        }
        Ok(Applied::UnknownFile) => unknown_file(),
        Ok(Applied::Stale(dry)) => plan_page(
            &state,
            &session,
            &dry,
            StatusCode::CONFLICT,
            Some(
                "Les données ont changé depuis l'affichage du plan (un autre import ou une \
                 modification) : rien n'a été appliqué. Voici le plan recalculé sur les données \
                 actuelles ; vérifiez-le avant d'appliquer.",
            ),
        ),
        Ok(Applied::Busy(dry)) => plan_page(
            &state,
            &session,
            &dry,
            StatusCode::CONFLICT,
            Some(
                "Un autre import était en cours : rien n'a été appliqué. Voici le plan \
                 recalculé sur les données actuelles ; vérifiez-le avant d'appliquer.",
            ),
        ),
        Err(error) => internal(error),
    }
}

/// The answer to a forced import without its confirmation.
pub fn unconfirmed() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "Confirmation manquante",
        "Pour forcer l'import, cochez la case qui confirme que vous passez outre les \
         garde-fous. Revenez à la page précédente et recommencez. Rien n'a été modifié.",
    )
}

/// The answer when every upload slot is taken.
pub fn busy() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service occupé",
        "D'autres fichiers sont en cours de traitement ; réessayez dans quelques secondes. \
         Rien n'a été modifié.",
    )
}

/// The answer to an apply naming no kept file.
pub fn unknown_file() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Fichier inconnu",
        "Aucun fichier déposé ne porte cette empreinte (il a peut-être été supprimé avec \
         les archives). Déposez à nouveau le fichier. Rien n'a été modifié.",
    )
}

/// What each status of a dry run means for the administrator.
fn outcome(report: &SyncReport) -> (&'static str, &'static str) {
    match report.status {
        SyncStatus::Planned => (
            "success",
            "Le fichier est valide. Rien n'a encore été modifié : vérifiez les changements \
             ci-dessous, puis appliquez-les.",
        ),
        SyncStatus::Unchanged => (
            "success",
            "La liste enregistrée est déjà à jour : ce fichier ne changerait rien.",
        ),
        SyncStatus::Skipped => (
            "info",
            "Ce fichier est identique à celui du dernier import appliqué : il serait ignoré. \
             Forcez l'import pour le relire malgré tout.",
        ),
        SyncStatus::Refused => (
            "error",
            "L'import serait refusé par les garde-fous : trop de désactivations, ou des \
             territoires laissés sans coordonnateur. Vérifiez que le fichier est complet ; \
             s'il l'est, vous pouvez forcer l'import.",
        ),
        SyncStatus::Rejected => (
            "error",
            "Le fichier contient des erreurs : rien ne peut être appliqué. Corrigez-les dans le \
             fichier (ligne et colonne ci-dessous), puis déposez-le à nouveau.",
        ),
        _ => (
            "error",
            "L'essai à blanc n'a pas pu aboutir ; consultez son entrée dans l'historique.",
        ),
    }
}

fn plan_page(
    state: &ConsoleState,
    session: &Session,
    dry: &DryRun,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let report = &dry.report;
    let (kind, message) = outcome(report);
    let sha = report.file_sha256.as_deref().unwrap_or_default();
    let can_apply = report.status == SyncStatus::Planned;
    let can_force = matches!(
        report.status,
        SyncStatus::Planned | SyncStatus::Refused | SyncStatus::Skipped
    );
    let content = html! {
        @if let Some(notice) = notice { (layout::notice("error", notice)) }
        section.card aria-labelledby="resultat" {
            h2 #resultat { "Résultat de l'essai à blanc" }
            (layout::notice(kind, message))
            dl.facts {
                dt { "Statut" } dd { (layout::status(report.status)) " — essai à blanc" }
                dt { "Fichier" } dd { (report.file_name.as_deref().unwrap_or("—")) }
                dt { "Empreinte SHA-256" } dd { code { (if sha.is_empty() { "—" } else { sha }) } }
                @if let Some(sheet) = &report.sheet { dt { "Feuille lue" } dd { (sheet) } }
                @if let Some(row) = report.header_row { dt { "Ligne d'en-tête" } dd { (row) } }
                @if let Some(id) = report.run_id {
                    dt { "Historique" } dd { a href=(format!("{BASE}/historique/{id}")) { "Import n° " (id) } }
                }
            }
            p { (report.summary) }
        }
        @if can_apply {
            form.card method="post" action=(format!("{BASE}/deposer/appliquer")) {
                (layout::csrf_field(&session.csrf))
                input type="hidden" name=(SHA_FIELD) value=(sha);
                input type="hidden" name=(VERSION_FIELD) value=(dry.data_version);
                h2 { "Appliquer" }
                p { "Applique exactement le fichier de cet essai (reconnu par son empreinte), \
                     sauf si les données ont changé depuis : le plan serait alors recalculé." }
                button type="submit" { "Appliquer ces changements" }
            }
        }
        @if let Some(plan) = &report.plan { (diff(plan)) }
        (problems(&report.problems, report.omitted_problems))
        @if can_force && !sha.is_empty() {
            (force_form(
                session,
                "Forcer l'import",
                &format!("{BASE}/deposer/appliquer"),
                &[(SHA_FIELD, sha.to_owned()), (VERSION_FIELD, dry.data_version.to_string())],
                state.sync.max_deactivation_ratio,
            ))
        }
        p { a href=(format!("{BASE}/deposer")) { "Déposer un autre fichier" } }
    };
    let title = format!(
        "Essai à blanc — {}",
        report.file_name.as_deref().unwrap_or("fichier")
    );
    let page = layout::page(&title, Nav::Upload, session, content);
    (status, html(page)).into_response()
}

/// The "Forcer" form: names what forcing overrides and needs its box ticked (checked
/// again by the server). `label` is its title and button ("Forcer l'import", "Relancer
/// en forçant"); `hidden` are the fields identifying what to force.
pub fn force_form(
    session: &Session,
    label: &str,
    action: &str,
    hidden: &[(&str, String)],
    max_ratio: f64,
) -> Markup {
    let percent = (max_ratio * 100.0).round();
    html! {
        section.card.danger-zone aria-labelledby="forcer" {
            h2 #forcer { (label) }
            p { "Forcer applique le fichier en passant outre :" }
            ul {
                li { "le garde-fou des désactivations : au-delà de " (percent) " % des coordonnateurs \
                      actifs désactivés, ou un territoire laissé sans coordonnateur, l'import est \
                      normalement refusé ;" }
                li { "la vérification du même fichier : un fichier identique au dernier import \
                      appliqué est normalement ignoré ;" }
                li { "le contrôle des identités : un matricule ou un courriel changé pour une \
                      personne déjà connue est normalement une erreur." }
            }
            p { "Les erreurs du fichier, elles, ne peuvent pas être forcées." }
            form method="post" action=(action) {
                (layout::csrf_field(&session.csrf))
                @for (name, value) in hidden {
                    input type="hidden" name=(name) value=(value);
                }
                input type="hidden" name=(FORCE_FIELD) value="oui";
                div.check {
                    input #confirmer type="checkbox" name=(CONFIRM_FIELD) value="oui" required;
                    label for="confirmer" {
                        "Je confirme vouloir forcer l'import, en passant outre le garde-fou des \
                         désactivations, la vérification du même fichier et le contrôle des identités."
                    }
                }
                button.danger type="submit" { (label) }
            }
        }
    }
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

fn section_id(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "ajouts",
        ChangeKind::Updated => "modifications",
        ChangeKind::Moved => "deplacements",
        ChangeKind::Deactivated => "desactivations",
        ChangeKind::Reactivated => "reactivations",
    }
}

fn section_title(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "Ajouts",
        ChangeKind::Updated => "Modifications",
        ChangeKind::Moved => "Changements de territoire",
        ChangeKind::Deactivated => "Désactivations",
        ChangeKind::Reactivated => "Réactivations",
    }
}

/// A full plan as a readable diff, grouped by kind of change: added, changed (each field
/// before → after), moved, deactivated, reactivated; the communes moving; the
/// territories left vacant.
pub fn diff(plan: &Plan) -> Markup {
    let kinds = [
        ChangeKind::Added,
        ChangeKind::Updated,
        ChangeKind::Moved,
        ChangeKind::Deactivated,
        ChangeKind::Reactivated,
    ];
    html! {
        @if !plan.vacated_territories.is_empty() {
            section.card.alert aria-labelledby="vacants" {
                h2 #vacants { "Territoires laissés sans coordonnateur (" (plan.vacated_territories.len()) ")" }
                ul { @for t in &plan.vacated_territories { li { (t.name) } } }
            }
        }
        section.card aria-labelledby="changements" {
            h2 #changements { "Changements" }
            @if plan.changes.is_empty() && plan.commune_moves.is_empty() {
                p { "Aucun changement." }
            } @else {
                ul {
                    @for kind in kinds {
                        @let n = plan.changes.iter().filter(|c| c.kind == kind).count();
                        @if n > 0 {
                            li { a href=(format!("#{}", section_id(kind))) { (section_title(kind)) } " : " (layout::number(i64::try_from(n).unwrap_or(i64::MAX))) }
                        }
                    }
                    @if !plan.commune_moves.is_empty() {
                        li { a href="#communes" { "Communes changeant de territoire" } " : " (plan.commune_moves.len()) }
                    }
                }
                p.muted { (plan.counts.unchanged) " personne(s) sans changement." }
            }
        }
        @for kind in kinds {
            @let changes: Vec<_> = plan.changes.iter().filter(|c| c.kind == kind).collect();
            @if !changes.is_empty() {
                section.card aria-labelledby=(section_id(kind)) {
                    h2 #(section_id(kind)) { (section_title(kind)) " (" (changes.len()) ")" }
                    table {
                        thead { tr {
                            th scope="col" { "Personne" }
                            th scope="col" { "Matricule" }
                            th scope="col" { "Territoire" }
                            th scope="col" { "Ligne" }
                            th scope="col" { "Détail" }
                        } }
                        tbody {
                            @for change in changes.iter().take(MAX_LISTED) {
                                tr {
                                    td { (change.last_name) " " (change.first_name) }
                                    td { (change.employee_id.as_deref().unwrap_or("—")) }
                                    td {
                                        @if change.territories_changed() && !change.territories_before.is_empty() {
                                            span.diff-before { (territories(&change.territories_before)) }
                                            " → "
                                        }
                                        span.diff-after { (territories(&change.territories_after)) }
                                    }
                                    td { (if change.rows.is_empty() { "—".to_owned() } else { change.rows.iter().map(u32::to_string).collect::<Vec<_>>().join(", ") }) }
                                    td {
                                        @for field in &change.fields {
                                            (field.field.label()) " : "
                                            span.diff-before { (field.before.as_deref().unwrap_or("(vide)")) }
                                            " → "
                                            span.diff-after { (field.after.as_deref().unwrap_or("(vide)")) }
                                            br;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if changes.len() > MAX_LISTED {
                        p.muted { "Seuls les " (MAX_LISTED) " premiers sont affichés." }
                    }
                }
            }
        }
        @if !plan.commune_moves.is_empty() {
            section.card aria-labelledby="communes" {
                h2 #communes { "Communes changeant de territoire (" (plan.commune_moves.len()) ")" }
                ul {
                    @for m in &plan.commune_moves {
                        li { (m.name) " : Territoire " (m.from_territory) " → Territoire " (m.to_territory) " (ligne " (m.row) ")" }
                    }
                }
            }
        }
    }
}

/// The problems of a report, with their row and column as in the file.
fn problems(problems: &[Problem], omitted: u64) -> Markup {
    html! {
        section.card aria-labelledby="problemes" {
            h2 #problemes { "Problèmes (" (problems.len() as u64 + omitted) ")" }
            @if problems.is_empty() {
                p { "Aucun problème relevé dans le fichier." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Gravité" } th scope="col" class="num" { "Ligne" }
                        th scope="col" { "Colonne" } th scope="col" { "Message" }
                    } }
                    tbody {
                        @for problem in problems {
                            tr {
                                td { (problem.severity.label()) }
                                td.num { (problem.row.map_or_else(|| "—".to_owned(), |r| r.to_string())) }
                                td { (problem.column.as_deref().unwrap_or("—")) }
                                td { (problem.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}
