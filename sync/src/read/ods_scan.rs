//! The used area of an OpenDocument spreadsheet, from `content.xml`, before calamine
//! reads it (see `bounds`).
//!
//! A row or a cell may stand for many: `table:number-rows-repeated` and
//! `table:number-columns-repeated`. LibreOffice writes the empty rest of a sheet that
//! way (a last row repeated a million times, a last cell repeated over 16,000 columns):
//! empty repetitions cost calamine nothing once no value follows them, and count for
//! nothing here. A repeated cell *with a value*, or any value after repeated empty rows
//! or cells, is expanded by calamine and counts in full. This follows calamine 0.38's
//! `ods.rs` (`read_table`, `read_row`, `get_range`), erring on the side of counting: a
//! cell is "used" as soon as it has a value, a value type or a formula.

use std::io::{BufReader, Cursor};

use quick_xml::events::{BytesStart, Event};

use super::bounds::{Budget, SheetScan};
use crate::problem::Problem;

/// calamine's caps on one table: rows (repetitions included) and cells of a row.
const CALAMINE_MAX_ROWS: u64 = 1_048_576;
const CALAMINE_MAX_COLUMNS: u64 = 16_384;

/// Cell attributes that make calamine keep the cell (a value, its type or a formula).
const VALUE_ATTRIBUTES: &[&str] = &[
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
    "office:value-type",
    "calcext:value-type",
    "table:formula",
];

/// Cell attributes calamine keeps as text.
const TEXT_ATTRIBUTES: &[&str] = &[
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "table:formula",
];

/// Why the scan stopped early.
pub(super) enum Stop {
    /// A bound is crossed: the problem to report.
    TooLarge(Problem),
    /// `content.xml` is not well-formed XML: calamine's parser (the same, configured
    /// alike) stops at the same place, so the file is unreadable.
    Malformed,
}

impl From<Problem> for Stop {
    fn from(problem: Problem) -> Self {
        Self::TooLarge(problem)
    }
}

/// Measures every table of the .ods `bytes` into `budget`. A file that is not a zip
/// archive or has no `content.xml` passes: calamine reports it in its own words.
pub(super) fn scan(bytes: &[u8], budget: &mut Budget) -> Result<(), Stop> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;

    let mut buf = Vec::with_capacity(1024);
    let mut table: Option<Table> = None;
    // Depth of the tables open inside a cell of `table`: calamine skips their rows and
    // cells and reads the outer table to its own end, so only its end closes it.
    let mut nested = 0u32;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| Stop::Malformed)?;
        match event {
            Event::Start(e) | Event::Empty(e)
                if e.name().as_ref() == "table:table" && table.is_none() =>
            {
                let name = attribute(&e, "table:name").unwrap_or_default();
                table = Some(Table::new(SheetScan::new(&name)));
            }
            // A table inside a cell: its text counts with the cell around it.
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                nested = nested.saturating_add(1);
            }
            Event::End(e) if e.name().as_ref() == "table:table" && nested > 0 => {
                nested -= 1;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(done) = table.take() {
                    done.finish(budget)?;
                }
            }
            Event::Start(e) if nested == 0 && e.name().as_ref() == "table:table-row" => {
                if let Some(table) = table.as_mut() {
                    table.start_row(&e, budget)?;
                }
            }
            Event::Empty(e) if nested == 0 && e.name().as_ref() == "table:table-row" => {
                if let Some(table) = table.as_mut() {
                    table.start_row(&e, budget)?;
                    table.end_row(budget)?;
                }
            }
            Event::End(e) if nested == 0 && e.name().as_ref() == "table:table-row" => {
                if let Some(table) = table.as_mut() {
                    table.end_row(budget)?;
                }
            }
            Event::Start(e)
                if nested == 0
                    && matches!(
                        e.name().as_ref(),
                        "table:table-cell" | "table:covered-table-cell"
                    ) =>
            {
                if let Some(table) = table.as_mut() {
                    table.start_cell(&e);
                }
            }
            Event::Empty(e)
                if nested == 0
                    && matches!(
                        e.name().as_ref(),
                        "table:table-cell" | "table:covered-table-cell"
                    ) =>
            {
                if let Some(table) = table.as_mut() {
                    table.start_cell(&e);
                    table.end_cell();
                }
            }
            Event::End(e)
                if nested == 0
                    && matches!(
                        e.name().as_ref(),
                        "table:table-cell" | "table:covered-table-cell"
                    ) =>
            {
                if let Some(table) = table.as_mut() {
                    table.end_cell();
                }
            }
            // Inside a cell: its text (paragraphs, `text:s` runs of spaces) once read.
            Event::Start(e) | Event::Empty(e) => {
                if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                    let spaces = if e.name().as_ref() == "text:s" {
                        attribute(&e, "text:c")
                            .and_then(|c| c.parse::<u64>().ok())
                            .unwrap_or(1)
                    } else {
                        1
                    };
                    cell.text = cell.text.saturating_add(spaces);
                }
            }
            Event::Text(t) => {
                if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                    cell.text = cell.text.saturating_add(t.len() as u64);
                }
            }
            Event::CData(t) => {
                if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                    cell.text = cell.text.saturating_add(t.len() as u64);
                }
            }
            Event::GeneralRef(t) => {
                if let Some(cell) = table.as_mut().and_then(|t| t.cell.as_mut()) {
                    cell.text = cell.text.saturating_add(t.len() as u64 + 2);
                }
            }
            Event::Eof => break,
            _ => (),
        }
        buf.clear();
    }
    if let Some(table) = table.take() {
        table.finish(budget)?;
    }
    Ok(())
}

/// The value of attribute `key` (qualified name, as calamine matches it), entities
/// decoded as calamine decodes them before reading a number: `&#49;000` is 1000.
fn attribute(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| match quick_xml::escape::unescape(&a.value) {
            Ok(value) => value.into_owned(),
            Err(_) => a.value.into_owned(),
        })
}

/// A repetition count; an unreadable one makes calamine fail, so 1 is as good as any.
fn repeats(e: &BytesStart<'_>, key: &str) -> u64 {
    attribute(e, key)
        .and_then(|value| value.parse::<u64>().ok())
        .unwrap_or(1)
}

/// One table being measured.
struct Table {
    scan: SheetScan,
    /// The 0-based row of the next row element (repetitions included, capped).
    next_row: u64,
    row: Option<Row>,
    cell: Option<CellScan>,
}

/// The row element being measured.
struct Row {
    repeats: u64,
    /// Columns taken so far (repetitions included, capped as calamine caps them).
    width: u64,
    /// First and last used column.
    used: Option<(u64, u64)>,
    /// Bytes of text of one copy of the row.
    text: u64,
}

/// The cell element being measured.
struct CellScan {
    repeats: u64,
    used: bool,
    text: u64,
}

impl Table {
    fn new(scan: SheetScan) -> Self {
        Self {
            scan,
            next_row: 0,
            row: None,
            cell: None,
        }
    }

    fn start_row(&mut self, e: &BytesStart<'_>, budget: &mut Budget) -> Result<(), Problem> {
        let remaining = CALAMINE_MAX_ROWS.saturating_sub(self.next_row);
        // calamine keeps two numbers per row element, whatever it holds.
        budget.entries(1)?;
        self.row = Some(Row {
            repeats: repeats(e, "table:number-rows-repeated").min(remaining),
            width: 0,
            used: None,
            text: 0,
        });
        Ok(())
    }

    fn start_cell(&mut self, e: &BytesStart<'_>) {
        let used = e
            .attributes()
            .with_checks(false)
            .flatten()
            .any(|a| VALUE_ATTRIBUTES.contains(&a.key.as_ref()));
        // The attribute values calamine keeps as text (the string value, the formula).
        let text = if used {
            e.attributes()
                .with_checks(false)
                .flatten()
                .filter(|a| TEXT_ATTRIBUTES.contains(&a.key.as_ref()))
                .map(|a| a.value.len() as u64)
                .sum()
        } else {
            0
        };
        self.cell = Some(CellScan {
            repeats: repeats(e, "table:number-columns-repeated"),
            used,
            text,
        });
    }

    fn end_cell(&mut self) {
        let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_mut()) else {
            return;
        };
        let first = row.width;
        let repeats = cell.repeats.min(CALAMINE_MAX_COLUMNS.saturating_sub(first));
        row.width = first.saturating_add(repeats);
        if cell.used && repeats > 0 {
            let last = first + repeats - 1;
            row.used = Some(row.used.map_or((first, last), |(from, _)| (from, last)));
            row.text = row.text.saturating_add(cell.text.saturating_mul(repeats));
        }
    }

    fn end_row(&mut self, budget: &mut Budget) -> Result<(), Problem> {
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        let first_row = self.next_row;
        self.next_row = self.next_row.saturating_add(row.repeats);
        let Some((from, to)) = row.used else {
            return Ok(());
        };
        if row.repeats == 0 {
            return Ok(());
        }
        // calamine stores the row up to its last used cell once, then copies it for
        // each repetition into the sheet's rectangle.
        budget.entries(to + 1)?;
        budget.text(row.text.saturating_mul(row.repeats))?;
        let last_row = first_row + row.repeats - 1;
        self.scan.used(
            budget,
            (to_u32(first_row), to_u32(last_row)),
            (to_u32(from), to_u32(to)),
        )
    }

    fn finish(mut self, budget: &mut Budget) -> Result<(), Problem> {
        // A row left open by a truncated file still counts.
        self.end_cell();
        self.end_row(budget)?;
        budget.close(&self.scan);
        Ok(())
    }
}

fn to_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(super) mod tests {
    use std::io::Write;

    use super::*;
    use crate::problem::ProblemCode;

    /// An .ods file whose single table holds `rows` (XML of `table:table-row` elements).
    pub(crate) fn ods_with_rows(rows: &str) -> Vec<u8> {
        let mut buffer = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut buffer);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("mimetype", stored).unwrap();
        writer
            .write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        writer
            .start_file("META-INF/manifest.xml", deflated)
            .unwrap();
        writer
            .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)
            .unwrap();
        writer.start_file("content.xml", deflated).unwrap();
        write!(
            writer,
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Feuille1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        )
        .unwrap();
        writer.finish().unwrap();
        buffer.into_inner()
    }

    fn scanned(rows: &str) -> Result<(), ProblemCode> {
        let mut budget = Budget::default();
        scan(&ods_with_rows(rows), &mut budget).map_err(|stop| match stop {
            Stop::TooLarge(problem) => problem.code,
            Stop::Malformed => ProblemCode::UnreadableFile,
        })
    }

    const NOM: &str = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Nom</text:p></table:table-cell></table:table-row>"#;

    #[test]
    fn empty_repetitions_at_the_end_are_free() {
        let libreoffice_tail = format!(
            r#"{NOM}<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#
        );
        assert_eq!(scanned(&libreoffice_tail), Ok(()));
    }

    #[test]
    fn repeated_values_count_in_full() {
        let wide = format!(
            r#"{NOM}<table:table-row table:number-rows-repeated="1000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#
        );
        assert_eq!(scanned(&wide), Err(ProblemCode::SheetTooLarge));
        let tall = format!(
            r#"{NOM}<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="500"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#
        );
        assert_eq!(scanned(&tall), Err(ProblemCode::SheetTooLarge));
    }

    #[test]
    fn repeated_text_counts_in_full() {
        let spaces = format!(
            r#"{NOM}<table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="100000000"/></text:p></table:table-cell></table:table-row>"#
        );
        assert_eq!(scanned(&spaces), Err(ProblemCode::SheetTooLarge));
    }

    #[test]
    fn a_table_nested_in_a_cell_does_not_end_the_scan() {
        let nested = format!(
            r#"{NOM}<table:table-row><table:table-cell><table:table table:name="inner"><table:table-row><table:table-cell/></table:table-row></table:table></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#
        );
        assert_eq!(scanned(&nested), Err(ProblemCode::SheetTooLarge));
    }

    #[test]
    fn repeat_counts_written_with_entities_are_decoded() {
        let wide = format!(
            r#"{NOM}<table:table-row table:number-rows-repeated="&#49;000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="&#49;6384"/></table:table-row>"#
        );
        assert_eq!(scanned(&wide), Err(ProblemCode::SheetTooLarge));
        let spaces = format!(
            r#"{NOM}<table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="&#49;00000000"/></text:p></table:table-cell></table:table-row>"#
        );
        assert_eq!(scanned(&spaces), Err(ProblemCode::SheetTooLarge));
    }

    #[test]
    fn the_fixture_passes() {
        let mut budget = Budget::default();
        let fixture = include_bytes!("../../../tests/fixtures/roster-92.ods");
        assert!(scan(fixture, &mut budget).is_ok());
    }
}
