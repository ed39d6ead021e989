//! The used area of an Excel 97-2003 (.xls) workbook, from its BIFF records, before
//! calamine reads it (see `bounds`).
//!
//! calamine 0.38 (`xls.rs`) reads every sheet when the file opens: it reserves room for
//! the cells the sheet's DIMENSIONS record announces, keeps every cell record (numbers,
//! labels, booleans and errors, formulas, runs of numbers), then spreads them over the
//! rectangle from the first to the last. Both come from numbers written in the file, so
//! both are checked here, record by record, as calamine will meet them. Where calamine
//! would stop on a malformed record, the scan stops too: calamine allocates nothing
//! after it.

use super::bounds::{Budget, SheetScan};
use crate::problem::{Problem, ProblemCode};

/// BIFF record types.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const NUMBER: u16 = 0x0203;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const BOOL_ERR: u16 = 0x0205;
const RK: u16 = 0x027E;
const LABEL_SST: u16 = 0x00FD;
const MUL_RK: u16 = 0x00BD;
const FORMULA: u16 = 0x0006;

/// Records as calamine's `RecordIter` splits them: type and data (the CONTINUE records
/// that follow are joined to it by calamine and skipped here). Ends at the first record
/// calamine could not read.
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let typ = u16_at(self.stream, 0)?;
        let len = usize::from(u16_at(self.stream, 2)?);
        let data = self.stream.get(4..4 + len)?;
        self.stream = self.stream.get(4 + len..)?;
        while self.stream.len() > 4 && u16_at(self.stream, 0) == Some(CONTINUE) {
            let len = usize::from(u16_at(self.stream, 2)?);
            self.stream = self.stream.get(4 + len..)?;
        }
        Some((typ, data))
    }
}

/// Measures every sheet of the workbook stream `stream` into `budget`.
pub(super) fn scan(stream: &[u8], budget: &mut Budget) -> Result<(), Problem> {
    let mut positions = Vec::new();
    for (typ, data) in (Records { stream }) {
        match typ {
            BOUND_SHEET => {
                if let Some(position) = u32_at(data, 0) {
                    positions.push((position, sheet_name(data)));
                }
            }
            EOF => break,
            _ => (),
        }
    }
    for (index, (position, name)) in positions.into_iter().enumerate() {
        let Some(sheet) = usize::try_from(position)
            .ok()
            .and_then(|at| stream.get(at..))
        else {
            // calamine fails on this file before reading this sheet.
            return Ok(());
        };
        let name = name.unwrap_or_else(|| format!("n° {}", index + 1));
        let mut scan = SheetScan::new(&name);
        let complete = scan_sheet(sheet, &mut scan, budget)?;
        budget.close(&scan);
        if !complete {
            return Ok(());
        }
    }
    Ok(())
}

/// The sheet's name in a BIFF8 BoundSheet8 record (for messages only).
fn sheet_name(data: &[u8]) -> Option<String> {
    let len = usize::from(*data.get(6)?);
    let wide = data.get(7)? & 1 == 1;
    let chars = data.get(8..)?;
    if wide {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(len)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        // Latin-1: each byte is the character of the same code.
        Some(chars.iter().take(len).map(|&b| char::from(b)).collect())
    }
}

/// One sheet's records; `false` when calamine stops reading the file at one of them.
fn scan_sheet(sheet: &[u8], scan: &mut SheetScan, budget: &mut Budget) -> Result<bool, Problem> {
    let mut seen_sheet_bof = false;
    let mut depth = 0usize;
    for (typ, data) in (Records { stream: sheet }) {
        // Embedded charts carry cell-like records calamine skips.
        if depth > 0 {
            match typ {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => (),
            }
            continue;
        }
        let cell = |min_len: usize| -> Option<(u32, u32)> {
            if data.len() < min_len {
                return None;
            }
            Some((u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?)))
        };
        let position = match typ {
            BOF => {
                if seen_sheet_bof {
                    depth += 1;
                } else {
                    seen_sheet_bof = true;
                }
                continue;
            }
            EOF => break,
            DIMENSIONS => {
                let Some(cells) = dimensions(data) else {
                    return Ok(false);
                };
                // calamine reserves room for these cells before reading any.
                if cells > super::bounds::MAX_CELLS {
                    return Err(Problem::new(
                        ProblemCode::SheetTooLarge,
                        format!(
                            "Une feuille du classeur annonce {cells} cellules, au-delà de la \
                             limite de {} : le fichier n'a pas été lu. Ouvrez-le dans Excel ou \
                             LibreOffice, supprimez les lignes et les colonnes inutiles et \
                             enregistrez-le à nouveau.",
                            super::bounds::MAX_CELLS
                        ),
                    ));
                }
                continue;
            }
            NUMBER => cell(14),
            LABEL | RSTRING => cell(6),
            BOOL_ERR => cell(8),
            RK => cell(10),
            LABEL_SST => cell(10),
            FORMULA => cell(20),
            MUL_RK => {
                let Some((row, first, last)) = mul_rk(data) else {
                    return Ok(false);
                };
                budget.entries(u64::from(last - first) + 1)?;
                scan.used(budget, (row, row), (first, last))?;
                continue;
            }
            _ => continue,
        };
        let Some((row, column)) = position else {
            return Ok(false);
        };
        budget.entries(1)?;
        scan.used(budget, (row, row), (column, column))?;
    }
    Ok(true)
}

/// The cells calamine reserves for a DIMENSIONS record (its arithmetic, wrapping as in
/// a release build); `None` where calamine refuses the record.
fn dimensions(data: &[u8]) -> Option<u64> {
    let (first_row, last_row, mut first_column, last_column) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    if first_column > 0xFF || last_column < first_column {
        first_column = 0;
    }
    if last_row == 0 || last_column == 0 {
        return Some(1);
    }
    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1);
    let columns = (last_column - 1).wrapping_sub(first_column).wrapping_add(1);
    Some(u64::from(rows).saturating_mul(u64::from(columns)))
}

/// A MulRk record's row and first and last columns, when calamine accepts it.
fn mul_rk(data: &[u8]) -> Option<(u32, u32, u32)> {
    if data.len() < 6 {
        return None;
    }
    let row = u16_at(data, 0)?;
    let first = u16_at(data, 2)?;
    let last = u16_at(data, data.len() - 2)?;
    let count = last.checked_sub(first)?.checked_add(1)?;
    (data.len() == 6 + 6 * usize::from(count)).then_some((
        u32::from(row),
        u32::from(first),
        u32::from(last),
    ))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    match bytes.get(at..at.checked_add(2)?) {
        Some(&[a, b]) => Some(u16::from_le_bytes([a, b])),
        _ => None,
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    match bytes.get(at..at.checked_add(4)?) {
        Some(&[a, b, c, d]) => Some(u32::from_le_bytes([a, b, c, d])),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// A workbook stream: globals with one sheet, then the sheet's `cells` records.
    fn stream(cells: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(BOF, &[0, 6, 16, 0, 0, 0, 0, 0]);
        let bound = |at: u32| {
            record(
                BOUND_SHEET,
                &[&at.to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat(),
            )
        };
        let globals_len = (bof.len() + bound(0).len() + 4) as u32;
        let mut out = [bof.clone(), bound(globals_len), record(EOF, &[])].concat();
        out.extend(bof);
        for cell in cells {
            out.extend_from_slice(cell);
        }
        out.extend(record(EOF, &[]));
        out
    }

    fn number(row: u16, column: u16) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&column.to_le_bytes());
        data.extend_from_slice(&[0; 10]);
        record(NUMBER, &data)
    }

    fn scanned(cells: &[Vec<u8>]) -> Result<(), ProblemCode> {
        scan(&stream(cells), &mut Budget::default()).map_err(|p| p.code)
    }

    #[test]
    fn far_cells_are_refused() {
        assert_eq!(scanned(&[number(0, 0), number(2, 3)]), Ok(()));
        assert_eq!(
            scanned(&[number(0, 0), number(65535, 255)]),
            Err(ProblemCode::SheetTooLarge)
        );
        assert_eq!(
            scanned(&[number(0, 0), number(0, 5000)]),
            Err(ProblemCode::SheetTooLarge)
        );
    }

    #[test]
    fn announced_dimensions_are_refused() {
        let huge = [0u32.to_le_bytes(), 0x0100_0000u32.to_le_bytes()].concat();
        let huge = [&huge[..], &[0, 0, 0, 1, 0, 0]].concat();
        assert_eq!(
            scanned(&[record(DIMENSIONS, &huge)]),
            Err(ProblemCode::SheetTooLarge)
        );
        // Last row before the first: calamine's subtraction wraps around.
        let wrapped = [5u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
        let wrapped = [&wrapped[..], &[0, 0, 2, 0, 0, 0]].concat();
        assert_eq!(
            scanned(&[record(DIMENSIONS, &wrapped)]),
            Err(ProblemCode::SheetTooLarge)
        );
    }

    #[test]
    fn the_fixture_passes() {
        let fixture = include_bytes!("../../../tests/fixtures/roster-92-hr-export.xls");
        let stream = super::super::compound_file::workbook_stream(fixture)
            .unwrap()
            .unwrap();
        assert!(stream.len() > 1000);
        let mut budget = Budget::default();
        scan(&stream, &mut budget).unwrap();
    }
}
