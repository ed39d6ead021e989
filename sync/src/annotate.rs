//! The annotated copy of a roster file (`….annote.xlsx`): the administrator's own sheet
//! with every value where it was, each cell a problem points at highlighted and carrying
//! a note with the French message, after a first sheet summarising the run.
//!
//! Administrators correct their file in their spreadsheet program, not in a text report:
//! this puts each message on the cell to fix. The file is read again with the import's
//! own readers, under the same bounds, and written as .xlsx whatever its format (.xlsx,
//! .xls, .ods or .csv). Values are written as the import read them (numbers as typed,
//! dates as shown): a copy to read and correct from, not a round trip of formulas and
//! styles. A file that cannot be read at all gets the summary alone.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use entity::{Labelled, ProblemSeverity};
use rust_xlsxwriter::{Color, Format, Note, Workbook, Worksheet, XlsxError};

use crate::error::SyncError;
use crate::import::{SyncReport, severity_label};
use crate::problem::{Problem, thousands};
use crate::read::{self, Cell, Sheet};
use crate::report::local_time_in;

/// Suffix of the annotated copy written beside a filed roster file and its reports.
pub const ANNOTATED_SUFFIX: &str = ".annote.xlsx";

/// The first sheet's name.
const SUMMARY_SHEET: &str = "Résumé";
/// Last row and column index an .xlsx sheet has (0-based).
const LAST_ROW: u32 = 1_048_575;
const LAST_COLUMN: u32 = 16_383;
/// Longest text a cell or a note holds, in UTF-16 units (Excel's limit, less the room
/// rust_xlsxwriter keeps for a note's author).
const MAX_CELL_UNITS: usize = 32_767;
const MAX_NOTE_UNITS: usize = 32_000;
/// Messages written in one note; more on one cell are counted.
const MAX_NOTE_MESSAGES: usize = 20;
/// Rows looked at to size the columns.
const WIDTH_SAMPLE_ROWS: usize = 1_000;
/// Excel's "bad" and "neutral" cell styles: fills and text colours with enough contrast.
const ERROR_FILL: u32 = 0xFFC7CE;
const ERROR_TEXT: u32 = 0x9C0006;
const WARNING_FILL: u32 = 0xFFEB9C;
const WARNING_TEXT: u32 = 0x9C5700;

/// The annotated copy of the roster file `bytes` (named `file_name`) that produced
/// `report`, as an .xlsx workbook; times are written in `timezone` with their offset.
///
/// For the drop folder (beside each report) and for the console's download. `bytes` may
/// be empty (a file too large or unreadable was never kept): the workbook then holds the
/// summary alone. Reading is bounded exactly as the import's; a reader failure is not an
/// error here, only the summary is written. Errors are the spreadsheet writer's.
pub fn annotate(
    file_name: &str,
    bytes: &[u8],
    report: &SyncReport,
    timezone: Tz,
) -> Result<Vec<u8>, SyncError> {
    let sheets = if bytes.is_empty() {
        Vec::new()
    } else {
        // The import read the same bytes without panicking; should a reader still panic,
        // the copy is written without the sheet rather than not at all.
        std::panic::catch_unwind(|| read::read_sheets(bytes, file_name))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    };
    let sheet = match &report.sheet {
        Some(name) => sheets.iter().find(|s| &s.name == name),
        None => sheets.first(),
    };
    let placed = place(&report.problems, sheet, report.header_row);
    let mut workbook = Workbook::new();
    let formats = Formats::new();
    let data_name = sheet.map(|s| sheet_name(&s.name));
    {
        let summary = workbook.add_worksheet();
        summary.set_name(SUMMARY_SHEET)?;
        write_summary(
            summary,
            &formats,
            report,
            timezone,
            data_name.as_deref(),
            &placed,
        )?;
    }
    if let (Some(sheet), Some(name)) = (sheet, data_name) {
        let data = workbook.add_worksheet();
        data.set_name(name)?;
        write_sheet(data, &formats, sheet, report.header_row, &placed)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The cell formats used.
struct Formats {
    bold: Format,
    title: Format,
    wrap: Format,
    error: Format,
    warning: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            bold: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(14),
            wrap: Format::new().set_text_wrap(),
            error: Format::new()
                .set_background_color(Color::RGB(ERROR_FILL))
                .set_font_color(Color::RGB(ERROR_TEXT)),
            warning: Format::new()
                .set_background_color(Color::RGB(WARNING_FILL))
                .set_font_color(Color::RGB(WARNING_TEXT)),
        }
    }

    fn severity(&self, severity: ProblemSeverity) -> &Format {
        match severity {
            ProblemSeverity::Error => &self.error,
            ProblemSeverity::Warning => &self.warning,
        }
    }
}

/// Where the problems go: cells of the sheet (0-based row and column), or the summary.
#[derive(Debug, Default)]
struct Placed<'a> {
    cells: BTreeMap<(u32, u16), Vec<&'a Problem>>,
    summary: Vec<&'a Problem>,
}

/// Puts each problem on its cell: its row and the column its header names; the row's
/// first cell when it has no column (or one the header does not have); the header cell
/// when it names a column but no row (an ignored or repeated column). Anything else, and
/// everything when there is no sheet, goes on the summary.
fn place<'a>(
    problems: &'a [Problem],
    sheet: Option<&Sheet>,
    header_row: Option<u32>,
) -> Placed<'a> {
    let mut placed = Placed::default();
    let Some(sheet) = sheet else {
        placed.summary = problems.iter().collect();
        return placed;
    };
    let header_index = header_row
        .and_then(|row| row.checked_sub(1))
        .and_then(|row| row.checked_sub(sheet.first_row));
    let mut header_columns: HashMap<&str, u32> = HashMap::new();
    if let Some(cells) = header_index.and_then(|i| sheet.rows.get(i as usize)) {
        for (index, cell) in cells.iter().enumerate() {
            if let Cell::Text(text) = cell {
                let column = u32::try_from(index)
                    .unwrap_or(u32::MAX)
                    .saturating_add(sheet.first_column);
                header_columns.entry(text.as_str()).or_insert(column);
            }
        }
    }
    let column_of = |problem: &Problem| {
        problem
            .column
            .as_deref()
            .and_then(|c| header_columns.get(c).copied())
    };
    for problem in problems {
        let at = match (problem.row, column_of(problem)) {
            (Some(row), Some(column)) => Some((row, column)),
            (Some(row), None) => Some((row, sheet.first_column)),
            (None, Some(column)) => header_row.map(|row| (row, column)),
            (None, None) => None,
        };
        let cell = at.and_then(|(row, column)| {
            let row = row.checked_sub(1).filter(|r| *r <= LAST_ROW)?;
            let column = u16::try_from(column)
                .ok()
                .filter(|c| u32::from(*c) <= LAST_COLUMN)?;
            Some((row, column))
        });
        match cell {
            Some(cell) => placed.cells.entry(cell).or_default().push(problem),
            None => placed.summary.push(problem),
        }
    }
    placed
}

/// A name Excel accepts for the administrator's sheet (a CSV file's sheet is named after
/// the file, an .ods sheet may be longer than Excel allows), never the summary's.
fn sheet_name(name: &str) -> String {
    let mut clean = String::new();
    let mut units = 0;
    for ch in name.chars() {
        let ch = if "[]:*?/\\".contains(ch) || ch.is_control() {
            '_'
        } else {
            ch
        };
        units += ch.len_utf16();
        if units > 31 {
            break;
        }
        clean.push(ch);
    }
    let clean = clean.trim().trim_matches('\'').trim().to_owned();
    let reserved = clean.eq_ignore_ascii_case("history")
        || clean.to_lowercase() == SUMMARY_SHEET.to_lowercase();
    if clean.is_empty() || reserved || rust_xlsxwriter::utility::check_sheet_name(&clean).is_err() {
        "Feuille".to_owned()
    } else {
        clean
    }
}

/// `text` cut to `units` UTF-16 units, on a character boundary.
fn bounded(text: &str, units: usize) -> &str {
    let mut used = 0;
    for (index, ch) in text.char_indices() {
        used += ch.len_utf16();
        if used > units {
            return &text[..index];
        }
    }
    text
}

/// The note on a cell: each message with its severity and code.
fn note_text(problems: &[&Problem]) -> String {
    let mut text = String::new();
    for problem in problems.iter().take(MAX_NOTE_MESSAGES) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!(
            "{} ({}) : {}",
            severity_label(problem.severity),
            problem.code,
            problem.message
        ));
    }
    if problems.len() > MAX_NOTE_MESSAGES {
        text.push_str(&format!(
            "\n… et {} autres problèmes sur cette cellule (voir le rapport).",
            problems.len() - MAX_NOTE_MESSAGES
        ));
    }
    bounded(&text, MAX_NOTE_UNITS).to_owned()
}

/// The worst severity among `problems`.
fn worst(problems: &[&Problem]) -> ProblemSeverity {
    if problems.iter().any(|p| p.is_error()) {
        ProblemSeverity::Error
    } else {
        ProblemSeverity::Warning
    }
}

/// The administrator's sheet: every value at its place, the problem cells highlighted
/// with their note.
fn write_sheet(
    worksheet: &mut Worksheet,
    formats: &Formats,
    sheet: &Sheet,
    header_row: Option<u32>,
    placed: &Placed<'_>,
) -> Result<(), XlsxError> {
    let mut widths: BTreeMap<u16, usize> = BTreeMap::new();
    for (row_index, cells) in sheet.rows.iter().enumerate() {
        let Some(row) = u32::try_from(row_index)
            .ok()
            .and_then(|i| sheet.first_row.checked_add(i))
            .filter(|r| *r <= LAST_ROW)
        else {
            break;
        };
        for (index, cell) in cells.iter().enumerate() {
            let Some(column) = u32::try_from(index)
                .ok()
                .and_then(|i| sheet.first_column.checked_add(i))
                .filter(|c| *c <= LAST_COLUMN)
                .and_then(|c| u16::try_from(c).ok())
            else {
                break;
            };
            let text = cell.shown();
            if text.is_empty() {
                continue;
            }
            if row_index < WIDTH_SAMPLE_ROWS {
                let width = widths.entry(column).or_default();
                *width = (*width).max(text.chars().count());
            }
            worksheet.write_string(row, column, bounded(text, MAX_CELL_UNITS))?;
        }
    }
    for (column, width) in widths {
        // Wide enough to read, never wider than a screen's half.
        worksheet.set_column_width(column, (width.clamp(8, 60) + 2) as f64)?;
    }
    for (&(row, column), problems) in &placed.cells {
        let format = formats.severity(worst(problems));
        let value = row
            .checked_sub(sheet.first_row)
            .and_then(|r| sheet.rows.get(r as usize))
            .and_then(|cells| {
                u32::from(column)
                    .checked_sub(sheet.first_column)
                    .and_then(|c| cells.get(c as usize))
            })
            .map(Cell::shown)
            .unwrap_or_default();
        if value.is_empty() {
            worksheet.write_blank(row, column, format)?;
        } else {
            worksheet.write_string_with_format(
                row,
                column,
                bounded(value, MAX_CELL_UNITS),
                format,
            )?;
        }
        let note = Note::new(note_text(problems))
            .set_author("Territoires")
            .add_author_prefix(false)
            .set_width(360)
            .set_height(120);
        worksheet.insert_note(row, column, &note)?;
    }
    if let Some(header) = header_row.filter(|row| *row <= LAST_ROW) {
        worksheet.set_freeze_panes(header, 0)?;
    }
    Ok(())
}

/// Writes `label` in bold and `value` beside it.
fn pair(
    worksheet: &mut Worksheet,
    formats: &Formats,
    row: &mut u32,
    label: &str,
    value: &str,
) -> Result<(), XlsxError> {
    worksheet.write_string_with_format(*row, 0, label, &formats.bold)?;
    worksheet.write_string(*row, 1, bounded(value, MAX_CELL_UNITS))?;
    *row += 1;
    Ok(())
}

/// The first sheet: what the run did, the legend, and the problems no cell holds.
fn write_summary(
    worksheet: &mut Worksheet,
    formats: &Formats,
    report: &SyncReport,
    timezone: Tz,
    sheet: Option<&str>,
    placed: &Placed<'_>,
) -> Result<(), XlsxError> {
    worksheet.set_column_width(0, 34)?;
    worksheet.set_column_width(1, 30)?;
    worksheet.set_column_width(2, 26)?;
    worksheet.set_column_width(3, 100)?;
    let file = report.file_name.as_deref().unwrap_or("(sans nom)");
    worksheet.write_string_with_format(
        0,
        0,
        bounded(
            &format!("Import de la liste des coordonnateurs — {file}"),
            MAX_CELL_UNITS,
        ),
        &formats.title,
    )?;
    let mut row = 2;
    pair(worksheet, formats, &mut row, "Fichier", file)?;
    let mut status = format!("{} ({})", report.status.label(), report.status.code());
    if report.dry_run {
        status.push_str(" — essai à blanc");
    }
    if report.forced {
        status.push_str(" — forcé");
    }
    pair(worksheet, formats, &mut row, "Statut", &status)?;
    if let Some(id) = report.run_id {
        pair(worksheet, formats, &mut row, "Import n°", &id.to_string())?;
    }
    pair(
        worksheet,
        formats,
        &mut row,
        "Lancé par",
        &format!("{} ({})", report.actor, report.trigger.label()),
    )?;
    pair(
        worksheet,
        formats,
        &mut row,
        "Début",
        &local_time_in(report.started_at, timezone),
    )?;
    pair(
        worksheet,
        formats,
        &mut row,
        "Fin",
        &local_time_in(report.finished_at, timezone),
    )?;
    if let Some(name) = &report.sheet {
        let read = match report.header_row {
            Some(header) => format!("« {name} », en-têtes ligne {header}"),
            None => format!("« {name} »"),
        };
        pair(worksheet, formats, &mut row, "Feuille lue", &read)?;
    }
    row += 1;
    worksheet.write_string_with_format(row, 0, "Résultat", &formats.bold)?;
    worksheet.write_string(row, 1, bounded(&report.summary, MAX_CELL_UNITS))?;
    row += 2;

    worksheet.write_string_with_format(row, 0, "Changements", &formats.bold)?;
    row += 1;
    let c = report.counts;
    for (label, count) in [
        ("Ajouts", c.added),
        ("Modifications", c.updated),
        ("Changements de territoire", c.moved),
        ("Désactivations", c.deactivated),
        ("Réactivations", c.reactivated),
        ("Inchangés", c.unchanged),
        ("Communes changeant de territoire", c.communes_moved),
    ] {
        worksheet.write_string(row, 0, label)?;
        worksheet.write_number(row, 1, f64::from(count))?;
        row += 1;
    }
    row += 1;

    let vacated: Vec<&str> = report
        .plan
        .iter()
        .flat_map(|p| p.vacated_territories.iter().map(|t| t.name.as_str()))
        .collect();
    let vacated = if vacated.is_empty() {
        "aucun".to_owned()
    } else {
        vacated.join(", ")
    };
    pair(
        worksheet,
        formats,
        &mut row,
        "Territoires laissés sans coordonnateur",
        &vacated,
    )?;
    row += 1;

    worksheet.write_string_with_format(row, 0, "Problèmes", &formats.bold)?;
    row += 1;
    let warnings = report.warnings().count() as u64;
    pair(
        worksheet,
        formats,
        &mut row,
        "Erreurs",
        &thousands(report.error_count()),
    )?;
    pair(
        worksheet,
        formats,
        &mut row,
        "Avertissements",
        &thousands(warnings),
    )?;
    let annotated = match sheet {
        Some(name) if placed.cells.len() == 1 => format!(
            "1 cellule de la feuille « {name} » est surlignée et porte une note : survolez-la \
             pour lire le message."
        ),
        Some(name) if !placed.cells.is_empty() => format!(
            "{} cellules de la feuille « {name} » sont surlignées et portent une note : \
             survolez-les pour lire le message.",
            thousands(placed.cells.len() as u64)
        ),
        Some(name) => format!("Aucune cellule de la feuille « {name} » n'est signalée."),
        None => "Le fichier n'a pas pu être lu : seul ce résumé est disponible.".to_owned(),
    };
    worksheet.write_string(row, 0, &annotated)?;
    row += 1;
    worksheet.write_string_with_format(row, 0, "Erreur : bloque l'import", &formats.error)?;
    row += 1;
    worksheet.write_string_with_format(
        row,
        0,
        "Avertissement : n'empêche pas l'import",
        &formats.warning,
    )?;
    row += 2;

    if !placed.summary.is_empty() {
        worksheet.write_string_with_format(
            row,
            0,
            "Problèmes sur l'ensemble du fichier",
            &formats.bold,
        )?;
        row += 1;
        for (column, header) in ["Gravité", "Emplacement", "Code", "Message"]
            .iter()
            .enumerate()
        {
            worksheet.write_string_with_format(row, column as u16, *header, &formats.bold)?;
        }
        row += 1;
        for problem in &placed.summary {
            if row > LAST_ROW {
                break;
            }
            worksheet.write_string_with_format(
                row,
                0,
                severity_label(problem.severity),
                formats.severity(problem.severity),
            )?;
            worksheet.write_string(row, 1, bounded(&problem.location(), MAX_CELL_UNITS))?;
            worksheet.write_string(row, 2, problem.code.as_str())?;
            worksheet.write_string_with_format(
                row,
                3,
                bounded(&problem.message, MAX_CELL_UNITS),
                &formats.wrap,
            )?;
            row += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    #[test]
    fn sheet_names_are_made_acceptable_to_excel() {
        assert_eq!(sheet_name("Coordonnateurs"), "Coordonnateurs");
        assert_eq!(sheet_name("a[b]:c*d?e/f\\g"), "a_b__c_d_e_f_g");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name(""), "Feuille");
        assert_eq!(sheet_name("résumé"), "Feuille");
        assert_eq!(sheet_name("History"), "Feuille");
        let long = "é".repeat(40);
        assert_eq!(sheet_name(&long).chars().count(), 31);
        // A character outside the basic plane counts twice.
        assert_eq!(sheet_name(&"😀".repeat(20)).chars().count(), 15);
    }

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        assert_eq!(bounded("abc", 2), "ab");
        assert_eq!(bounded("éé", 1), "é");
        assert_eq!(bounded("😀a", 1), "");
        assert_eq!(bounded("court", 100), "court");
    }

    fn sheet(first_row: u32, first_column: u32, rows: &[&[&str]]) -> Sheet {
        Sheet {
            name: "s".into(),
            first_row,
            first_column,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|t| Cell::text(t)).collect())
                .collect(),
        }
    }

    #[test]
    fn problems_go_to_their_cell_the_row_start_the_header_or_the_summary() {
        // Header on row 3 (index 2), data from column C (index 2).
        let sheet = sheet(2, 2, &[&["Nom", "Courriel"], &["LARA", "x@"]]);
        let problems = vec![
            Problem::new(ProblemCode::InvalidEmail, "m")
                .at_row(4)
                .in_column("Courriel"),
            Problem::new(ProblemCode::BlankLine, "m").at_row(4),
            Problem::new(ProblemCode::IgnoredColumn, "m").in_column("Nom"),
            Problem::new(ProblemCode::MissingColumn, "m").in_column("Territoire"),
            Problem::new(ProblemCode::ProblemsOmitted, "m"),
            Problem::new(ProblemCode::InvalidEmail, "m").at_row(u32::MAX),
        ];
        let placed = place(&problems, Some(&sheet), Some(3));
        let cells: Vec<_> = placed
            .cells
            .iter()
            .map(|(at, p)| (*at, p.iter().map(|p| p.code).collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            cells,
            vec![
                ((2, 2), vec![ProblemCode::IgnoredColumn]),
                ((3, 2), vec![ProblemCode::BlankLine]),
                ((3, 3), vec![ProblemCode::InvalidEmail]),
            ]
        );
        let summary: Vec<_> = placed.summary.iter().map(|p| p.code).collect();
        assert_eq!(
            summary,
            vec![
                ProblemCode::MissingColumn,
                ProblemCode::ProblemsOmitted,
                ProblemCode::InvalidEmail
            ]
        );
        let none = place(&problems, None, Some(3));
        assert!(none.cells.is_empty());
        assert_eq!(none.summary.len(), problems.len());
    }

    #[test]
    fn a_note_counts_the_messages_it_leaves_out() {
        let problems: Vec<Problem> = (0..25)
            .map(|i| Problem::new(ProblemCode::InvalidEmail, format!("message {i}")))
            .collect();
        let refs: Vec<&Problem> = problems.iter().collect();
        let text = note_text(&refs);
        assert!(
            text.starts_with("Erreur (INVALID_EMAIL) : message 0\n"),
            "{text}"
        );
        assert!(text.contains("message 19"));
        assert!(!text.contains("message 20"));
        assert!(text.ends_with("… et 5 autres problèmes sur cette cellule (voir le rapport)."));
        let long = [Problem::new(ProblemCode::InvalidEmail, "x".repeat(40_000))];
        let refs: Vec<&Problem> = long.iter().collect();
        assert_eq!(note_text(&refs).len(), MAX_NOTE_UNITS);
    }
}
