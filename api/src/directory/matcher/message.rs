//! The French sentence a frontend shows with a lookup's answer. Départements are named
//! with their number in parentheses, never with a preposition ("dans le", "en", "à"
//! differ from one département to the next).

use super::france::France;
use super::lookup::{Candidate, Reason, Target, name_of};
use super::query::Query;
use crate::directory::{CommuneIx, Snapshot};

/// How many communes a message names at most.
const MAX_NAMED: usize = 5;

/// The message for a lookup's outcome.
pub(super) fn message(
    dir: &Snapshot,
    france: &France,
    query: &Query,
    found: Option<CommuneIx>,
    reason: Reason,
    candidates: &[Candidate],
) -> String {
    let found_name = found
        .and_then(|i| dir.communes.get(i))
        .map(|c| c.name.as_str())
        .unwrap_or_default();
    let top = candidates.first().map_or(0, |c| c.score);
    let best: Vec<Target> = candidates
        .iter()
        .take_while(|c| c.score == top)
        .map(|c| c.target)
        .collect();
    match reason {
        Reason::Exact => format!("{found_name} est une commune des Hauts-de-Seine."),
        Reason::Typo => format!("Commune des Hauts-de-Seine la plus proche : {found_name}."),
        Reason::PostalCode => format!(
            "{} : {found_name}, commune des Hauts-de-Seine.",
            if query.digits.is_empty() {
                "Code postal"
            } else {
                query.digits.as_str()
            }
        ),
        Reason::Ambiguous => format!(
            "Plusieurs communes correspondent : {}. Précisez le nom ou le code postal.",
            best.iter()
                .take(MAX_NAMED)
                .filter_map(|&t| name_of(dir, france, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Reason::OutsideDepartement => outside(france, &best),
        Reason::Unknown => "Aucune commune française ne correspond à ce texte.".to_owned(),
    }
}

/// "Vincennes (Val-de-Marne, 94) n'est pas dans les Hauts-de-Seine"; "Paris n'est pas
/// dans les Hauts-de-Seine" when the commune names its département; several communes
/// of one name share the sentence.
fn outside(france: &France, best: &[Target]) -> String {
    let rows: Vec<_> = best
        .iter()
        .filter_map(|&t| match t {
            Target::Other(i) => france.row(i),
            Target::Commune(_) => None,
        })
        .take(MAX_NAMED)
        .collect();
    let Some(first) = rows.first() else {
        return "Aucune commune des Hauts-de-Seine ne correspond à ce texte.".to_owned();
    };
    if rows.iter().all(|r| r.name == first.name) {
        if rows.len() == 1 && first.name == first.departement_name {
            return format!("{} n'est pas dans les Hauts-de-Seine.", first.name);
        }
        let places: Vec<String> = rows
            .iter()
            .map(|r| format!("{}, {}", r.departement_name, r.departement))
            .collect();
        return format!(
            "{} ({}) n'est pas dans les Hauts-de-Seine.",
            first.name,
            places.join(" ; ")
        );
    }
    let named: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({}, {})", r.name, r.departement_name, r.departement))
        .collect();
    format!("{} ne sont pas dans les Hauts-de-Seine.", named.join(", "))
}
