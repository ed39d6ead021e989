//! Problems found in a roster file: where (row and column as the administrator sees
//! them), a stable English code for programs, and a French message for people.

use entity::ProblemSeverity;
use serde::{Deserialize, Serialize};

/// What is wrong, as a stable code. Errors block the whole file; warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemCode {
    /// The file cannot be read as a spreadsheet or a CSV file.
    UnreadableFile,
    /// The file is empty or holds no cell at all.
    EmptyFile,
    /// The file ends mid-way (a CSV file whose last line has no line end): probably
    /// taken while it was still being copied.
    IncompleteFile,
    /// The file is larger than the configured limit.
    FileTooLarge,
    /// The file has more data rows than the configured limit.
    TooManyRows,
    /// A sheet's used area (first to last non-empty cell), its columns, its text or an
    /// inflated part of the workbook are beyond what the import reads: refused before
    /// the spreadsheet library allocates them.
    SheetTooLarge,
    /// A required column is missing (or no header row was found).
    MissingColumn,
    /// The header row is there but no coordinator row follows it.
    NoDataRows,
    /// A required cell is empty.
    EmptyCell,
    /// A cell holds a spreadsheet error (`#N/A`, `#REF!`…).
    CellError,
    /// A cell is implausibly long.
    TextTooLong,
    /// A cell holds a date or a true/false value where text, a matricule, a phone number
    /// or a territory is expected (Excel turns "5/3" into a date).
    WrongCellType,
    /// The e-mail address is malformed.
    InvalidEmail,
    /// The phone number is not a phone number.
    InvalidPhone,
    /// The territory cannot be read or does not exist.
    UnknownTerritory,
    /// A commune name matches no commune.
    UnknownCommune,
    /// A commune name matches several communes.
    AmbiguousCommune,
    /// Two rows share a key (matricule or e-mail) but describe different people.
    DuplicateKey,
    /// Two different people share an e-mail address.
    DuplicateEmail,
    /// A commune is listed under two territories.
    CommuneClaimedTwice,
    /// A row's e-mail, or name in the same territory, belongs to a stored person with
    /// another matricule: a matricule change (or an address taken over) to confirm by
    /// forcing the import. A warning in a forced import.
    MatriculeChange,
    /// Without a Matricule column, a row's name in the same territory belongs to a
    /// stored person with another e-mail: an e-mail change to confirm by forcing the
    /// import. A warning in a forced import.
    EmailChange,
    /// (warning) A column is not used by the import.
    IgnoredColumn,
    /// (warning) A column appears twice; the first one is used.
    DuplicateColumn,
    /// (warning) A blank line between coordinator rows.
    BlankLine,
    /// (warning) The same person and territory twice: the repetition is ignored.
    DuplicateRow,
    /// (warning) Two rows of the same person disagree on a detail; the first is kept.
    ConflictingDetails,
    /// (warning) More problems than a run keeps: this one counts the others.
    ProblemsOmitted,
}

impl ProblemCode {
    /// The code as stored and shown (`INVALID_EMAIL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnreadableFile => "UNREADABLE_FILE",
            Self::EmptyFile => "EMPTY_FILE",
            Self::IncompleteFile => "INCOMPLETE_FILE",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::TooManyRows => "TOO_MANY_ROWS",
            Self::SheetTooLarge => "SHEET_TOO_LARGE",
            Self::MissingColumn => "MISSING_COLUMN",
            Self::NoDataRows => "NO_DATA_ROWS",
            Self::EmptyCell => "EMPTY_CELL",
            Self::CellError => "CELL_ERROR",
            Self::TextTooLong => "TEXT_TOO_LONG",
            Self::WrongCellType => "WRONG_CELL_TYPE",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidPhone => "INVALID_PHONE",
            Self::UnknownTerritory => "UNKNOWN_TERRITORY",
            Self::UnknownCommune => "UNKNOWN_COMMUNE",
            Self::AmbiguousCommune => "AMBIGUOUS_COMMUNE",
            Self::DuplicateKey => "DUPLICATE_KEY",
            Self::DuplicateEmail => "DUPLICATE_EMAIL",
            Self::CommuneClaimedTwice => "COMMUNE_CLAIMED_TWICE",
            Self::MatriculeChange => "MATRICULE_CHANGE",
            Self::EmailChange => "EMAIL_CHANGE",
            Self::IgnoredColumn => "IGNORED_COLUMN",
            Self::DuplicateColumn => "DUPLICATE_COLUMN",
            Self::BlankLine => "BLANK_LINE",
            Self::DuplicateRow => "DUPLICATE_ROW",
            Self::ConflictingDetails => "CONFLICTING_DETAILS",
            Self::ProblemsOmitted => "PROBLEMS_OMITTED",
        }
    }

    /// Whether the code blocks the import.
    pub fn severity(self) -> ProblemSeverity {
        match self {
            Self::IgnoredColumn
            | Self::DuplicateColumn
            | Self::BlankLine
            | Self::DuplicateRow
            | Self::ConflictingDetails
            | Self::ProblemsOmitted => ProblemSeverity::Warning,
            _ => ProblemSeverity::Error,
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: &'static [ProblemCode] = &[
        Self::UnreadableFile,
        Self::EmptyFile,
        Self::IncompleteFile,
        Self::FileTooLarge,
        Self::TooManyRows,
        Self::SheetTooLarge,
        Self::MissingColumn,
        Self::NoDataRows,
        Self::EmptyCell,
        Self::CellError,
        Self::TextTooLong,
        Self::WrongCellType,
        Self::InvalidEmail,
        Self::InvalidPhone,
        Self::UnknownTerritory,
        Self::UnknownCommune,
        Self::AmbiguousCommune,
        Self::DuplicateKey,
        Self::DuplicateEmail,
        Self::CommuneClaimedTwice,
        Self::MatriculeChange,
        Self::EmailChange,
        Self::IgnoredColumn,
        Self::DuplicateColumn,
        Self::BlankLine,
        Self::DuplicateRow,
        Self::ConflictingDetails,
        Self::ProblemsOmitted,
    ];
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Error (blocks the file) or warning.
    pub severity: ProblemSeverity,
    /// The row number as the spreadsheet program shows it (1-based), if the problem has one.
    pub row: Option<u32>,
    /// The column header as written in the file, if the problem has one.
    pub column: Option<String>,
    /// Stable code.
    pub code: ProblemCode,
    /// French explanation for the administrator.
    pub message: String,
}

impl Problem {
    /// A problem with `code` (its severity follows from the code).
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            severity: code.severity(),
            row: None,
            column: None,
            code,
            message: message.into(),
        }
    }

    /// The same problem at spreadsheet row `row`.
    pub fn at_row(mut self, row: u32) -> Self {
        self.row = Some(row);
        self
    }

    /// The same problem in the column headed `column`.
    pub fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// Whether the problem blocks the import.
    pub fn is_error(&self) -> bool {
        self.severity == ProblemSeverity::Error
    }

    /// "Ligne 5, colonne « Courriel »" — where the problem is, in French.
    pub fn location(&self) -> String {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => format!("Ligne {row}, colonne « {column} »"),
            (Some(row), None) => format!("Ligne {row}"),
            (None, Some(column)) => format!("Colonne « {column} »"),
            (None, None) => "Fichier".to_owned(),
        }
    }
}

/// Most problems a run keeps (and stores): the first ones in file order, errors before
/// warnings. A file with 200,000 columns or rows in error would otherwise store as many
/// problem rows; past this, the rest are only counted, in one last problem.
pub const MAX_KEPT_PROBLEMS: usize = 1000;

/// A kept problem and where it falls in the file. The heap of kept problems is ordered
/// so that its top is the one to give up first when a better-placed one arrives.
#[derive(Debug, Clone)]
struct Ranked {
    /// Warnings give way to errors, later rows to earlier ones, then later to earlier.
    rank: (bool, u32, u64),
    problem: Problem,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// Problems collected while reading, validating and planning, errors and warnings
/// together. At most [`MAX_KEPT_PROBLEMS`] are held whatever the file: the best placed
/// (errors first, then file order); every one is counted.
#[derive(Debug, Clone)]
pub(crate) struct Problems {
    kept: std::collections::BinaryHeap<Ranked>,
    limit: usize,
    pushed: u64,
    errors: u64,
    omitted_errors: u64,
    omitted_warnings: u64,
}

impl Default for Problems {
    fn default() -> Self {
        Self::with_limit(MAX_KEPT_PROBLEMS)
    }
}

/// The problems of a run as reported: in file order, at most the limit in all.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reported {
    /// Kept problems sorted by row (file-level ones first); when some were left out, the
    /// last item counts them ([`ProblemCode::ProblemsOmitted`]).
    pub items: Vec<Problem>,
    /// Problems counted but not kept.
    pub omitted: u64,
    /// Errors among them.
    pub omitted_errors: u64,
}

impl Problems {
    /// A collector keeping at most `limit` problems (at least 2: one kept, one summary).
    pub fn with_limit(limit: usize) -> Self {
        let limit = limit.max(2);
        Self {
            kept: std::collections::BinaryHeap::with_capacity(limit.min(64)),
            limit,
            pushed: 0,
            errors: 0,
            omitted_errors: 0,
            omitted_warnings: 0,
        }
    }

    pub fn push(&mut self, problem: Problem) {
        let error = problem.is_error();
        if error {
            self.errors += 1;
        }
        let ranked = Ranked {
            rank: (!error, problem.row.unwrap_or(0), self.pushed),
            problem,
        };
        self.pushed += 1;
        if self.kept.len() < self.limit {
            self.kept.push(ranked);
            return;
        }
        let better = self.kept.peek().is_some_and(|worst| ranked < *worst);
        let dropped = if better {
            let dropped = self.kept.pop();
            self.kept.push(ranked);
            dropped
        } else {
            Some(ranked)
        };
        if let Some(dropped) = dropped {
            self.count_omitted(&dropped.problem);
        }
    }

    fn count_omitted(&mut self, problem: &Problem) {
        if problem.is_error() {
            self.omitted_errors += 1;
        } else {
            self.omitted_warnings += 1;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Errors pushed, kept or not.
    pub fn error_count(&self) -> u64 {
        self.errors
    }

    /// Problems pushed, kept or not.
    pub fn count(&self) -> u64 {
        self.pushed
    }

    /// The problems in file order (stable: the order found within a row), at most the
    /// limit including the summary of those left out.
    pub fn into_reported(mut self) -> Reported {
        if self.omitted_errors + self.omitted_warnings > 0 {
            // One more gives its place to the summary.
            if let Some(dropped) = self.kept.pop() {
                self.count_omitted(&dropped.problem);
            }
        }
        let mut kept = self.kept.into_vec();
        kept.sort_by_key(|ranked| (ranked.problem.row.unwrap_or(0), ranked.rank.2));
        let mut items: Vec<Problem> = kept.into_iter().map(|ranked| ranked.problem).collect();
        let omitted = self.omitted_errors + self.omitted_warnings;
        if omitted > 0 {
            items.push(omitted_summary(items.len(), omitted, self.omitted_errors));
        }
        Reported {
            items,
            omitted,
            omitted_errors: self.omitted_errors,
        }
    }
}

/// "… et 199 000 autres problèmes" — the last problem of a run that kept only some.
fn omitted_summary(kept: usize, omitted: u64, omitted_errors: u64) -> Problem {
    let errors = match omitted_errors {
        0 => String::new(),
        1 => " (dont 1 erreur)".to_owned(),
        n => format!(" (dont {} erreurs)", thousands(n)),
    };
    let others = if omitted == 1 {
        "autre problème".to_owned()
    } else {
        "autres problèmes".to_owned()
    };
    Problem::new(
        ProblemCode::ProblemsOmitted,
        format!(
            "… et {} {others}{errors}, non détaillés : seuls les {} premiers sont \
             conservés, erreurs d'abord. Corrigez-les puis relancez l'import pour voir la \
             suite.",
            thousands(omitted),
            thousands(kept as u64)
        ),
    )
}

/// A count as French text writes it: `199 000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn at(code: ProblemCode, row: u32) -> Problem {
        Problem::new(code, "x").at_row(row)
    }

    #[test]
    fn problems_come_in_file_order() {
        let mut problems = Problems::default();
        problems.push(at(ProblemCode::CellError, 9));
        problems.push(at(ProblemCode::EmptyCell, 3));
        problems.push(at(ProblemCode::InvalidEmail, 3));
        problems.push(Problem::new(ProblemCode::IgnoredColumn, "x"));
        let reported = problems.into_reported();
        let found: Vec<_> = reported.items.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(
            found,
            vec![
                (None, ProblemCode::IgnoredColumn),
                (Some(3), ProblemCode::EmptyCell),
                (Some(3), ProblemCode::InvalidEmail),
                (Some(9), ProblemCode::CellError),
            ]
        );
        assert_eq!(reported.omitted, 0);
    }

    #[test]
    fn past_the_limit_the_first_errors_are_kept_and_the_rest_counted() {
        let mut problems = Problems::with_limit(4);
        for row in (2..200_002).rev() {
            problems.push(at(ProblemCode::IgnoredColumn, 1));
            problems.push(at(ProblemCode::InvalidEmail, row));
        }
        assert_eq!(problems.count(), 400_000);
        assert_eq!(problems.error_count(), 200_000);
        let reported = problems.into_reported();
        let found: Vec<_> = reported.items.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(
            found,
            vec![
                (Some(2), ProblemCode::InvalidEmail),
                (Some(3), ProblemCode::InvalidEmail),
                (Some(4), ProblemCode::InvalidEmail),
                (None, ProblemCode::ProblemsOmitted),
            ]
        );
        assert_eq!(
            (reported.omitted, reported.omitted_errors),
            (399_997, 199_997)
        );
        let summary = &reported.items[3].message;
        assert!(
            summary.contains("… et 399 997 autres problèmes (dont 199 997 erreurs)"),
            "{summary}"
        );
    }

    #[test]
    fn counts_read_as_french() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1 000");
        assert_eq!(thousands(199_000), "199 000");
        assert_eq!(thousands(1_234_567), "1 234 567");
    }
}
