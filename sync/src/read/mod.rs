//! Reading a roster file into sheets of cells.
//!
//! The format is told by the content (magic bytes), not only by the name: a text file
//! named `.xlsx` is a clear error, an `.xlsx` named `.csv` is still read. Numbers and
//! formulas (by their cached value) become text here, so the rest of the import sees
//! `104200` whether the matricule was typed as a number or as text. Dates and true/false
//! values keep their type beside the text the spreadsheet shows: Excel turns "5/3" typed
//! in a Territoire cell into 5 March, and only the type tells it from a territory.

mod biff_scan;
mod bounds;
mod columns;
mod compound_file;
mod delimited;
mod ods_scan;
mod spreadsheet;

pub(crate) use columns::{Columns, Field, RawRow, extract_rows, find_header};

use crate::problem::{Problem, ProblemCode};

/// One cell: text, or a value whose type matters to the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    /// Nothing, or only spaces.
    Empty,
    /// A value, converted to text and trimmed.
    Text(String),
    /// A date or a time, as the spreadsheet shows it (`05/03/2026`).
    Date(String),
    /// A true/false value.
    Bool(bool),
    /// A spreadsheet error such as `#N/A`.
    Error(String),
}

impl Cell {
    /// The cell from a piece of text, empty when blank.
    pub fn text(value: &str) -> Self {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            Self::Empty
        } else {
            Self::Text(trimmed.to_owned())
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// What a French spreadsheet program shows for a date or a true/false value.
    pub fn shown(&self) -> &str {
        match self {
            Self::Empty => "",
            Self::Text(text) | Self::Date(text) | Self::Error(text) => text,
            Self::Bool(true) => "VRAI",
            Self::Bool(false) => "FAUX",
        }
    }
}

/// One sheet: its rows from `first_row` (0-based, as in the file) down.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    /// The sheet's name (the file name for a CSV file).
    pub name: String,
    /// The 0-based index, in the file, of `rows[0]`: calamine starts ranges at the first
    /// non-empty row, so row numbers shown to people add it (upstream issue #147).
    pub first_row: u32,
    /// The 0-based index, in the file, of each row's first cell (calamine's range starts
    /// at the first non-empty column): the annotated copy puts cells back where they were.
    pub first_column: u32,
    /// The rows, each a list of cells from the range's first column.
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// The row number a spreadsheet program shows for `rows[index]`.
    pub fn row_number(&self, index: usize) -> u32 {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        self.first_row.saturating_add(index).saturating_add(1)
    }
}

/// The formats the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Office Open XML workbook (Excel 2007+).
    Xlsx,
    /// Excel 97–2003 binary workbook.
    Xls,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
    /// Comma-, semicolon- or tab-separated text.
    Csv,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// The lower-cased extension of `file_name`, without the dot.
fn extension(file_name: &str) -> String {
    std::path::Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Tells the format from the bytes; the name only decides how to word an error.
pub(crate) fn detect_format(bytes: &[u8], file_name: &str) -> Result<Format, Problem> {
    if bytes.is_empty() {
        return Err(Problem::new(
            ProblemCode::EmptyFile,
            "Le fichier est vide (0 octet).",
        ));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        // An OpenDocument file stores its media type, uncompressed, as the first entry.
        let is_ods = bytes.get(30..38) == Some(b"mimetype".as_slice())
            && bytes
                .get(38..)
                .is_some_and(|rest| rest.starts_with(ODS_MIMETYPE));
        return Ok(if is_ods { Format::Ods } else { Format::Xlsx });
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Ok(Format::Xls);
    }
    let ext = extension(file_name);
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods" | "xlsb") {
        return Err(Problem::new(
            ProblemCode::UnreadableFile,
            format!(
                "Le fichier porte l'extension .{ext} mais son contenu n'est pas un classeur \
                 (c'est peut-être un fichier texte ou un autre document renommé). \
                 Ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx, .ods ou .csv."
            ),
        ));
    }
    Ok(Format::Csv)
}

/// Reads every sheet of the file (one for a CSV file).
pub(crate) fn read_sheets(bytes: &[u8], file_name: &str) -> Result<Vec<Sheet>, Problem> {
    match detect_format(bytes, file_name)? {
        Format::Csv => delimited::read(bytes, file_name).map(|sheet| vec![sheet]),
        format => spreadsheet::read(bytes, format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_content() {
        assert_eq!(detect_format(b"PK\x03\x04rest", "a.csv"), Ok(Format::Xlsx));
        assert_eq!(detect_format(OLE_MAGIC, "a.xlsx"), Ok(Format::Xls));
        assert_eq!(detect_format(b"Nom;Prenom", "a.csv"), Ok(Format::Csv));
        assert_eq!(detect_format(b"Nom;Prenom", "a"), Ok(Format::Csv));
        let mut ods = b"PK\x03\x04".to_vec();
        ods.resize(30, 0);
        ods.extend_from_slice(b"mimetype");
        ods.extend_from_slice(ODS_MIMETYPE);
        assert_eq!(detect_format(&ods, "roster"), Ok(Format::Ods));
    }

    #[test]
    fn text_named_like_a_workbook_is_a_clear_error() {
        let problem = detect_format(b"Nom,Prenom\n", "roster.XLSX").err();
        assert_eq!(problem.map(|p| p.code), Some(ProblemCode::UnreadableFile));
        let empty = detect_format(b"", "roster.xlsx").err();
        assert_eq!(empty.map(|p| p.code), Some(ProblemCode::EmptyFile));
    }

    #[test]
    fn corrupt_workbooks_are_problems_not_panics() {
        for bytes in [
            b"PK\x03\x04garbage".to_vec(),
            OLE_MAGIC.to_vec(),
            [OLE_MAGIC, &[0u8; 600]].concat(),
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(),
            // Found by fuzzing: calamine panics on this .xls (a sector chain that points
            // past the end of the file).
            include_bytes!("testdata/xls-sector-chain-past-end.xls").to_vec(),
            // Found by fuzzing: 10 KB that made calamine allocate 2 GB.
            include_bytes!("testdata/xls-oversized-fat.xls").to_vec(),
        ] {
            let result = read_sheets(&bytes, "x.xlsx");
            assert_eq!(
                result.err().map(|p| p.code),
                Some(ProblemCode::UnreadableFile)
            );
        }
    }

    #[test]
    fn row_numbers_add_the_range_start() {
        let sheet = Sheet {
            name: "s".into(),
            first_row: 3,
            first_column: 0,
            rows: vec![vec![], vec![]],
        };
        assert_eq!(sheet.row_number(0), 4);
        assert_eq!(sheet.row_number(1), 5);
    }
}
