//! The pure parts of an import — reading a file, finding its header, extracting and
//! checking its rows — without a database, for the fuzz targets (`fuzz/`) and property
//! tests. Whatever the bytes, these return problems; they never panic.

use crate::problem::Problems;
use crate::read;
use crate::reference::{CommuneRef, Reference, TerritoryRef};
use crate::validate::validate;

/// What checking a file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    /// Data rows read.
    pub rows: usize,
    /// People the rows describe, when every check passed for them.
    pub valid: usize,
    /// Problems found (errors and warnings).
    pub problems: usize,
}

/// A small reference: 7 territories and a few communes with the seed's aliases, enough
/// for the territory and commune checks to run.
fn reference() -> Reference {
    let territories = (1..=7)
        .map(|number| TerritoryRef {
            id: number * 10,
            number,
            name: format!("Territoire {number}"),
        })
        .collect();
    let communes = [
        (1, "92004", "Asnières-sur-Seine", 1),
        (2, "92036", "Gennevilliers", 1),
        (3, "92035", "La Garenne-Colombes", 2),
        (4, "92024", "Clichy", 3),
        (5, "92050", "Nanterre", 4),
        (6, "92072", "Sèvres", 5),
        (7, "92020", "Châtillon", 6),
        (8, "92002", "Antony", 7),
    ]
    .into_iter()
    .map(|(id, insee_code, name, territory)| CommuneRef {
        id,
        insee_code: insee_code.to_owned(),
        name: name.to_owned(),
        territory,
    })
    .collect();
    let aliases = [(1, "Asnières".to_owned()), (3, "La Garenne".to_owned())];
    Reference::new(territories, communes, &aliases)
}

/// Reads `bytes` as a roster file named `file_name` and checks every row, as an import
/// would before planning.
pub fn check_file(bytes: &[u8], file_name: &str, max_rows: usize) -> Checked {
    let mut problems = Problems::default();
    let sheets = match read::read_sheets(bytes, file_name) {
        Ok(sheets) => sheets,
        Err(_) => {
            return Checked {
                problems: 1,
                ..Checked::default()
            };
        }
    };
    let columns = match read::find_header(&sheets) {
        Ok(columns) => columns,
        Err(found) => {
            return Checked {
                problems: found.len(),
                ..Checked::default()
            };
        }
    };
    let Some(sheet) = sheets.get(columns.sheet) else {
        return Checked::default();
    };
    let rows = read::extract_rows(sheet, &columns, max_rows, &mut problems);
    let roster = validate(&rows, &columns, &reference(), &mut problems, |_| {});
    Checked {
        rows: rows.len(),
        valid: roster.persons.len(),
        problems: usize::try_from(problems.count()).unwrap_or(usize::MAX),
    }
}

/// The territory number in a cell ("Territoire 3", "T3", "3", "Territoire 3 - Clichy").
pub fn parse_territory(text: &str) -> Option<i32> {
    crate::validate::parse_territory(text)
}

/// The commune names of a Communes cell (commas, semicolons, line breaks).
pub fn split_communes(text: &str) -> Vec<&str> {
    crate::validate::split_communes(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_a_csv_without_a_database() {
        let csv = "Nom;Prénom;Courriel;Territoire\nLARA;Sandrine;slara@hauts-de-seine.fr;T1\nX;Y;pas-un-courriel;9\n";
        let checked = check_file(csv.as_bytes(), "r.csv", 100);
        assert_eq!(checked.rows, 2);
        assert_eq!(checked.valid, 1);
        assert!(checked.problems >= 2, "{checked:?}");
        assert_eq!(check_file(b"", "r.xlsx", 100).rows, 0);
    }
}
