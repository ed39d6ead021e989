//! The used area of a workbook, bounded before calamine allocates it.
//!
//! calamine turns every sheet into a dense rectangle: from its first to its last
//! non-empty cell, every cell in between takes memory. One value in `XFD1048576` beside
//! `A1` is a rectangle of 2^34 cells, an allocation of 512 GiB that aborts the process
//! (no thread or `catch_unwind` survives running out of memory). So the size of that
//! rectangle is worked out first, from the file's own records, and a workbook over the
//! bounds below is refused before calamine reads it:
//!
//! - .ods and .xls: calamine reads every sheet when the file opens, so `ods_scan` and
//!   `biff_scan` go through `content.xml` and the BIFF records first;
//! - .xlsx: calamine streams the cells, and the reader stops as soon as a bound is
//!   crossed, before building the rectangle itself.
//!
//! The bounds hold for the whole workbook (every sheet is read), so that a file of many
//! sheets cannot add up what one sheet may not hold.

use crate::problem::{Problem, ProblemCode, thousands};

/// Most cells the sheets' rectangles (first to last non-empty cell) may hold together.
/// A roster of 50,000 people (`SYNC_MAX_ROWS`) on 30 columns fits. calamine keeps an
/// .ods or .xls sheet and hands out a copy, which the reader turns into text: about
/// 150 bytes per cell, text aside. At 2,000,000 cells the largest accepted .ods took
/// 285 MiB in `territoires sync`; at 1,500,000 it stays well under the 300 MiB the
/// service allows itself for any file.
pub(super) const MAX_CELLS: u64 = 1_500_000;

/// Most columns a sheet may use: wide HR extracts have a few hundred.
pub(super) const MAX_COLUMNS: u32 = 1_000;

/// Most text the cells may hold once read, repetitions included (an .ods cell repeated
/// over thousands of columns, an .xlsx shared string used by every cell): each byte is
/// held up to three times while reading.
pub(super) const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;

/// Most bytes one part of a zip-based workbook (a worksheet, `content.xml`) may inflate
/// to, counted as it inflates (not as the archive declares): the XML parsers, calamine's
/// and `ods_scan`'s, hold a whole text node in memory, however long. A 1,500,000-cell
/// .xlsx sheet takes about 50 MiB.
pub(super) const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes the shared strings of an .xlsx workbook may inflate to: calamine reads
/// them all into memory when the workbook opens, at about 40 bytes per string besides
/// its text.
pub(super) const MAX_SHARED_STRINGS_BYTES: u64 = 32 * 1024 * 1024;

/// Most bytes all the parts of a zip-based workbook may inflate to together, counted as
/// they inflate: the sizes an archive declares are its own to set (to 0 as well). A
/// roster of 20,000 people inflates to about 10 MiB; a small file inflating to
/// gigabytes (a "zip bomb"), or to many parts each just under [`MAX_PART_BYTES`], is
/// refused before inflating it costs minutes of CPU.
pub(super) const MAX_INFLATED_BYTES: u64 = 256 * 1024 * 1024;

/// Inflates every part of a zip-based workbook into nothing, counting, and refuses the
/// file at the first part over its bound or once all of them pass
/// [`MAX_INFLATED_BYTES`]. A file that is not an archive, or a part that cannot be
/// inflated, passes: calamine reports it in its own words.
pub(super) fn check_parts(bytes: &[u8]) -> Result<(), Problem> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total = 0u64;
    for index in 0..archive.len() {
        let Ok(part) = archive.by_index(index) else {
            continue;
        };
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let limit = if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            MAX_SHARED_STRINGS_BYTES
        } else {
            MAX_PART_BYTES
        };
        // Never inflate more than the total still allows, plus one byte to see it pass.
        let left = MAX_INFLATED_BYTES - total;
        let inflated = std::io::copy(
            &mut std::io::Read::take(part, limit.min(left) + 1),
            &mut std::io::sink(),
        )
        .unwrap_or(0);
        if inflated > left {
            return Err(Problem::new(
                ProblemCode::FileTooLarge,
                format!(
                    "Le classeur occupe plus de {} Mio une fois décompressé : il n'a pas été \
                     lu. Vérifiez qu'il s'agit bien de la liste des coordonnateurs.",
                    MAX_INFLATED_BYTES / (1024 * 1024)
                ),
            ));
        }
        total += inflated;
        if inflated > limit {
            return Err(Problem::new(
                ProblemCode::SheetTooLarge,
                format!(
                    "La partie « {name} » du classeur occupe plus de {} Mio une fois \
                     décompressée : le fichier n'a pas été lu. Une liste de coordonnateurs \
                     est bien plus petite ; vérifiez qu'il s'agit bien de ce fichier.",
                    limit / (1024 * 1024)
                ),
            ));
        }
    }
    Ok(())
}

/// What the whole workbook has used so far.
#[derive(Debug, Default)]
pub(super) struct Budget {
    /// Cells of the rectangles of the sheets already finished.
    cells: u64,
    /// Cell records or entries calamine keeps besides the rectangles.
    entries: u64,
    /// Bytes of text.
    text: u64,
}

impl Budget {
    /// The sheet's rectangle now counts against the next sheets.
    pub fn close(&mut self, sheet: &SheetScan) {
        let cells = sheet.extent.map_or(0, |e| e.cells());
        self.cells = self.cells.saturating_add(cells);
    }

    /// Counts `count` entries calamine keeps apart from the rectangle (cell records
    /// before they are placed, row records): refused beyond [`MAX_CELLS`].
    pub fn entries(&mut self, count: u64) -> Result<(), Problem> {
        self.entries = self.entries.saturating_add(count);
        if self.entries > MAX_CELLS {
            return Err(Problem::new(
                ProblemCode::SheetTooLarge,
                format!(
                    "Le classeur contient plus de {} cellules : il n'a pas été lu. Une liste de \
                     coordonnateurs en compte beaucoup moins ; vérifiez qu'il s'agit bien de ce \
                     fichier.",
                    thousands(MAX_CELLS)
                ),
            ));
        }
        Ok(())
    }

    /// Counts `bytes` of text held once read: refused beyond [`MAX_TEXT_BYTES`].
    pub fn text(&mut self, bytes: u64) -> Result<(), Problem> {
        self.text = self.text.saturating_add(bytes);
        if self.text > MAX_TEXT_BYTES {
            return Err(Problem::new(
                ProblemCode::SheetTooLarge,
                format!(
                    "Les cellules du classeur contiennent plus de {} Mio de texte : il n'a pas \
                     été lu. Une liste de coordonnateurs en contient beaucoup moins ; vérifiez \
                     qu'il s'agit bien de ce fichier.",
                    MAX_TEXT_BYTES / (1024 * 1024)
                ),
            ));
        }
        Ok(())
    }
}

/// The rectangle of one sheet's non-empty cells, as calamine would allocate it.
#[derive(Debug, Clone, Copy)]
struct Extent {
    first_row: u32,
    last_row: u32,
    first_column: u32,
    last_column: u32,
}

impl Extent {
    fn cells(&self) -> u64 {
        let rows = u64::from(self.last_row - self.first_row) + 1;
        let columns = u64::from(self.last_column - self.first_column) + 1;
        rows.saturating_mul(columns)
    }
}

/// Measures one sheet; each call checks the workbook's bounds at once, so that a reader
/// going through the cells can stop at the first one too many. [`Budget::close`] adds
/// the finished sheet to the workbook's count.
pub(super) struct SheetScan {
    name: String,
    extent: Option<Extent>,
}

impl SheetScan {
    /// Starts measuring the sheet `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            extent: None,
        }
    }

    /// Non-empty cells in rows `rows` and columns `columns` (0-based, inclusive), with
    /// `budget` holding the sheets before this one.
    pub fn used(
        &mut self,
        budget: &Budget,
        rows: (u32, u32),
        columns: (u32, u32),
    ) -> Result<(), Problem> {
        let (first_row, last_row) = (rows.0.min(rows.1), rows.0.max(rows.1));
        let (first_column, last_column) = (columns.0.min(columns.1), columns.0.max(columns.1));
        if last_column >= MAX_COLUMNS {
            return Err(Problem::new(
                ProblemCode::SheetTooLarge,
                format!(
                    "La feuille « {} » contient une valeur en {}, au-delà de la colonne {} \
                     (limite : {} colonnes) : le fichier n'a pas été lu. Supprimez les cellules \
                     inutiles (dans Excel, Ctrl+Fin montre la dernière cellule utilisée) et \
                     enregistrez à nouveau le fichier.",
                    self.name,
                    cell_reference(first_row, last_column),
                    column_letters(MAX_COLUMNS - 1),
                    thousands(u64::from(MAX_COLUMNS)),
                ),
            ));
        }
        let extent = match self.extent {
            None => Extent {
                first_row,
                last_row,
                first_column,
                last_column,
            },
            Some(e) => Extent {
                first_row: e.first_row.min(first_row),
                last_row: e.last_row.max(last_row),
                first_column: e.first_column.min(first_column),
                last_column: e.last_column.max(last_column),
            },
        };
        self.extent = Some(extent);
        let cells = extent.cells();
        if budget.cells.saturating_add(cells) > MAX_CELLS {
            return Err(Problem::new(
                ProblemCode::SheetTooLarge,
                format!(
                    "La feuille « {} » s'étend de {} à {}, soit {} cellules : au-delà de la \
                     limite de {} cellules pour le classeur, le fichier n'a pas été lu. \
                     Supprimez les lignes et les colonnes inutiles (dans Excel, Ctrl+Fin montre \
                     la dernière cellule utilisée) et enregistrez à nouveau le fichier.",
                    self.name,
                    cell_reference(extent.first_row, extent.first_column),
                    cell_reference(extent.last_row, extent.last_column),
                    thousands(cells),
                    thousands(MAX_CELLS),
                ),
            ));
        }
        Ok(())
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`, `16383` → `XFD`.
pub(super) fn column_letters(column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// The A1-style reference of a 0-based cell position.
pub(super) fn cell_reference(row: u32, column: u32) -> String {
    format!("{}{}", column_letters(column), u64::from(row) + 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn references_read_like_excel() {
        assert_eq!(cell_reference(0, 0), "A1");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(999), "ALL");
        assert_eq!(cell_reference(1_048_575, 16_383), "XFD1048576");
        assert_eq!(thousands(1_500_000), "1 500 000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn the_rectangle_not_the_count_of_cells_is_bounded() {
        let budget = Budget::default();
        let mut sheet = SheetScan::new("Feuil1");
        sheet.used(&budget, (0, 0), (0, 0)).unwrap();
        sheet.used(&budget, (1499, 1499), (999, 999)).unwrap();
        let problem = sheet.used(&budget, (1500, 1500), (0, 0)).unwrap_err();
        assert_eq!(problem.code, ProblemCode::SheetTooLarge);
        assert!(
            problem.message.contains("A1 à ALL1501"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn columns_past_the_limit_are_refused_by_name() {
        let budget = Budget::default();
        let problem = SheetScan::new("RH")
            .used(&budget, (999, 999), (0, 16_383))
            .unwrap_err();
        assert!(problem.message.contains("« RH »"), "{}", problem.message);
        assert!(problem.message.contains("XFD1000"), "{}", problem.message);
    }

    #[test]
    fn sheets_add_up() {
        let mut budget = Budget::default();
        for _ in 0..2 {
            let mut sheet = SheetScan::new("a");
            sheet.used(&budget, (0, 749), (0, 999)).unwrap();
            budget.close(&sheet);
        }
        assert!(SheetScan::new("c").used(&budget, (0, 0), (0, 0)).is_err());
        assert!(budget.text(MAX_TEXT_BYTES).is_ok());
        assert!(budget.text(1).is_err());
    }

    /// The fuzz corpus's hostile shapes (see `fuzz/README.md`), through the whole reader:
    /// each used to abort the process on a failed allocation of gigabytes.
    #[test]
    fn hostile_workbooks_are_refused_unread() {
        for (name, bytes) in [
            (
                "xfd1048576.xlsx",
                &include_bytes!("../../../fuzz/corpus/roster_file/hostile-xfd1048576.xlsx")[..],
            ),
            (
                "xfd1000.xlsx",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-xfd1000.xlsx"),
            ),
            (
                "repeated.ods",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-repeated.ods"),
            ),
            (
                "after-empty-rows.ods",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-after-empty-rows.ods"),
            ),
            (
                "spaces.ods",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-spaces.ods"),
            ),
            (
                "far-label.xls",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-far-label.xls"),
            ),
            (
                "dimensions.xls",
                include_bytes!("../../../fuzz/corpus/roster_file/hostile-dimensions.xls"),
            ),
        ] {
            let problem = crate::read::read_sheets(bytes, name).unwrap_err();
            assert_eq!(
                problem.code,
                ProblemCode::SheetTooLarge,
                "{name}: {problem:?}"
            );
        }
        let xfd = include_bytes!("../../../fuzz/corpus/roster_file/hostile-xfd1048576.xlsx");
        let problem = crate::read::read_sheets(xfd, "r.xlsx").unwrap_err();
        assert!(
            problem.message.contains("XFD1048576"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn ordinary_workbooks_pass() {
        for (name, bytes) in [
            (
                "lying-dimension.xlsx",
                &include_bytes!("../../../fuzz/corpus/roster_file/lying-dimension.xlsx")[..],
            ),
            (
                "empty-tail.ods",
                include_bytes!("../../../fuzz/corpus/roster_file/libreoffice-empty-tail.ods"),
            ),
            (
                "roster-92.xlsx",
                include_bytes!("../../../tests/fixtures/roster-92.xlsx"),
            ),
            (
                "hr-export.xlsx",
                include_bytes!("../../../tests/fixtures/roster-92-hr-export.xlsx"),
            ),
            (
                "roster-92.ods",
                include_bytes!("../../../tests/fixtures/roster-92.ods"),
            ),
            (
                "hr-export.xls",
                include_bytes!("../../../tests/fixtures/roster-92-hr-export.xls"),
            ),
        ] {
            let sheets = crate::read::read_sheets(bytes, name);
            assert!(sheets.is_ok(), "{name}: {sheets:?}");
        }
    }

    /// 1,000 columns (an HR extract as wide as allowed) are read in full.
    #[test]
    fn the_widest_sheet_allowed_is_read() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for column in 0..1000u16 {
            sheet.write_string(0, column, format!("C{column}")).unwrap();
            sheet.write_number(1, column, f64::from(column)).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let sheets = crate::read::read_sheets(&bytes, "r.xlsx").unwrap();
        assert_eq!(sheets[0].rows[1].len(), 1000);
        sheet_with_one_more_column_is_refused();
    }

    fn sheet_with_one_more_column_is_refused() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "Nom").unwrap();
        sheet.write_string(0, 1000, "x").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let problem = crate::read::read_sheets(&bytes, "r.xlsx").unwrap_err();
        assert_eq!(problem.code, ProblemCode::SheetTooLarge);
        assert!(problem.message.contains("ALM1"), "{}", problem.message);
    }
}
