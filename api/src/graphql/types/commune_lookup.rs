//! `CommuneLookup`: what `communeLookup(text:)` answers — the commune of the
//! département the text designates, the ranked candidates (from all of France) and why.

use async_graphql::{Enum, Object, Union};

use super::Commune;
use crate::directory::Snapshot;
use crate::directory::matcher::{self, OtherRow, Target, france};

/// Why a lookup answers as it does.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum CommuneLookupReason {
    /// The name, an alias or the INSEE code of one commune of the département.
    Exact,
    /// Close to the name of one commune of the département: a typo (one edit up to 7
    /// letters, two beyond) or the start of its name.
    Typo,
    /// A postal code of one commune of the département (with its name, if given).
    PostalCode,
    /// Several communes of the département fit equally well: `candidates` lists them.
    Ambiguous,
    /// A real French commune (or postal code) fits best, but outside the département.
    OutsideDepartement,
    /// No French commune fits.
    Unknown,
}

impl From<matcher::Reason> for CommuneLookupReason {
    fn from(reason: matcher::Reason) -> Self {
        match reason {
            matcher::Reason::Exact => Self::Exact,
            matcher::Reason::Typo => Self::Typo,
            matcher::Reason::PostalCode => Self::PostalCode,
            matcher::Reason::Ambiguous => Self::Ambiguous,
            matcher::Reason::OutsideDepartement => Self::OutsideDepartement,
            matcher::Reason::Unknown => Self::Unknown,
        }
    }
}

/// What part of the text matched a candidate.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum CommuneMatchedOn {
    /// The official name.
    Name,
    /// A name people use for the commune ("Boulogne", "Clichy-la-Garenne").
    Alias,
    /// A postal code.
    PostalCode,
    /// A name and a postal code of the commune, typed together ("Sevres 92310").
    NameAndPostalCode,
    /// The INSEE code.
    InseeCode,
}

impl From<matcher::MatchedOn> for CommuneMatchedOn {
    fn from(on: matcher::MatchedOn) -> Self {
        match on {
            matcher::MatchedOn::Name => Self::Name,
            matcher::MatchedOn::Alias => Self::Alias,
            matcher::MatchedOn::PostalCode => Self::PostalCode,
            matcher::MatchedOn::NameAndPostalCode => Self::NameAndPostalCode,
            matcher::MatchedOn::InseeCode => Self::InseeCode,
        }
    }
}

/// A French commune (or municipal arrondissement of Paris, Lyon or Marseille) outside
/// the département: the directory knows it exists, and where, but has nobody for it.
pub struct OtherCommune {
    row: &'static OtherRow,
}

/// A French commune outside the département (INSEE COG 2026).
#[Object]
impl OtherCommune {
    /// Official name, e.g. "Vincennes".
    async fn name(&self) -> &str {
        self.row.name
    }

    /// Official INSEE code, e.g. "94080".
    async fn insee_code(&self) -> &str {
        self.row.insee_code
    }

    /// Number of its département, as written officially ("94", "2A", "974").
    async fn departement_number(&self) -> &str {
        self.row.departement
    }

    /// Name of its département, e.g. "Val-de-Marne".
    async fn departement_name(&self) -> &str {
        self.row.departement_name
    }

    /// Its postal codes, ascending.
    async fn postal_codes(&self) -> Vec<&str> {
        self.row
            .postal_codes
            .split(';')
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// True for a municipal arrondissement (Paris, Lyon, Marseille) rather than a
    /// commune.
    async fn arrondissement(&self) -> bool {
        self.row.arrondissement
    }
}

/// A commune a lookup candidate designates: one of the département (with everything
/// the directory knows), or one elsewhere in France.
#[derive(Union)]
pub enum AnyCommune<'a> {
    /// A commune of the département.
    Commune(Commune<'a>),
    /// A commune elsewhere in France.
    OtherCommune(OtherCommune),
}

/// One ranked candidate of a lookup.
pub struct CommuneCandidate<'a> {
    dir: &'a Snapshot,
    candidate: matcher::Candidate,
}

/// One ranked candidate of a lookup: the commune, how well and on what it matched.
#[Object]
impl<'a> CommuneCandidate<'a> {
    /// The commune.
    async fn commune(&self) -> Option<AnyCommune<'a>> {
        match self.candidate.target {
            Target::Commune(i) => Commune::at(self.dir, i).map(AnyCommune::Commune),
            Target::Other(i) => france()
                .row(i)
                .map(|row| AnyCommune::OtherCommune(OtherCommune { row })),
        }
    }

    /// 0 to 100, higher is better: 100 exact (name, alias or code), 70 the start of a
    /// name or one typo, 60 two typos, 50 a postal code whose name given with it does
    /// not fit; 5 less for a municipal arrondissement. Candidates come sorted by score,
    /// then the département's communes first, then completions before typos.
    async fn score(&self) -> i32 {
        i32::from(self.candidate.score)
    }

    /// What part of the text matched.
    async fn matched_on(&self) -> CommuneMatchedOn {
        self.candidate.matched_on.into()
    }

    /// The name, alias or code that matched, as officially written (e.g. "Nanterre"
    /// for "nantere", "Sèvres 92310" for "Sevres 92310").
    async fn matched(&self) -> &str {
        &self.candidate.matched
    }
}

/// The answer to `communeLookup(text:)`.
pub struct CommuneLookupResult<'a> {
    dir: &'a Snapshot,
    outcome: matcher::Outcome,
}

impl<'a> CommuneLookupResult<'a> {
    /// Looks `text` up in the snapshot.
    pub(crate) fn new(dir: &'a Snapshot, text: &str) -> Self {
        Self {
            dir,
            outcome: matcher::lookup(dir, text),
        }
    }
}

/// The answer to `communeLookup(text:)`: the commune if the text designates one of the
/// département, the candidates, and why, in words a frontend can show.
#[Object(name = "CommuneLookup")]
impl<'a> CommuneLookupResult<'a> {
    /// The commune of the département the text designates; null unless `reason` is
    /// EXACT, TYPO or POSTAL_CODE.
    #[graphql(name = "match")]
    async fn found(&self) -> Option<Commune<'a>> {
        self.outcome.found.and_then(|i| Commune::at(self.dir, i))
    }

    /// Candidates, best first (at most 10): the département's communes and the rest of
    /// France's, so a frontend can offer "did you mean…" or name another département.
    async fn candidates(&self) -> Vec<CommuneCandidate<'a>> {
        self.outcome
            .candidates
            .iter()
            .map(|candidate| CommuneCandidate {
                dir: self.dir,
                candidate: candidate.clone(),
            })
            .collect()
    }

    /// Why the lookup answers as it does.
    async fn reason(&self) -> CommuneLookupReason {
        self.outcome.reason.into()
    }

    /// A French sentence for the resident, e.g. "Paris n'est pas dans les
    /// Hauts-de-Seine." or "Vincennes (Val-de-Marne, 94) n'est pas dans les
    /// Hauts-de-Seine."
    async fn message(&self) -> &str {
        &self.outcome.message
    }
}
