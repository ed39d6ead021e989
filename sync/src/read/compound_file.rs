//! A structural check of Excel 97-2003 (.xls) files, before calamine reads them.
//!
//! An .xls workbook is a compound file: its sectors are linked into chains by a file
//! allocation table (FAT). calamine follows those chains trusting the file, and a corrupt
//! or hostile file whose FAT loops makes it append the same sectors forever: fuzzing
//! found a 10 KB file that made it allocate 2 GB. This module rebuilds the FAT exactly as
//! calamine 0.38 does (`cfb.rs`) and refuses the file when the table could make it read
//! more than the file holds: a chain that loops, or more FAT sectors than the file has
//! sectors. Without loops, every chain calamine follows ends within the file's size.
//!
//! Anything this check cannot make sense of (too short, wrong signature, unknown sector
//! size) is left to calamine, which reports it as an error of its own.

/// The compound file signature.
const SIGNATURE: &[u8; 8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// Sector ids from here up are markers (end of chain, free, FAT or DIFAT sector).
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
/// The DIFAT marker: ids from here up are not FAT sectors.
const DIFSECT: u32 = 0xFFFF_FFFC;

/// Why the structure is refused (for the logs; the administrator sees "unreadable").
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Corrupt {
    /// The sector chains list more FAT sectors than the file has sectors.
    OversizedTable,
    /// A chain of sectors loops back on itself.
    LoopingChain,
}

/// Checks the sector chains of a compound file (see the module documentation). The
/// reader calls [`workbook_stream`], which checks them the same way first.
#[cfg(test)]
pub(super) fn check(bytes: &[u8]) -> Result<(), Corrupt> {
    table(bytes).map(|_| ())
}

/// The file's sectors and allocation table, once checked; `None` when calamine will
/// refuse the file itself.
fn table(bytes: &[u8]) -> Result<Option<(Sectors<'_>, Vec<u32>)>, Corrupt> {
    if bytes.len() < 512 || &bytes[..8] != SIGNATURE {
        return Ok(None);
    }
    let sector_size: usize = match u16_at(bytes, 30) {
        0x0009 => 512,
        0x000C => 4096,
        _ => return Ok(None),
    };
    // calamine reads the header (a whole first sector for 4096-byte sectors), then
    // numbers sectors from there; `maxid` is its bound on sector ids.
    let sectors = Sectors {
        bytes,
        start: sector_size,
        size: sector_size,
        maxid: bytes.len() / sector_size,
    };

    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors whose last
    // entry points to the next one (calamine pops it), bounded as calamine bounds it.
    let mut difat: Vec<u32> = (76..512).step_by(4).map(|at| u32_at(bytes, at)).collect();
    let mut sector_id = u32_at(bytes, 68);
    let mut difat_sectors = 0usize;
    while sector_id < RESERVED_SECTORS {
        difat_sectors += 1;
        if difat_sectors > sectors.maxid.saturating_add(1) {
            return Ok(None); // calamine refuses it (sector beyond end of file)
        }
        let Some(sector) = sectors.get(sector_id) else {
            return Ok(None);
        };
        difat.extend(words(sector));
        match difat.pop() {
            Some(next) => sector_id = next,
            None => return Ok(None),
        }
        // A valid file lists each of its sectors at most once.
        if difat.len()
            > sectors
                .maxid
                .saturating_add(1)
                .saturating_mul(sector_size / 4)
        {
            return Err(Corrupt::OversizedTable);
        }
    }

    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() > sectors.maxid.saturating_add(1) {
        return Err(Corrupt::OversizedTable);
    }
    let mut fat = Vec::with_capacity(fat_sectors.len() * (sector_size / 4));
    for id in fat_sectors {
        let Some(sector) = sectors.get(id) else {
            return Ok(None);
        };
        fat.extend(words(sector));
    }
    if has_loop(&fat) {
        return Err(Corrupt::LoopingChain);
    }
    Ok(Some((sectors, fat)))
}

/// The end-of-chain marker.
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_STREAM_CUTOFF: usize = 4096;

/// The `Workbook` stream (or `Book`, for Excel 5 files) exactly as calamine 0.38 reads
/// it (`cfb.rs`), for `biff_scan` to go through its records first. `None` when calamine
/// will refuse the file before reading any record, or when its reading would depend on
/// more than the file's table says (a mini stream sector past the mini stream makes
/// calamine read whatever follows in the file): the caller refuses such a file.
pub(super) fn workbook_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, Corrupt> {
    let Some((sectors, fat)) = table(bytes)? else {
        return Ok(None);
    };
    let directory = match chain(&sectors, &fat, u32_at(bytes, 48), usize::MAX) {
        Some(directory) => directory,
        None => return Ok(None),
    };
    let entries: Vec<Entry> = directory
        .chunks_exact(128)
        .map(|raw| Entry::parse(raw, sectors.size))
        .collect();
    let Some(root) = entries.first() else {
        return Ok(None);
    };
    let Some(stream) = ["Workbook", "Book"]
        .iter()
        .find_map(|name| entries.iter().find(|e| e.name.eq_ignore_ascii_case(name)))
    else {
        return Ok(None);
    };
    if stream.len >= MINI_STREAM_CUTOFF {
        return Ok(chain(&sectors, &fat, stream.start, stream.len));
    }
    let mini_fat_sectors = usize::try_from(u32_at(bytes, 64)).unwrap_or(usize::MAX);
    if mini_fat_sectors == 0 {
        return Ok(None);
    }
    let (Some(mini_stream), Some(mini_fat)) = (
        chain(&sectors, &fat, root.start, root.len),
        chain(
            &sectors,
            &fat,
            u32_at(bytes, 60),
            mini_fat_sectors.saturating_mul(sectors.size),
        ),
    ) else {
        return Ok(None);
    };
    let mini_fat: Vec<u32> = words(&mini_fat).collect();
    let mini = Sectors {
        bytes: &mini_stream,
        start: 0,
        size: 64,
        maxid: sectors.maxid.saturating_mul(8),
    };
    Ok(mini_chain(&mini, &mini_fat, stream.start, stream.len))
}

/// A chain of the mini stream. Past the mini stream, calamine reads on from wherever
/// its file reader is: such a chain is `None` too. Streams in the mini stream are
/// shorter than 4096 bytes, which bounds the loop.
fn mini_chain(mini: &Sectors<'_>, mini_fat: &[u32], mut id: u32, len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while id != END_OF_CHAIN {
        let sector = mini.get(id)?;
        if sector.len() < mini.size {
            return None;
        }
        let take = sector.len().min(len - out.len());
        out.extend_from_slice(&sector[..take]);
        if out.len() >= len {
            break;
        }
        id = *mini_fat.get(usize::try_from(id).ok()?)?;
    }
    Some(out)
}

/// A directory entry: the stream's name, first sector and length.
struct Entry {
    name: String,
    start: u32,
    len: usize,
}

impl Entry {
    fn parse(raw: &[u8], sector_size: usize) -> Self {
        let units: Vec<u16> = raw[..64]
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .collect();
        let mut name = String::from_utf16_lossy(&units);
        if let Some(end) = name.find('\0') {
            name.truncate(end);
        }
        let len = if sector_size == 512 {
            u64::from(u32_at(raw, 120))
        } else {
            match raw.get(120..128) {
                Some(&[a, b, c, d, e, f, g, h]) => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
                _ => 0,
            }
        };
        Self {
            name,
            start: u32_at(raw, 116),
            len: usize::try_from(len).unwrap_or(usize::MAX),
        }
    }
}

/// The chain of sectors from `id`, cut at `len` bytes, as calamine reads it; `None` where
/// calamine fails (a sector past the end, an entry outside the table). The table has no
/// loop (checked by [`table`]), so a chain ends within the file's sectors.
fn chain(sectors: &Sectors<'_>, fat: &[u32], mut id: u32, len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut steps = 0usize;
    while id != END_OF_CHAIN {
        steps += 1;
        if steps > fat.len().saturating_add(1) {
            return None;
        }
        let sector = sectors.get(id)?;
        let take = sector.len().min(len - out.len());
        out.extend_from_slice(&sector[..take]);
        if out.len() >= len {
            break;
        }
        id = *fat.get(usize::try_from(id).ok()?)?;
    }
    Some(out)
}

/// The file's sectors as calamine addresses them.
struct Sectors<'a> {
    bytes: &'a [u8],
    /// Where sector 0 starts.
    start: usize,
    size: usize,
    maxid: usize,
}

impl<'a> Sectors<'a> {
    /// Sector `id`, cut short at the end of the file; `None` where calamine fails.
    fn get(&self, id: u32) -> Option<&'a [u8]> {
        let id = usize::try_from(id).ok()?;
        if id > self.maxid {
            return None;
        }
        let from = self
            .start
            .saturating_add(id.saturating_mul(self.size))
            .min(self.bytes.len());
        let to = from.saturating_add(self.size).min(self.bytes.len());
        Some(&self.bytes[from..to])
    }
}

/// Whether following `fat` from some sector comes back to a sector already on the way.
/// Each entry points to one next sector (or to a marker, or out of the table): the
/// table is a functional graph, checked in linear time.
fn has_loop(fat: &[u32]) -> bool {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let next = |id: usize| -> Option<usize> {
        let to = *fat.get(id)?;
        let to = usize::try_from(to).ok()?;
        (to < fat.len()).then_some(to)
    };
    let mut state = vec![UNSEEN; fat.len()];
    let mut path = Vec::new();
    for first in 0..fat.len() {
        let mut id = Some(first);
        while let Some(current) = id {
            match state[current] {
                UNSEEN => {
                    state[current] = ON_PATH;
                    path.push(current);
                    id = next(current);
                }
                ON_PATH => return true,
                _ => break,
            }
        }
        for id in path.drain(..) {
            state[id] = DONE;
        }
    }
    false
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    match bytes.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// The little-endian words of a sector (a trailing partial word is dropped, as calamine
/// does).
fn words(sector: &[u8]) -> impl Iterator<Item = u32> + '_ {
    sector
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_found_in_linear_time() {
        assert!(!has_loop(&[]));
        assert!(!has_loop(&[1, 2, 0xFFFF_FFFE]));
        assert!(has_loop(&[0]));
        assert!(has_loop(&[1, 2, 0]));
        assert!(has_loop(&[0xFFFF_FFFE, 2, 3, 1]));
        // Long chains merging into one another: no loop.
        let mut merging: Vec<u32> = (1..=100_000).collect();
        merging[99_999] = 0xFFFF_FFFE;
        assert!(!has_loop(&merging));
    }

    #[test]
    fn real_workbooks_pass() {
        let fixture = include_bytes!("../../../tests/fixtures/roster-92-hr-export.xls");
        assert_eq!(check(fixture), Ok(()));
    }

    #[test]
    fn the_fuzzing_find_is_refused() {
        // 10 KB that made calamine allocate 2 GB.
        let found = include_bytes!("testdata/xls-oversized-fat.xls");
        assert_eq!(check(found), Err(Corrupt::OversizedTable));
    }

    #[test]
    fn a_directory_chain_looping_on_itself_is_refused() {
        let mut bytes = include_bytes!("../../../tests/fixtures/roster-92-hr-export.xls").to_vec();
        assert_eq!(u16_at(&bytes, 30), 9, "512-byte sectors");
        let first_fat_sector = u32_at(&bytes, 76) as usize;
        let dir_start = u32_at(&bytes, 48) as usize;
        assert!(dir_start < 128, "its FAT entry is in the first FAT sector");
        // The directory's first sector now points to itself.
        let entry = 512 + first_fat_sector * 512 + dir_start * 4;
        bytes[entry..entry + 4].copy_from_slice(&(dir_start as u32).to_le_bytes());
        assert_eq!(check(&bytes), Err(Corrupt::LoopingChain));
    }
}
