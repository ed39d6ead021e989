//! Every French commune and municipal arrondissement outside the Hauts-de-Seine
//! (INSEE COG 2026, embedded from `api/data/communes-france.csv`), indexed once, on
//! first use, so a resident hears that Vincennes exists but lies elsewhere.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::index::Index;
use super::query::glue;

const CSV: &str = include_str!("../../../data/communes-france.csv");

/// The département the directory covers; its rows come from the database instead.
pub const DEPARTEMENT: &str = "92";

/// A commune (or municipal arrondissement) outside the département.
#[derive(Debug)]
pub struct OtherRow {
    /// INSEE code.
    pub insee_code: &'static str,
    /// Official name.
    pub name: &'static str,
    /// A municipal arrondissement of Paris, Lyon or Marseille rather than a commune.
    pub arrondissement: bool,
    /// Département number ("75", "2A", "974").
    pub departement: &'static str,
    /// Département name.
    pub departement_name: &'static str,
    /// Postal codes, `;`-separated.
    pub postal_codes: &'static str,
}

/// The communes outside the département and their indexes.
#[derive(Debug)]
pub struct France {
    /// The rows, in file order.
    pub rows: Vec<OtherRow>,
    /// Their names.
    pub names: Index,
    by_postal_code: HashMap<&'static str, Vec<u32>>,
    by_insee: HashMap<&'static str, u32>,
    /// How long building took.
    pub build_time: Duration,
}

impl France {
    fn build() -> Self {
        let started = Instant::now();
        let mut rows = Vec::new();
        for line in CSV.lines().skip(1) {
            let mut fields = line.split(',');
            let (
                Some(insee_code),
                Some(name),
                Some(kind),
                Some(departement),
                Some(departement_name),
                Some(postal_codes),
            ) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            )
            else {
                continue;
            };
            if departement == DEPARTEMENT {
                continue;
            }
            rows.push(OtherRow {
                insee_code,
                name,
                arrondissement: kind == "arrondissement",
                departement,
                departement_name,
                postal_codes,
            });
        }
        let names = Index::build(
            rows.iter()
                .enumerate()
                .map(|(i, row)| (glue(row.name), i as u32, 0)),
        );
        let mut by_postal_code: HashMap<&'static str, Vec<u32>> = HashMap::new();
        let mut by_insee = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            by_insee.insert(row.insee_code, i as u32);
            for code in row.postal_codes.split(';').filter(|c| !c.is_empty()) {
                by_postal_code.entry(code).or_default().push(i as u32);
            }
        }
        France {
            rows,
            names,
            by_postal_code,
            by_insee,
            build_time: started.elapsed(),
        }
    }

    /// The rows with this postal code.
    pub fn with_postal_code(&self, code: &str) -> &[u32] {
        self.by_postal_code.get(code).map_or(&[], Vec::as_slice)
    }

    /// The row with this INSEE code.
    pub fn by_insee(&self, code: &str) -> Option<u32> {
        self.by_insee.get(code).copied()
    }

    /// The row `id`.
    pub fn row(&self, id: u32) -> Option<&OtherRow> {
        self.rows.get(id as usize)
    }
}

/// The French communes, indexed on first call (a few tens of milliseconds).
pub fn france() -> &'static France {
    static FRANCE: OnceLock<France> = OnceLock::new();
    FRANCE.get_or_init(France::build)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_row_but_the_departements_is_loaded() {
        let france = france();
        assert_eq!(france.rows.len(), 34_969 + 45 - 36);
        let paris = france
            .by_insee("75056")
            .and_then(|i| france.row(i))
            .unwrap();
        assert_eq!((paris.name, paris.departement_name), ("Paris", "Paris"));
        assert_eq!(france.with_postal_code("94300").len(), 1);
        assert!(france.by_insee("92012").is_none());
        assert!(france.with_postal_code("92130").is_empty());
    }
}
