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
const SST: u16 = 0x00FC;
const MUL_RK: u16 = 0x00BD;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const NAME: u16 = 0x0018;

/// Bytes a sheet or defined name takes once decoded: at most 255 characters (its
/// length is one byte), three bytes each in UTF-8.
const MAX_NAME_BYTES: u64 = 255 * 3;

/// Bytes of formula text calamine may write for one byte of a FORMULA record's parsed
/// expression, besides the names it quotes: a function (3 bytes) spelled out with its
/// parentheses and separators, a reference with its `$` signs.
const FORMULA_BYTES_PER_BYTE: u64 = 12;

/// The smallest token that makes calamine write a whole sheet or defined name
/// (`PtgName`, 5 bytes).
const NAME_TOKEN_BYTES: u64 = 5;

/// Records as calamine's `RecordIter` splits them: type, data and the data of the
/// CONTINUE records that follow (calamine joins them to it). Ends at the first record
/// calamine could not read.
struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8], Vec<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        let typ = u16_at(self.stream, 0)?;
        let len = usize::from(u16_at(self.stream, 2)?);
        let data = self.stream.get(4..4 + len)?;
        self.stream = self.stream.get(4 + len..)?;
        let mut continued = Vec::new();
        while self.stream.len() > 4 && u16_at(self.stream, 0) == Some(CONTINUE) {
            let len = usize::from(u16_at(self.stream, 2)?);
            continued.push(self.stream.get(4..4 + len)?);
            self.stream = self.stream.get(4 + len..)?;
        }
        Some((typ, data, continued))
    }
}

/// The length of each string of the shared string table (SST), as calamine's
/// `parse_sst` reads them: a count of characters, doubled for the two-byte ones (their
/// text takes two to three bytes once decoded). calamine copies a string for every
/// cell that shows it, so this is what a LabelSst cell costs. Each string counts as an
/// entry calamine keeps. Stops where calamine would fail.
fn string_lengths(
    data: &[u8],
    continued: &[&[u8]],
    budget: &mut Budget,
) -> Result<Vec<u64>, Problem> {
    let mut lengths = Vec::new();
    let mut segments = std::iter::once(data).chain(continued.iter().copied());
    let Some(first) = segments.next() else {
        return Ok(lengths);
    };
    let Some(mut current) = first.get(8..) else {
        return Ok(lengths);
    };
    loop {
        if current.is_empty() {
            match segments.next() {
                Some(next) => current = next,
                None => break,
            }
            if current.is_empty() {
                budget.entries(1)?;
                lengths.push(0);
                continue;
            }
        }
        let (Some(chars), Some(&flags)) = (u16_at(current, 0), current.get(2)) else {
            break;
        };
        let mut at = 3;
        let runs = if flags & 0x8 != 0 {
            let Some(runs) = u16_at(current, at) else {
                break;
            };
            at += 2;
            usize::from(runs) * 4
        } else {
            0
        };
        let extension = if flags & 0x4 != 0 {
            let Some(size) = u32_at(current, at) else {
                break;
            };
            at += 4;
            usize::try_from(size).unwrap_or(usize::MAX)
        } else {
            0
        };
        let Some(rest) = current.get(at..) else { break };
        current = rest;
        let mut left = usize::from(chars);
        let mut wide = flags & 0x1 != 0;
        let mut cost = 0u64;
        while left > 0 {
            let width = if wide { 2 } else { 1 };
            let taken = left.min(current.len() / width);
            cost += (taken * width) as u64;
            current = &current[taken * width..];
            left -= taken;
            if left > 0 {
                let Some(next) = segments.next() else {
                    return Ok(lengths);
                };
                let Some((&flag, rest)) = next.split_first() else {
                    return Ok(lengths);
                };
                wide = flag & 0x1 != 0;
                current = rest;
            }
        }
        let mut skip = runs.saturating_add(extension);
        while skip > 0 {
            if current.is_empty() {
                match segments.next() {
                    Some(next) => current = next,
                    None => return Ok(lengths),
                }
            }
            let taken = skip.min(current.len());
            current = &current[taken..];
            skip -= taken;
        }
        budget.entries(1)?;
        lengths.push(cost);
    }
    Ok(lengths)
}

/// Measures every sheet of the workbook stream `stream` into `budget`.
pub(super) fn scan(stream: &[u8], budget: &mut Budget) -> Result<(), Problem> {
    let mut positions = Vec::new();
    let mut strings = Vec::new();
    // The longest name a formula may quote (sheet or defined name), decoded.
    let mut longest_name = 0u64;
    for (typ, data, continued) in (Records { stream }) {
        match typ {
            SST => strings = string_lengths(data, &continued, budget)?,
            BOUND_SHEET => {
                longest_name = longest_name.max(name_bytes(data));
                if let Some(position) = u32_at(data, 0) {
                    positions.push((position, sheet_name(data)));
                }
            }
            NAME => longest_name = longest_name.max(name_bytes(data)),
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
        let complete = scan_sheet(sheet, &strings, longest_name, &mut scan, budget)?;
        budget.close(&scan);
        if !complete {
            return Ok(());
        }
    }
    Ok(())
}

/// The memory calamine's `parse_string` keeps for the string at the start of `data`:
/// room for the character count the record declares (whatever follows), or the
/// decoded text (a Latin-1 byte takes up to two bytes in UTF-8), whichever is larger.
fn string_cost(data: &[u8]) -> u64 {
    let declared = u64::from(u16_at(data, 0).unwrap_or(0));
    declared.max((data.len() as u64).saturating_mul(2))
}

/// A bound on the decoded bytes of the name a BoundSheet or Name record holds.
fn name_bytes(data: &[u8]) -> u64 {
    (data.len() as u64).saturating_mul(3).min(MAX_NAME_BYTES)
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
fn scan_sheet(
    sheet: &[u8],
    strings: &[u64],
    longest_name: u64,
    scan: &mut SheetScan,
    budget: &mut Budget,
) -> Result<bool, Problem> {
    let mut seen_sheet_bof = false;
    // Where calamine puts a STRING record's cell: the last formula's, (0, 0) before any.
    let mut formula_position = (0u32, 0u32);
    let mut depth = 0usize;
    for (typ, data, _) in (Records { stream: sheet }) {
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
                            "Une feuille du classeur annonce {} cellules, au-delà de la \
                             limite de {} : le fichier n'a pas été lu. Ouvrez-le dans Excel ou \
                             LibreOffice, supprimez les lignes et les colonnes inutiles et \
                             enregistrez-le à nouveau.",
                            crate::problem::thousands(cells),
                            crate::problem::thousands(super::bounds::MAX_CELLS)
                        ),
                    ));
                }
                continue;
            }
            NUMBER => cell(14),
            BOOL_ERR => cell(8),
            RK => cell(10),
            LABEL_SST => {
                // calamine copies the shared string into the cell.
                let index = u32_at(data, 6).and_then(|i| usize::try_from(i).ok());
                let length = index.and_then(|i| strings.get(i)).copied().unwrap_or(0);
                budget.text(length)?;
                cell(10)
            }
            // Labels carry their own text.
            LABEL | RSTRING => {
                budget.text(string_cost(data.get(6..).unwrap_or_default()))?;
                cell(6)
            }
            FORMULA => {
                let position = cell(20);
                if let Some(at) = position {
                    formula_position = at;
                    // calamine spells the formula out: names quoted whole, functions
                    // and references written out.
                    let expression = data.len().saturating_sub(20) as u64;
                    let per_byte = FORMULA_BYTES_PER_BYTE + longest_name.div_ceil(NAME_TOKEN_BYTES);
                    budget.text(expression.saturating_mul(per_byte))?;
                }
                position
            }
            // A formula's text value: a cell of its own at the last formula's place.
            STRING => {
                budget.text(string_cost(data))?;
                Some(formula_position)
            }
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
        stream_with(&[], cells)
    }

    /// The same, with `globals` records (a shared string table) before the sheet's.
    fn stream_with(globals: &[u8], cells: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(BOF, &[0, 6, 16, 0, 0, 0, 0, 0]);
        let bound = |at: u32| {
            record(
                BOUND_SHEET,
                &[&at.to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat(),
            )
        };
        let globals_len = (bof.len() + bound(0).len() + globals.len() + 4) as u32;
        let mut out = [
            bof.clone(),
            bound(globals_len),
            globals.to_vec(),
            record(EOF, &[]),
        ]
        .concat();
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

    /// One 60,000-character shared string (split over CONTINUE records, as Excel writes
    /// it), shown by `cells` LabelSst cells.
    fn shared_string_shown(cells: u16) -> Vec<u8> {
        let text = vec![b'a'; 60_000];
        let mut sst = [1u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
        sst.extend_from_slice(&60_000u16.to_le_bytes());
        sst.push(0);
        let (first, mut rest) = text.split_at(8_000);
        sst.extend_from_slice(first);
        let mut globals = record(SST, &sst);
        while !rest.is_empty() {
            let (piece, after) = rest.split_at(rest.len().min(8_000));
            globals.extend(record(CONTINUE, &[&[0u8][..], piece].concat()));
            rest = after;
        }
        let labels: Vec<Vec<u8>> = (0..cells)
            .map(|row| {
                let mut data = row.to_le_bytes().to_vec();
                data.extend_from_slice(&[0, 0, 0, 0]);
                data.extend_from_slice(&0u32.to_le_bytes());
                record(LABEL_SST, &data)
            })
            .collect();
        stream_with(&globals, &labels)
    }

    #[test]
    fn a_shared_string_shown_by_many_cells_counts_for_each() {
        let mut budget = Budget::default();
        assert!(scan(&shared_string_shown(10), &mut budget).is_ok());
        let problem = scan(&shared_string_shown(400), &mut Budget::default()).unwrap_err();
        assert_eq!(problem.code, ProblemCode::SheetTooLarge);
        assert!(
            problem.message.contains("Mio de texte"),
            "{}",
            problem.message
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

    fn label(row: u16, column: u16, text: &[u8]) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&column.to_le_bytes());
        data.extend_from_slice(&[0, 0]);
        data.extend_from_slice(&(text.len() as u16).to_le_bytes());
        data.push(0);
        data.extend_from_slice(text);
        record(LABEL, &data)
    }

    fn string(text: &[u8]) -> Vec<u8> {
        let mut data = (text.len() as u16).to_le_bytes().to_vec();
        data.push(0);
        data.extend_from_slice(text);
        record(STRING, &data)
    }

    fn formula(row: u16, column: u16, expression: &[u8]) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend_from_slice(&column.to_le_bytes());
        data.extend_from_slice(&[0; 16]);
        data.extend_from_slice(expression);
        record(FORMULA, &data)
    }

    #[test]
    fn a_formula_string_before_any_formula_is_a_cell_in_a1() {
        // calamine puts the STRING's cell at (0, 0): with the far label, a rectangle of
        // 65,536 × 1,000 cells.
        assert_eq!(
            scanned(&[label(65535, 999, b"x"), string(b"y")]),
            Err(ProblemCode::SheetTooLarge)
        );
        // After a formula, at the formula's place.
        assert_eq!(
            scanned(&[
                label(65535, 999, b"x"),
                formula(65535, 998, &[]),
                string(b"y")
            ]),
            Ok(())
        );
    }

    #[test]
    fn declared_string_lengths_count() {
        // Three bytes of text declaring 65,535 characters: calamine reserves them all.
        let mut data = 65535u16.to_le_bytes().to_vec();
        data.extend_from_slice(&[0, b'y']);
        let strings: Vec<Vec<u8>> = std::iter::repeat_n(record(STRING, &data), 300).collect();
        assert_eq!(scanned(&strings), Err(ProblemCode::SheetTooLarge));
    }

    #[test]
    fn formulas_count_as_the_text_calamine_writes() {
        // A 7-byte 3-D reference is written as the sheet's name and `!$A$1`.
        let reference = [0x3A, 0, 0, 0, 0, 0, 0];
        let expression = reference.repeat(1000);
        let formulas: Vec<Vec<u8>> = (0..1000).map(|row| formula(row, 0, &expression)).collect();
        assert_eq!(scanned(&formulas), Err(ProblemCode::SheetTooLarge));
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
