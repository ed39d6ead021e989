//! Reports for people: a one-line French summary, and a readable table of the plan and
//! the problems (printed by the command line, written beside archived files).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use entity::{Labelled, SyncStatus};

use crate::import::{SyncReport, severity_label};
use crate::plan::{ChangeKind, PersonChange};
use crate::problem::thousands;

fn plural(n: u32, one: &str, many: &str) -> String {
    if n <= 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The one-line French summary of a report.
pub(crate) fn summary(report: &SyncReport) -> String {
    let c = report.counts;
    let counts = format!(
        "{}, {}, {}, {}, {}, {}",
        plural(c.added, "ajout", "ajouts"),
        plural(c.updated, "modification", "modifications"),
        plural(
            c.moved,
            "changement de territoire",
            "changements de territoire"
        ),
        plural(c.deactivated, "désactivation", "désactivations"),
        plural(c.reactivated, "réactivation", "réactivations"),
        plural(c.unchanged, "inchangé", "inchangés"),
    );
    let errors = report.error_count();
    let dry = if report.dry_run {
        " (essai à blanc : rien n'a été modifié)"
    } else {
        ""
    };
    match report.status {
        SyncStatus::Applied => format!("Import appliqué{dry} : {counts}."),
        SyncStatus::Planned => format!("Import simulé{dry} : {counts}."),
        SyncStatus::Unchanged => format!("Aucun changement : l'annuaire correspond déjà au fichier{dry}."),
        SyncStatus::Skipped => "Fichier ignoré : identique au dernier fichier importé (utilisez « forcer » pour le réimporter).".to_owned(),
        SyncStatus::Rejected => format!(
            "Fichier rejeté : {} ; rien n'a été modifié.",
            if errors <= 1 {
                format!("{errors} erreur")
            } else {
                format!("{} erreurs", thousands(errors))
            }
        ),
        SyncStatus::Refused => refused(report),
        SyncStatus::Busy => "Import non lancé : un autre import était en cours.".to_owned(),
        SyncStatus::Failed => "Échec technique de l'import : rien n'a été modifié.".to_owned(),
        SyncStatus::Running => "Import en cours.".to_owned(),
    }
}

/// A share as a French percentage: 0.3 → "30 %", 0.125 → "12,5 %".
fn percent(ratio: f64) -> String {
    let value = ratio * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0} %")
    } else {
        format!("{value:.1} %").replace('.', ",")
    }
}

/// "A", "A et B", "A, B et C".
fn french_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

/// Why a file was refused: the deactivation ratio, territories left vacant, or both —
/// always with the ratio threshold, so the administrator can judge.
fn refused(report: &SyncReport) -> String {
    let c = report.counts;
    let threshold = percent(report.max_deactivation_ratio);
    let (active, over_ratio, vacated) = report.plan.as_ref().map_or((0, false, Vec::new()), |p| {
        (
            p.active_before,
            p.deactivation_ratio() > report.max_deactivation_ratio,
            p.vacated_territories
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>(),
        )
    });
    let deactivations = format!(
        "{} sur {active} coordonnateurs actifs",
        plural(c.deactivated, "désactivation", "désactivations")
    );
    let mut text = if over_ratio {
        format!(
            "Fichier refusé : il désactiverait {} sur {active} coordonnateurs actifs, au-delà \
             du seuil de sécurité de {threshold}",
            c.deactivated
        )
    } else {
        format!(
            "Fichier refusé ({deactivations}, sous le seuil de sécurité de {threshold} des \
             coordonnateurs actifs)"
        )
    };
    if !vacated.is_empty() {
        let (territory, has) = if vacated.len() == 1 {
            ("ce territoire", "en a un")
        } else {
            ("ces territoires", "en ont chacun un")
        };
        text.push_str(&format!(
            " ; il laisserait sans coordonnateur actif : {} ({territory} {has} aujourd'hui)",
            french_list(&vacated)
        ));
    }
    text.push_str(
        " ; rien n'a été modifié. Vérifiez que le fichier est complet ; si ces départs sont \
         voulus, relancez l'import en le forçant.",
    );
    text
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

fn details(change: &PersonChange) -> String {
    let mut parts = Vec::new();
    if change.kind != ChangeKind::Added && change.territories_changed() {
        parts.push(format!(
            "territoire {} → {}",
            territories(&change.territories_before),
            territories(&change.territories_after)
        ));
    }
    if change.kind != ChangeKind::Added {
        for field in &change.fields {
            let shown = |value: &Option<String>| {
                value
                    .as_deref()
                    .map_or_else(|| "(vide)".to_owned(), |v| field.field.display(v))
            };
            parts.push(format!(
                "{} : {} → {}",
                field.field.label(),
                shown(&field.before),
                shown(&field.after)
            ));
        }
    }
    parts.join(" ; ")
}

/// Pads `text` to `width` characters (not bytes: names carry accents).
fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len >= width {
        text.to_owned()
    } else {
        format!("{text}{}", " ".repeat(width - len))
    }
}

impl SyncReport {
    /// The report as readable French text: outcome, changes table, communes, problems.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let file = self.file_name.as_deref().unwrap_or("(sans nom)");
        let _ = writeln!(out, "Import de la liste des coordonnateurs — {file}");
        let _ = writeln!(
            out,
            "Statut : {} ({}){}{}",
            self.status.label(),
            self.status.code(),
            if self.dry_run {
                " — essai à blanc"
            } else {
                ""
            },
            if self.forced { " — forcé" } else { "" },
        );
        if let Some(id) = self.run_id {
            let _ = writeln!(
                out,
                "Import n° {id}, lancé par {} ({})",
                self.actor,
                self.trigger.label()
            );
        }
        let _ = writeln!(
            out,
            "Début : {}  Fin : {}",
            local_time(self.started_at),
            local_time(self.finished_at)
        );
        if let (Some(sheet), Some(row)) = (&self.sheet, self.header_row) {
            let _ = writeln!(out, "Feuille lue : « {sheet} », en-têtes ligne {row}");
        }
        let _ = writeln!(out, "\n{}", self.summary);

        if let Some(plan) = &self.plan {
            if !plan.changes.is_empty() {
                let _ = writeln!(out, "\nChangements ({}) :", plan.changes.len());
                let rows: Vec<[String; 5]> = plan
                    .changes
                    .iter()
                    .map(|c| {
                        [
                            c.kind.label().to_owned(),
                            format!("{} {}", c.last_name, c.first_name),
                            territories(&c.territories_after),
                            c.rows
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                            details(c),
                        ]
                    })
                    .collect();
                let headers = ["Action", "Personne", "Territoire", "Ligne", "Détail"];
                let mut widths = headers.map(|h| h.chars().count());
                for row in &rows {
                    for (width, cell) in widths.iter_mut().zip(row.iter()).take(4) {
                        *width = (*width).max(cell.chars().count());
                    }
                }
                let line = |cells: [&str; 5]| {
                    let mut text = String::from("  ");
                    for (i, cell) in cells.iter().enumerate() {
                        if i < 4 {
                            text.push_str(&pad(cell, widths[i]));
                            text.push_str("  ");
                        } else {
                            text.push_str(cell);
                        }
                    }
                    text.trim_end().to_owned()
                };
                let _ = writeln!(out, "{}", line(headers));
                for row in &rows {
                    let _ = writeln!(
                        out,
                        "{}",
                        line([&row[0], &row[1], &row[2], &row[3], &row[4]])
                    );
                }
            }
            if !plan.commune_moves.is_empty() {
                let _ = writeln!(out, "\nCommunes changeant de territoire :");
                for moved in &plan.commune_moves {
                    let _ = writeln!(
                        out,
                        "  {} : Territoire {} → Territoire {} (ligne {})",
                        moved.name, moved.from_territory, moved.to_territory, moved.row
                    );
                }
            }
        }

        if !self.problems.is_empty() {
            if self.omitted_problems > 0 {
                // The last kept problem counts the others: "… et 199 000 autres problèmes".
                let detailed = (self.problems.len() as u64).saturating_sub(1);
                let total = detailed.saturating_add(self.omitted_problems);
                let _ = writeln!(
                    out,
                    "\nProblèmes ({}, dont {} détaillés) :",
                    thousands(total),
                    thousands(detailed)
                );
            } else {
                let _ = writeln!(out, "\nProblèmes ({}) :", self.problems.len());
            }
            for problem in &self.problems {
                let _ = writeln!(
                    out,
                    "  [{}] {} — {} : {}",
                    severity_label(problem.severity),
                    problem.location(),
                    problem.code,
                    problem.message
                );
            }
        }
        out
    }
}

/// A moment as administrators read it: Paris time with its offset
/// (`02/12/2026 14:40:57 +01:00`), right across daylight-saving changes. Machine formats
/// (JSON, GraphQL) keep UTC.
pub fn local_time(at: DateTime<Utc>) -> String {
    local_time_in(at, chrono_tz::Europe::Paris)
}

/// A moment on the wall clock of `timezone` (`SYNC_TIMEZONE`), with its offset, as in
/// [`local_time`].
pub fn local_time_in(at: DateTime<Utc>, timezone: chrono_tz::Tz) -> String {
    at.with_timezone(&timezone)
        .format("%d/%m/%Y %H:%M:%S %:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::plan::FieldDiff;

    #[test]
    fn a_changed_phone_reads_as_people_write_it_not_in_e164() {
        let change = PersonChange {
            kind: ChangeKind::Updated,
            coordinator_id: Some(1),
            employee_id: None,
            first_name: "Inès".to_owned(),
            last_name: "Garnier".to_owned(),
            rows: vec![4],
            fields: vec![
                FieldDiff::new(
                    crate::CoordinatorField::Phone,
                    Some("+33661790955"),
                    Some("+33760779905"),
                ),
                FieldDiff::new(
                    crate::CoordinatorField::Landline,
                    None,
                    Some("+33141371000"),
                ),
                FieldDiff::new(crate::CoordinatorField::Title, Some("+33 écrit"), None),
            ],
            territories_before: vec![3],
            territories_after: vec![3],
            apply: Default::default(),
        };
        assert_eq!(
            details(&change),
            "téléphone : 06 61 79 09 55 → 07 60 77 99 05 ; téléphone fixe : (vide) → \
             01 41 37 10 00 ; fonction : +33 écrit → (vide)"
        );
    }

    #[test]
    fn people_read_paris_time_with_its_offset_in_winter_and_summer() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 2, 13, 40, 57).single();
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 1, 30, 0).single();
        assert_eq!(
            winter.map(local_time).as_deref(),
            Some("02/12/2026 14:40:57 +01:00")
        );
        assert_eq!(
            summer.map(local_time).as_deref(),
            Some("01/07/2026 03:30:00 +02:00")
        );
    }
}
