//! The reference data embedded from `migration/data/` (see its README for sources).
//!
//! Parsed by hand: the files are ours, have no quoted fields, and a malformed line is a
//! build mistake caught by the tests below, reported as an error rather than a panic.

use sea_orm_migration::prelude::DbErr;

/// A commune of `communes-92.csv`.
pub struct CommuneRow {
    pub insee_code: &'static str,
    pub name: &'static str,
    pub postal_codes: Vec<&'static str>,
}

/// A collège of `colleges-92.csv`.
pub struct CollegeRow {
    pub uai: &'static str,
    pub name: &'static str,
    pub commune_insee: &'static str,
}

/// A coordinator of `coordinators.csv`.
pub struct CoordinatorRow {
    pub territory: i32,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub title: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
}

/// The data lines of an embedded CSV (header checked, then skipped), split on commas.
fn records(
    file: &'static str,
    text: &'static str,
    header: &str,
) -> Result<Vec<Vec<&'static str>>, DbErr> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(header) {
        return Err(DbErr::Custom(format!(
            "{file}: expected the header {header}"
        )));
    }
    let width = header.split(',').count();
    lines
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() == width && fields.iter().all(|f| !f.is_empty()) {
                Ok(fields)
            } else {
                Err(DbErr::Custom(format!(
                    "{file}: line {} is malformed",
                    i + 2
                )))
            }
        })
        .collect()
}

fn field(record: &[&'static str], index: usize) -> &'static str {
    record.get(index).copied().unwrap_or_default()
}

pub fn communes() -> Result<Vec<CommuneRow>, DbErr> {
    let text = include_str!("../data/communes-92.csv");
    records("communes-92.csv", text, "insee_code,name,postal_codes").map(|rows| {
        rows.iter()
            .map(|r| CommuneRow {
                insee_code: field(r, 0),
                name: field(r, 1),
                postal_codes: field(r, 2).split(';').map(str::trim).collect(),
            })
            .collect()
    })
}

pub fn colleges() -> Result<Vec<CollegeRow>, DbErr> {
    let text = include_str!("../data/colleges-92.csv");
    records("colleges-92.csv", text, "uai,name,commune_insee,sector").map(|rows| {
        rows.iter()
            .map(|r| CollegeRow {
                uai: field(r, 0),
                name: field(r, 1),
                commune_insee: field(r, 2),
            })
            .collect()
    })
}

/// `(insee_code, territory number)` for every commune.
pub fn commune_territories() -> Result<Vec<(&'static str, i32)>, DbErr> {
    let text = include_str!("../data/commune-territories.csv");
    records("commune-territories.csv", text, "insee_code,territory")?
        .iter()
        .map(|r| Ok((field(r, 0), number("commune-territories.csv", field(r, 1))?)))
        .collect()
}

/// `(insee_code, alias)` pairs.
pub fn commune_aliases() -> Result<Vec<(&'static str, &'static str)>, DbErr> {
    let text = include_str!("../data/commune-aliases.csv");
    records("commune-aliases.csv", text, "insee_code,alias")
        .map(|rows| rows.iter().map(|r| (field(r, 0), field(r, 1))).collect())
}

pub fn coordinators() -> Result<Vec<CoordinatorRow>, DbErr> {
    let text = include_str!("../data/coordinators.csv");
    records(
        "coordinators.csv",
        text,
        "territory,first_name,last_name,title,phone,email",
    )?
    .iter()
    .map(|r| {
        Ok(CoordinatorRow {
            territory: number("coordinators.csv", field(r, 0))?,
            first_name: field(r, 1),
            last_name: field(r, 2),
            title: field(r, 3),
            phone: field(r, 4),
            email: field(r, 5),
        })
    })
    .collect()
}

/// `(code, label)` in display order.
pub fn themes() -> Result<Vec<(&'static str, &'static str)>, DbErr> {
    let text = include_str!("../data/themes.csv");
    records("themes.csv", text, "code,label")
        .map(|rows| rows.iter().map(|r| (field(r, 0), field(r, 1))).collect())
}

fn number(file: &str, text: &str) -> Result<i32, DbErr> {
    text.parse()
        .map_err(|_| DbErr::Custom(format!("{file}: {text:?} is not a territory number")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn embedded_files_parse_and_agree() -> Result<(), DbErr> {
        let communes = communes()?;
        assert_eq!(communes.len(), 36);
        let insee: HashSet<_> = communes.iter().map(|c| c.insee_code).collect();
        assert_eq!(insee.len(), 36);

        let territories = commune_territories()?;
        assert_eq!(territories.len(), 36);
        assert!(
            territories
                .iter()
                .all(|(code, t)| insee.contains(code) && (1..=7).contains(t))
        );
        assert_eq!(territories.iter().filter(|(_, t)| *t == 5).count(), 10);

        let colleges = colleges()?;
        assert_eq!(colleges.len(), 98);
        assert!(
            colleges
                .iter()
                .all(|c| insee.contains(c.commune_insee) && c.uai.len() == 8)
        );

        assert!(
            commune_aliases()?
                .iter()
                .all(|(code, _)| insee.contains(code))
        );
        assert_eq!(coordinators()?.len(), 7);
        assert_eq!(themes()?.len(), 9);
        Ok(())
    }
}
