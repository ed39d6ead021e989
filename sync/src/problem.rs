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
}

impl ProblemCode {
    /// The code as stored and shown (`INVALID_EMAIL`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnreadableFile => "UNREADABLE_FILE",
            Self::EmptyFile => "EMPTY_FILE",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::TooManyRows => "TOO_MANY_ROWS",
            Self::SheetTooLarge => "SHEET_TOO_LARGE",
            Self::MissingColumn => "MISSING_COLUMN",
            Self::NoDataRows => "NO_DATA_ROWS",
            Self::EmptyCell => "EMPTY_CELL",
            Self::CellError => "CELL_ERROR",
            Self::TextTooLong => "TEXT_TOO_LONG",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidPhone => "INVALID_PHONE",
            Self::UnknownTerritory => "UNKNOWN_TERRITORY",
            Self::UnknownCommune => "UNKNOWN_COMMUNE",
            Self::AmbiguousCommune => "AMBIGUOUS_COMMUNE",
            Self::DuplicateKey => "DUPLICATE_KEY",
            Self::DuplicateEmail => "DUPLICATE_EMAIL",
            Self::CommuneClaimedTwice => "COMMUNE_CLAIMED_TWICE",
            Self::IgnoredColumn => "IGNORED_COLUMN",
            Self::DuplicateColumn => "DUPLICATE_COLUMN",
            Self::BlankLine => "BLANK_LINE",
            Self::DuplicateRow => "DUPLICATE_ROW",
            Self::ConflictingDetails => "CONFLICTING_DETAILS",
        }
    }

    /// Whether the code blocks the import.
    pub fn severity(self) -> ProblemSeverity {
        match self {
            Self::IgnoredColumn
            | Self::DuplicateColumn
            | Self::BlankLine
            | Self::DuplicateRow
            | Self::ConflictingDetails => ProblemSeverity::Warning,
            _ => ProblemSeverity::Error,
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: &'static [ProblemCode] = &[
        Self::UnreadableFile,
        Self::EmptyFile,
        Self::FileTooLarge,
        Self::TooManyRows,
        Self::SheetTooLarge,
        Self::MissingColumn,
        Self::NoDataRows,
        Self::EmptyCell,
        Self::CellError,
        Self::TextTooLong,
        Self::InvalidEmail,
        Self::InvalidPhone,
        Self::UnknownTerritory,
        Self::UnknownCommune,
        Self::AmbiguousCommune,
        Self::DuplicateKey,
        Self::DuplicateEmail,
        Self::CommuneClaimedTwice,
        Self::IgnoredColumn,
        Self::DuplicateColumn,
        Self::BlankLine,
        Self::DuplicateRow,
        Self::ConflictingDetails,
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

/// Problems collected while reading and validating, errors and warnings together.
#[derive(Debug, Default, Clone)]
pub(crate) struct Problems {
    pub items: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.items.push(problem);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Problem::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|p| p.is_error()).count()
    }
}
