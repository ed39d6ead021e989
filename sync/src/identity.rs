//! Recognising the people of a file among the stored coordinators.
//!
//! The matricule is the key, then the e-mail. A row whose key is new is not taken for a
//! newcomer when it looks like someone already stored: its e-mail belongs to a stored
//! person with another matricule (a mistyped or renumbered matricule), or its name is
//! that of a stored person of the same territory (a changed e-mail in a file without a
//! Matricule column). Read as a newcomer, such a row would add a second record and
//! deactivate the first, splitting the person's history and leaving their projects
//! without a lead. The match is made, and reported as an [`IdentityChange`] that only a
//! forced import confirms.

use std::collections::{HashMap, HashSet};

use entity::normalize::fold;
use serde::{Deserialize, Serialize};

use crate::plan::{Current, CurrentCoordinator};
use crate::problem::{Problem, ProblemCode};
use crate::read::{Columns, Field};
use crate::validate::{Key, Person};

/// What a row of the file would change in a stored person's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityChangeKind {
    /// The stored person (same e-mail, or same name in the same territory) gets another
    /// matricule: forced, they keep their record and take the new matricule.
    MatriculeChange,
    /// Without a matricule to tell, the stored person of the same name and territory
    /// gets another e-mail: forced, they keep their record and take the new e-mail.
    EmailChange,
    /// The stored person's e-mail goes to someone of another name and matricule: forced,
    /// the newcomer is added with the address and the stored person gives it up.
    AddressTakenOver,
}

/// A stored person a row of the file would change beyond an ordinary update: reported
/// as an error unless the import is forced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityChange {
    /// What changes.
    pub kind: IdentityChangeKind,
    /// The stored coordinator.
    pub coordinator_id: i32,
    /// The stored person's name, "LAST First".
    pub stored_name: String,
    /// The stored matricule.
    pub stored_employee_id: Option<String>,
    /// The stored e-mail.
    pub stored_email: Option<String>,
    /// The name in the file, "LAST First".
    pub file_name: String,
    /// The matricule in the file.
    pub file_employee_id: Option<String>,
    /// The e-mail in the file.
    pub file_email: String,
    /// The rows of the file describing the person.
    pub rows: Vec<u32>,
}

/// The stored coordinator of each person (by index), and the changes to confirm.
pub(crate) struct Matches {
    pub slots: Vec<Option<usize>>,
    pub changes: Vec<IdentityChange>,
}

fn same_name(person: &Person, stored: &CurrentCoordinator) -> bool {
    fold(&person.last_name) == fold(&stored.model.last_name)
        && fold(&person.first_name) == fold(&stored.model.first_name)
}

fn change(
    kind: IdentityChangeKind,
    person: &Person,
    stored: &CurrentCoordinator,
) -> IdentityChange {
    IdentityChange {
        kind,
        coordinator_id: stored.model.id,
        stored_name: format!("{} {}", stored.model.last_name, stored.model.first_name),
        stored_employee_id: stored.model.employee_id.clone(),
        stored_email: stored.model.email.clone(),
        file_name: format!("{} {}", person.last_name, person.first_name),
        file_employee_id: person.employee_id.clone(),
        file_email: person.email.clone(),
        rows: person.rows.clone(),
    }
}

/// Matches each person to a stored coordinator: by matricule first, then by e-mail (a
/// person known by e-mail gains a matricule without being duplicated), then by name in
/// the same territory. A match that changes a stored matricule, or an e-mail when no
/// matricule tells, is listed in `changes`; so is an e-mail going to someone else.
pub(crate) fn match_people(persons: &[Person], current: &Current) -> Matches {
    let mut by_matricule: HashMap<&str, usize> = HashMap::new();
    let mut by_email: HashMap<&str, usize> = HashMap::new();
    // (last name, first name, territory), folded → stored people: homonyms are no match.
    let mut by_name: HashMap<(String, String, i32), Vec<usize>> = HashMap::new();
    for (index, c) in current.coordinators.iter().enumerate() {
        if let Some(m) = &c.model.employee_id {
            by_matricule.insert(m.as_str(), index);
        }
        if let Some(e) = &c.model.email {
            by_email.insert(e.as_str(), index);
        }
        let (last, first) = (fold(&c.model.last_name), fold(&c.model.first_name));
        for (_, territory, _) in &c.open {
            let holders = by_name
                .entry((last.clone(), first.clone(), *territory))
                .or_default();
            if !holders.contains(&index) {
                holders.push(index);
            }
        }
    }
    let mut slots = vec![None; persons.len()];
    let mut taken = HashSet::new();
    let mut changes = Vec::new();
    for (slot, person) in slots.iter_mut().zip(persons) {
        if let Key::EmployeeId(m) = &person.key
            && let Some(&index) = by_matricule.get(m.as_str())
            && taken.insert(index)
        {
            *slot = Some(index);
        }
    }
    // People whose e-mail goes to someone else are newcomers: never matched by name.
    let mut newcomers = HashSet::new();
    for (position, (slot, person)) in slots.iter_mut().zip(persons).enumerate() {
        if slot.is_some() {
            continue;
        }
        let Some(&index) = by_email.get(person.email.as_str()) else {
            continue;
        };
        if taken.contains(&index) {
            continue;
        }
        let stored = &current.coordinators[index];
        let compatible = person.employee_id.is_none() || stored.model.employee_id.is_none();
        if compatible {
            taken.insert(index);
            *slot = Some(index);
        } else if same_name(person, stored) {
            taken.insert(index);
            *slot = Some(index);
            changes.push(change(IdentityChangeKind::MatriculeChange, person, stored));
        } else {
            newcomers.insert(position);
            changes.push(change(IdentityChangeKind::AddressTakenOver, person, stored));
        }
    }
    for (position, (slot, person)) in slots.iter_mut().zip(persons).enumerate() {
        if slot.is_some() || newcomers.contains(&position) {
            continue;
        }
        let (last, first) = (fold(&person.last_name), fold(&person.first_name));
        let mut candidates: Vec<usize> = Vec::new();
        for territory in &person.territories {
            for &index in by_name
                .get(&(last.clone(), first.clone(), *territory))
                .map_or(&[][..], Vec::as_slice)
            {
                if !candidates.contains(&index) {
                    candidates.push(index);
                }
            }
        }
        let [index] = candidates[..] else {
            continue;
        };
        if !taken.insert(index) {
            continue;
        }
        let stored = &current.coordinators[index];
        *slot = Some(index);
        let kind = match (&person.employee_id, &stored.model.employee_id) {
            (Some(_), Some(_)) => IdentityChangeKind::MatriculeChange,
            _ => IdentityChangeKind::EmailChange,
        };
        changes.push(change(kind, person, stored));
    }
    changes.sort_by_key(|c| c.rows.first().copied());
    Matches { slots, changes }
}

fn rows_text(rows: &[u32]) -> String {
    let list: Vec<String> = rows.iter().map(u32::to_string).collect();
    match rows {
        [_] => format!("ligne {}", list.join("")),
        _ => format!("lignes {}", list.join(", ")),
    }
}

fn or_none(value: Option<&str>) -> &str {
    value.unwrap_or("(aucun)")
}

/// The problem reporting `change`: an error, or a warning when the import is forced
/// (the change is then made, and the report still says so).
pub(crate) fn problem(change: &IdentityChange, columns: &Columns, forced: bool) -> Problem {
    let rows = rows_text(&change.rows);
    let stored_m = or_none(change.stored_employee_id.as_deref());
    let file_m = or_none(change.file_employee_id.as_deref());
    let stored_email = or_none(change.stored_email.as_deref());
    let (code, field, what, if_forced, otherwise) = match change.kind {
        IdentityChangeKind::MatriculeChange => (
            ProblemCode::MatriculeChange,
            Field::EmployeeId,
            format!(
                "{} ({rows}, matricule {file_m}, {}) est déjà dans l'annuaire sous le \
                 matricule {stored_m} ({}, {stored_email}) : changement de matricule.",
                change.file_name, change.file_email, change.stored_name
            ),
            format!(
                "la personne garde sa fiche, son historique et ses projets et prend le \
                 matricule {file_m}"
            ),
            format!(
                "Si c'est une erreur de saisie, corrigez le matricule ({stored_m}) ; si le \
                 matricule a vraiment changé, relancez l'import en le forçant : la personne \
                 gardera sa fiche, son historique et ses projets avec le matricule {file_m}."
            ),
        ),
        IdentityChangeKind::EmailChange => (
            ProblemCode::EmailChange,
            Field::Email,
            format!(
                "{} ({rows}, {}) porte le nom d'une personne du même territoire déjà dans \
                 l'annuaire sous l'adresse {stored_email} : changement d'adresse.",
                change.file_name, change.file_email
            ),
            format!(
                "la personne garde sa fiche, son historique et ses projets et prend l'adresse \
                 {}",
                change.file_email
            ),
            format!(
                "S'il s'agit d'une autre personne ou d'une erreur de saisie, corrigez la ligne ; \
                 si l'adresse a vraiment changé, relancez l'import en le forçant : la personne \
                 gardera sa fiche, son historique et ses projets avec l'adresse {}.",
                change.file_email
            ),
        ),
        IdentityChangeKind::AddressTakenOver => (
            ProblemCode::MatriculeChange,
            Field::EmployeeId,
            format!(
                "L'adresse {} est, dans l'annuaire, celle de {} (matricule {stored_m}) ; le \
                 fichier la donne à {} ({rows}, matricule {file_m}).",
                change.file_email, change.stored_name, change.file_name
            ),
            format!(
                "{} est ajouté(e) avec cette adresse et {} la perd",
                change.file_name, change.stored_name
            ),
            format!(
                "S'il s'agit de la même personne, corrigez le matricule ({stored_m}) ; si \
                 l'adresse passe vraiment à {}, relancez l'import en le forçant.",
                change.file_name
            ),
        ),
    };
    let message = if forced {
        format!("{what} Confirmé par l'import forcé : {if_forced}.")
    } else {
        format!("{what} {otherwise}")
    };
    let mut problem = Problem::new(code, message).in_column(columns.header(field));
    if let Some(&row) = change.rows.first() {
        problem = problem.at_row(row);
    }
    if forced {
        problem.severity = entity::ProblemSeverity::Warning;
    }
    problem
}
