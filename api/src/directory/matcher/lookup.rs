//! A commune lookup: ranked candidates from the département (database names, aliases
//! and postal codes) and from the rest of France, and the reason the best one is (or is
//! not) the answer.

use std::collections::HashMap;

use super::distance::{tolerance, within};
use super::france::{France, france};
use super::index::{Found, Index};
use super::message::message;
use super::query::{Query, glue, parse};
use crate::directory::{CommuneIx, Ix, Snapshot};

/// How many candidates a lookup returns at most.
pub const MAX_CANDIDATES: usize = 10;
/// How many prefix completions are considered at most per index.
const MAX_PREFIXES: usize = 50;
/// The shortest name completed as a prefix (shorter ones complete to half of France).
const MIN_PREFIX: usize = 3;

/// A commune a candidate designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A commune of the département, by its position in the snapshot.
    Commune(CommuneIx),
    /// A commune elsewhere in France, by its row in [`France`].
    Other(u32),
}

/// What part of the text matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedOn {
    /// The official name.
    Name,
    /// A name people use (an alias of the reference data).
    Alias,
    /// A postal code.
    PostalCode,
    /// A name and a postal code of the commune, together.
    NameAndPostalCode,
    /// The INSEE code.
    InseeCode,
}

/// How closely it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    /// Only the postal code fits; the name given with it does not.
    CodeOnly,
    /// Within the typo tolerance.
    Typo,
    /// The text is the start of the name.
    Prefix,
    /// The whole name or code.
    Exact,
}

/// One candidate commune.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The commune.
    pub target: Target,
    /// 0 to 100, higher is better: exact 100, prefix or one typo 70, two typos 60, a
    /// postal code whose name does not fit 50; 5 less for a municipal arrondissement.
    pub score: u8,
    /// What matched.
    pub matched_on: MatchedOn,
    /// The name or code that matched, as written in the reference data.
    pub matched: String,
    /// How closely.
    pub quality: Quality,
}

/// Why the lookup answers as it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The name (or an alias, or the INSEE code) of one commune of the département.
    Exact,
    /// Close to the name of one commune of the département (a typo, or its beginning).
    Typo,
    /// A postal code of one commune of the département (with its name, if given).
    PostalCode,
    /// Several communes of the département fit equally well.
    Ambiguous,
    /// Only communes outside the département fit best.
    OutsideDepartement,
    /// No French commune fits.
    Unknown,
}

/// The answer to a lookup.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The commune of the département the text designates, if one does.
    pub found: Option<CommuneIx>,
    /// Candidates, best first, at most [`MAX_CANDIDATES`].
    pub candidates: Vec<Candidate>,
    /// Why nothing was found, or why several were.
    pub reason: Reason,
    /// A French sentence saying why, for the resident.
    pub message: String,
}

/// Looks `text` up among the département's communes and France's.
pub fn lookup(dir: &Snapshot, text: &str) -> Outcome {
    let query = parse(text);
    let france = france();
    let mut best: HashMap<Target, Candidate> = HashMap::new();
    let mut offer = |candidate: Candidate| {
        let entry = best
            .entry(candidate.target)
            .or_insert_with(|| candidate.clone());
        if candidate.score > entry.score {
            *entry = candidate;
        }
    };
    if query.digits.is_empty() {
        by_name(dir, france, &query.name, &mut offer);
    } else {
        by_code(dir, france, &query, &mut offer);
    }
    let mut candidates: Vec<Candidate> = best.into_values().collect();
    candidates.sort_by_cached_key(|c| {
        (
            std::cmp::Reverse(c.score),
            matches!(c.target, Target::Other(_)),
            std::cmp::Reverse(c.quality),
            name_of(dir, france, c.target).map(glue),
        )
    });
    let (found, reason) = decide(&candidates);
    candidates.truncate(MAX_CANDIDATES);
    let message = message(dir, france, &query, found, reason, &candidates);
    Outcome {
        found,
        candidates,
        reason,
        message,
    }
}

/// The official name of a target.
pub(super) fn name_of<'a>(
    dir: &'a Snapshot,
    france: &'a France,
    target: Target,
) -> Option<&'a str> {
    match target {
        Target::Commune(i) => dir.communes.get(i).map(|c| c.name.as_str()),
        Target::Other(i) => france.row(i).map(|r| r.name),
    }
}

fn is_arrondissement(france: &France, target: Target) -> bool {
    matches!(target, Target::Other(i) if france.row(i).is_some_and(|r| r.arrondissement))
}

fn score(quality: Quality, edits: u8, arrondissement: bool) -> u8 {
    let base: u8 = match quality {
        Quality::Exact => 100,
        // An unfinished name ties with a one-letter typo: the start of a name elsewhere
        // ("Médonville") must not outrank a typo in the département ("Medon").
        Quality::Prefix => 70,
        Quality::Typo => 80 - 10 * edits.min(3),
        Quality::CodeOnly => 50,
    };
    base - if arrondissement { 5 } else { 0 }
}

/// An index and how its items become targets.
type Source<'a> = (&'a Index, fn(u32) -> Target);

/// Candidates by name alone, from both indexes.
fn by_name(dir: &Snapshot, france: &France, name: &str, offer: &mut impl FnMut(Candidate)) {
    if name.is_empty() {
        return;
    }
    let sources: [Source<'_>; 2] = [
        (&dir.commune_matcher, |i| {
            Target::Commune(Ix::new(i as usize))
        }),
        (&france.names, Target::Other),
    ];
    for (index, target) in sources {
        let mut found: Vec<(Found, Quality)> = index
            .exact(name)
            .into_iter()
            .map(|f| (f, Quality::Exact))
            .collect();
        if name.len() >= MIN_PREFIX {
            found.extend(
                index
                    .prefix(name, MAX_PREFIXES)
                    .0
                    .into_iter()
                    .map(|f| (f, Quality::Prefix)),
            );
        }
        found.extend(index.typos(name).into_iter().map(|f| (f, Quality::Typo)));
        for (f, quality) in found {
            let key = index.key(f.key);
            let target = target(key.item);
            let Some(matched) = written(dir, france, target, key.source) else {
                continue;
            };
            offer(Candidate {
                target,
                score: score(quality, f.edits, is_arrondissement(france, target)),
                matched_on: if key.source == 0 {
                    MatchedOn::Name
                } else {
                    MatchedOn::Alias
                },
                matched,
                quality,
            });
        }
    }
}

/// The name or alias `source` of a target, as written.
fn written(dir: &Snapshot, france: &France, target: Target, source: u32) -> Option<String> {
    match (target, source) {
        (Target::Commune(i), 0) => dir.communes.get(i).map(|c| c.name.clone()),
        (Target::Commune(i), n) => dir
            .communes
            .get(i)
            .and_then(|c| c.aliases.get(n as usize - 1))
            .cloned(),
        (Target::Other(i), _) => france.row(i).map(|r| r.name.to_owned()),
    }
}

/// How well `name` fits one of `keys` (glued): the best quality and its edits.
fn fit<'k>(
    name: &str,
    keys: impl IntoIterator<Item = (u32, &'k str)>,
) -> Option<(Quality, u8, u32)> {
    let max = tolerance(name.len());
    keys.into_iter()
        .filter_map(|(source, key)| {
            let glued = glue(key);
            if glued == name {
                Some((Quality::Exact, 0, source))
            } else if name.len() >= MIN_PREFIX && glued.starts_with(name) {
                Some((Quality::Prefix, 0, source))
            } else {
                within(name.as_bytes(), glued.as_bytes(), max)
                    .map(|d| (Quality::Typo, d as u8, source))
            }
        })
        .max_by_key(|&(quality, edits, _)| (quality, std::cmp::Reverse(edits)))
}

/// Candidates by postal code (or INSEE code), narrowed by the name given with it.
fn by_code(dir: &Snapshot, france: &France, query: &Query, offer: &mut impl FnMut(Candidate)) {
    let code = query.digits.as_str();
    let mut coded: Vec<(Target, MatchedOn)> = dir
        .communes_with_postal_code(code)
        .iter()
        .map(|&i| (Target::Commune(i), MatchedOn::PostalCode))
        .chain(
            france
                .with_postal_code(code)
                .iter()
                .map(|&i| (Target::Other(i), MatchedOn::PostalCode)),
        )
        .collect();
    if coded.is_empty() {
        coded.extend(
            dir.commune_by_insee(code)
                .map(Target::Commune)
                .or_else(|| france.by_insee(code).map(Target::Other))
                .map(|t| (t, MatchedOn::InseeCode)),
        );
    }
    let mut name_fits = false;
    for &(target, matched_on) in &coded {
        let arrondissement = is_arrondissement(france, target);
        if query.name.is_empty() {
            offer(Candidate {
                target,
                score: score(Quality::Exact, 0, arrondissement),
                matched_on,
                matched: code.to_owned(),
                quality: Quality::Exact,
            });
            continue;
        }
        let keys: Vec<(u32, &str)> = match target {
            Target::Commune(i) => dir
                .communes
                .get(i)
                .map(|c| {
                    std::iter::once(c.name.as_str())
                        .chain(c.aliases.iter().map(String::as_str))
                        .enumerate()
                        .map(|(n, k)| (n as u32, k))
                        .collect()
                })
                .unwrap_or_default(),
            Target::Other(i) => france.row(i).map(|r| vec![(0, r.name)]).unwrap_or_default(),
        };
        let fitted = fit(&query.name, keys);
        name_fits |= fitted.is_some();
        let (quality, edits, source) = fitted.unwrap_or((Quality::CodeOnly, 0, 0));
        let matched = match (fitted, written(dir, france, target, source)) {
            (Some(_), Some(name)) => format!("{name} {code}"),
            _ => code.to_owned(),
        };
        offer(Candidate {
            target,
            score: score(quality, edits, arrondissement),
            matched_on: if fitted.is_some() {
                MatchedOn::NameAndPostalCode
            } else {
                matched_on
            },
            matched,
            quality,
        });
    }
    if !name_fits {
        by_name(dir, france, &query.name, offer);
    }
}

/// The commune found, if any, and why.
fn decide(candidates: &[Candidate]) -> (Option<CommuneIx>, Reason) {
    let Some(top) = candidates.first() else {
        return (None, Reason::Unknown);
    };
    let group: Vec<&Candidate> = candidates
        .iter()
        .take_while(|c| c.score == top.score)
        .collect();
    let local: Vec<CommuneIx> = group
        .iter()
        .filter_map(|c| match c.target {
            Target::Commune(i) => Some(i),
            Target::Other(_) => None,
        })
        .collect();
    // A prefix is a guess at an unfinished name: only a unique completion answers.
    if top.quality == Quality::Prefix && group.len() > 1 {
        return (None, Reason::Ambiguous);
    }
    match local.as_slice() {
        [] => (None, Reason::OutsideDepartement),
        [one] => {
            let reason = match (top.matched_on, top.quality) {
                (MatchedOn::PostalCode | MatchedOn::NameAndPostalCode, _) => Reason::PostalCode,
                (_, Quality::Exact) => Reason::Exact,
                _ => Reason::Typo,
            };
            (Some(*one), reason)
        }
        _ => (None, Reason::Ambiguous),
    }
}
