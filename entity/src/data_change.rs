//! What each data version changed: one row per version, written by
//! [`crate::data_version::bump`] in the transaction that writes, so every process (a
//! replica, the command line, the nightly import) records it and every subscriber reads
//! the same answer.
//!
//! The table is a bounded log: bumps remove the rows more than [`KEEP`] versions old. A
//! reader asking about versions whose rows are gone (or were written with a kind this
//! binary does not know) is told every kind: "something changed" is the safe answer.

use sea_orm::QuerySelect;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};

use crate::{DataChangeKind, Labelled};

/// Versions whose change is kept; a subscriber further behind than this is told every
/// kind.
pub const KEEP: i64 = 10_000;
/// Old rows are removed by one bump in this many, so most writes cost one statement more.
pub const PRUNE_EVERY: i64 = 100;

/// The change one data version made.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_changes")]
pub struct Model {
    /// The data version the write moved to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    /// What it changed, a [`DataChangeKind`] code (text, so a kind added by a newer
    /// binary does not make older ones fail to read the table).
    pub kind: String,
    /// When it was written (UTC).
    pub at: DateTimeUtc,
}

/// The log has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The kinds changed by the versions after `after` up to `upto` (both data versions), in
/// [`DataChangeKind::ALL`] order: every kind when a row is missing or unknown, none when
/// `upto <= after`. One grouped statement, a handful of rows whatever the range.
pub async fn kinds_between(
    db: &impl ConnectionTrait,
    after: i64,
    upto: i64,
) -> Result<Vec<DataChangeKind>, DbErr> {
    if upto <= after {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Expr::col(Column::Version).count(), "versions")
        .filter(Column::Version.gt(after))
        .filter(Column::Version.lte(upto))
        .group_by(Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(kinds_of(&rows, upto - after))
}

/// The kinds named by `rows` (kind code, versions of that kind) for `expected` versions.
fn kinds_of(rows: &[(String, i64)], expected: i64) -> Vec<DataChangeKind> {
    let recorded: i64 = rows.iter().map(|(_, count)| count).sum();
    let known = |code: &str| DataChangeKind::ALL.iter().any(|kind| kind.code() == code);
    if recorded < expected || rows.iter().any(|(code, _)| !known(code)) {
        return DataChangeKind::ALL.to_vec();
    }
    DataChangeKind::ALL
        .iter()
        .copied()
        .filter(|kind| rows.iter().any(|(code, _)| code == kind.code()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
        pairs.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
    }

    #[test]
    fn recorded_kinds_come_in_their_display_order() {
        let found = kinds_of(&rows(&[("PROJECTS", 2), ("ROSTER", 1)]), 3);
        assert_eq!(found, [DataChangeKind::Roster, DataChangeKind::Projects]);
    }

    #[test]
    fn a_missing_or_unknown_record_means_every_kind() {
        let all = DataChangeKind::ALL.to_vec();
        assert_eq!(kinds_of(&rows(&[("PROJECTS", 2)]), 3), all);
        assert_eq!(kinds_of(&rows(&[("PROJECTS", 1), ("LATER", 1)]), 2), all);
        assert_eq!(kinds_of(&[], 1), all);
    }
}
