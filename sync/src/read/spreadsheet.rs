//! Workbooks (.xlsx, .xls, .ods) through calamine.

use std::io::Cursor;

use calamine::{Data, DataRef, Ods, Range, Reader, Xls, Xlsx, XlsxError, open_workbook_from_rs};

use super::bounds::{Budget, SheetScan};
use super::{Cell, Format, Sheet, biff_scan, ods_scan};
use crate::problem::{Problem, ProblemCode};

/// Reads every sheet, in workbook order. A sheet that cannot be read is skipped when
/// another can; a workbook none of whose sheets can be read is unreadable. A workbook
/// over the bounds of `bounds` is refused before calamine allocates its sheets.
pub(super) fn read(bytes: &[u8], format: Format) -> Result<Vec<Sheet>, Problem> {
    let unreadable = || Problem::new(ProblemCode::UnreadableFile, unreadable_message(format));
    match format {
        Format::Xls => {
            let stream = match super::compound_file::workbook_stream(bytes) {
                Ok(Some(stream)) => stream,
                Ok(None) => {
                    tracing::info!("roster workbook has no workbook stream calamine can read");
                    return Err(unreadable());
                }
                Err(corrupt) => {
                    tracing::info!(?corrupt, "roster workbook refused before reading");
                    return Err(unreadable());
                }
            };
            biff_scan::scan(&stream, &mut Budget::default())?;
        }
        Format::Ods => {
            super::bounds::check_parts(bytes)?;
            match ods_scan::scan(bytes, &mut Budget::default()) {
                Ok(()) => (),
                Err(ods_scan::Stop::TooLarge(problem)) => return Err(problem),
                Err(ods_scan::Stop::Malformed) => return Err(unreadable()),
            }
        }
        _ => {
            super::bounds::check_parts(bytes)?;
        }
    }
    // calamine trusts some offsets of the file's own structures and panics on a few
    // corrupt files (fuzzing found an .xls whose sector chain points past its end). The
    // import's reading thread would catch the panic too, but only as a file "damaged or
    // unexpected"; caught here it is the unreadable-workbook problem of its format, and
    // a panic anywhere else in the reader stays a bug that fuzzing reports. The closure
    // only reads `bytes` and builds values it returns: nothing is left half updated when
    // it unwinds.
    let parse = || {
        let cursor = Cursor::new(bytes);
        match format {
            Format::Xls => open_workbook_from_rs::<Xls<_>, _>(cursor)
                .map_err(|e| Failure::Unreadable(e.to_string()))
                .and_then(|mut book| all_sheets(&mut book)),
            Format::Ods => open_workbook_from_rs::<Ods<_>, _>(cursor)
                .map_err(|e| Failure::Unreadable(e.to_string()))
                .and_then(|mut book| all_sheets(&mut book)),
            _ => open_workbook_from_rs::<Xlsx<_>, _>(cursor)
                .map_err(|e| Failure::Unreadable(e.to_string()))
                .and_then(|mut book| xlsx_sheets(&mut book)),
        }
    };
    let result = std::panic::catch_unwind(parse).unwrap_or_else(|_| {
        Err(Failure::Unreadable(
            "the spreadsheet library panicked on this file".to_owned(),
        ))
    });
    result.map_err(|failure| match failure {
        Failure::Refused(problem) => problem,
        Failure::Unreadable(detail) => {
            tracing::info!(format = ?format, detail, "roster workbook unreadable");
            unreadable()
        }
    })
}

/// Why a workbook was not read.
enum Failure {
    /// calamine could not read it (its error, for the logs).
    Unreadable(String),
    /// It is over the bounds.
    Refused(Problem),
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Self::Refused(problem)
    }
}

fn unreadable_message(format: Format) -> String {
    let what = match format {
        Format::Xls => "un classeur Excel 97-2003 (.xls)",
        Format::Ods => "un classeur OpenDocument (.ods)",
        _ => "un classeur Excel (.xlsx)",
    };
    format!(
        "Le fichier ne peut pas être lu comme {what} : il est endommagé, incomplet, protégé \
         par un mot de passe ou d'un autre format. Ouvrez-le dans Excel ou LibreOffice et \
         enregistrez-le à nouveau."
    )
}

fn all_sheets<R, RS>(book: &mut R) -> Result<Vec<Sheet>, Failure>
where
    R: Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let mut sheets = Vec::with_capacity(names.len());
    let mut last_error = None;
    for name in names {
        match book.worksheet_range(&name) {
            Ok(range) => sheets.push(sheet(name, &range)),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    match (sheets.is_empty(), last_error) {
        (true, Some(error)) => Err(Failure::Unreadable(error)),
        _ => Ok(sheets),
    }
}

/// The sheets of an .xlsx workbook, streamed: calamine's `worksheet_range` would build
/// the dense rectangle of whatever cells the file holds, so the non-empty cells are
/// collected here, counted against the bounds one by one, and only then spread out.
fn xlsx_sheets<RS>(book: &mut Xlsx<RS>) -> Result<Vec<Sheet>, Failure>
where
    RS: std::io::Read + std::io::Seek,
{
    let mut budget = Budget::default();
    let names = book.sheet_names();
    let mut sheets = Vec::with_capacity(names.len());
    let mut last_error = None;
    for name in names {
        match xlsx_range(book, &name, &mut budget) {
            Ok(range) => sheets.push(sheet(name, &range)),
            Err(Failure::Unreadable(e)) => last_error = Some(e),
            Err(refused) => return Err(refused),
        }
    }
    match (sheets.is_empty(), last_error) {
        (true, Some(error)) => Err(Failure::Unreadable(error)),
        _ => Ok(sheets),
    }
}

/// One .xlsx sheet as calamine's `worksheet_range` reads it, within `budget`.
fn xlsx_range<RS>(
    book: &mut Xlsx<RS>,
    name: &str,
    budget: &mut Budget,
) -> Result<Range<Data>, Failure>
where
    RS: std::io::Read + std::io::Seek,
{
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet: calamine reads it as an empty range.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Range::default()),
        Err(e) => return Err(Failure::Unreadable(e.to_string())),
    };
    let mut scan = SheetScan::new(name);
    let mut cells = Vec::new();
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(Failure::Unreadable(e.to_string())),
        };
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        budget.entries(1)?;
        scan.used(budget, (row, row), (column, column))?;
        let value = Data::from(cell.get_value().clone());
        if let Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) = &value {
            budget.text(text.len() as u64)?;
        }
        cells.push(calamine::Cell::new((row, column), value));
    }
    budget.close(&scan);
    Ok(Range::from_sparse(cells))
}

fn sheet(name: String, range: &Range<Data>) -> Sheet {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .map(|row| row.iter().map(cell).collect())
        .collect();
    Sheet {
        name,
        first_row,
        first_column,
        rows,
    }
}

/// One calamine value: text, except dates and true/false values, which keep their type
/// (with the text a French spreadsheet shows) so that the checks can refuse a date where
/// a territory or a name is expected. Dates are matched before numbers: `as_datetime()`
/// would also turn a plain number into a date (upstream issue #400).
fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::DateTime(value) => Cell::Date(match value.as_datetime() {
            Some(moment) => shown_moment(moment),
            None => number_text(value.as_f64()),
        }),
        // OpenDocument stores dates as ISO text (`2026-03-05`, `2026-03-05T10:30:00`).
        Data::DateTimeIso(text) => Cell::Date(
            chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .or_else(|| {
                    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                        .ok()
                        .map(|date| date.and_time(chrono::NaiveTime::MIN))
                })
                .map_or_else(|| text.trim().to_owned(), shown_moment),
        ),
        Data::DurationIso(text) => Cell::Date(text.trim().to_owned()),
        Data::String(text) => Cell::text(text),
        Data::Int(value) => Cell::Text(value.to_string()),
        Data::Float(value) => Cell::Text(number_text(*value)),
        Data::Bool(value) => Cell::Bool(*value),
        Data::Error(error) => Cell::Error(error.to_string()),
    }
}

/// A date as a French spreadsheet shows it: `05/03/2026`, with the time when it has one.
fn shown_moment(moment: chrono::NaiveDateTime) -> String {
    if moment.time() == chrono::NaiveTime::MIN {
        moment.format("%d/%m/%Y").to_string()
    } else {
        moment.format("%d/%m/%Y %H:%M").to_string()
    }
}

/// A number as people typed it: `104200`, not `104200.0`.
pub(crate) fn number_text(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        // Exact: an integral value below 2^53 converts without loss.
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn integral_numbers_read_like_typed_text() {
        assert_eq!(number_text(104200.0), "104200");
        assert_eq!(number_text(760779905.0), "760779905");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(3.5), "3.5");
        assert_eq!(cell(&Data::Int(104200)), Cell::Text("104200".into()));
        assert_eq!(cell(&Data::Float(3.0)), Cell::Text("3".into()));
        assert_eq!(
            cell(&Data::String("  0042 ".into())),
            Cell::Text("0042".into())
        );
        assert_eq!(cell(&Data::String("   ".into())), Cell::Empty);
    }

    /// An archive of `parts` worksheets of `mib` MiB of zeros each.
    fn zip_of_zeros(parts: usize, mib: usize) -> Vec<u8> {
        use std::io::Write;
        let mut buffer = Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut buffer);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            let zeros = vec![0u8; 1024 * 1024];
            for part in 0..parts {
                writer
                    .start_file(format!("xl/worksheets/sheet{part}.xml"), options)
                    .unwrap();
                for _ in 0..mib {
                    writer.write_all(&zeros).unwrap();
                }
            }
            writer.finish().unwrap();
        }
        buffer.into_inner()
    }

    #[test]
    fn many_parts_under_their_bound_are_refused_together() {
        let bytes = zip_of_zeros(6, 60);
        assert!(bytes.len() < 2 * 1024 * 1024, "{} bytes", bytes.len());
        let problem = read(&bytes, Format::Xlsx).unwrap_err();
        assert_eq!(problem.code, ProblemCode::FileTooLarge, "{problem:?}");
        assert!(
            problem.message.contains("décompressé"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_inflated() {
        use std::io::Write;
        let mut buffer = Cursor::new(Vec::new());
        {
            let mut writer = zip::ZipWriter::new(&mut buffer);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            writer
                .start_file("xl/worksheets/sheet1.xml", options)
                .unwrap();
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..300 {
                writer.write_all(&zeros).unwrap();
            }
            writer.finish().unwrap();
        }
        let bytes = buffer.into_inner();
        assert!(bytes.len() < 2 * 1024 * 1024, "{} bytes", bytes.len());
        let problem = read(&bytes, Format::Xlsx).unwrap_err();
        // The part's own bound is the first crossed.
        assert_eq!(problem.code, ProblemCode::SheetTooLarge);
    }

    #[test]
    fn dates_are_read_as_dates_and_errors_as_errors() {
        let date = Data::DateTime(calamine::ExcelDateTime::new(
            43344.0,
            calamine::ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(cell(&date), Cell::Date("01/09/2018".into()));
        assert_eq!(
            cell(&Data::DateTimeIso("2026-03-05".into())),
            Cell::Date("05/03/2026".into())
        );
        assert_eq!(
            cell(&Data::DateTimeIso("2026-03-05T10:30:00".into())),
            Cell::Date("05/03/2026 10:30".into())
        );
        assert_eq!(cell(&Data::Bool(true)), Cell::Bool(true));
        assert_eq!(cell(&Data::Bool(false)).shown(), "FAUX");
        assert_eq!(
            cell(&Data::Error(calamine::CellErrorType::NA)),
            Cell::Error("#N/A".into())
        );
    }
}
