//! CSV files as HR systems export them: UTF-8 (with or without BOM), UTF-16 with BOM,
//! or Windows-1252; separated by semicolons (French Excel), commas or tabs.

use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::columns::field_for_header;
use super::{Cell, Sheet};
use crate::problem::{Problem, ProblemCode};

/// Rows looked at to choose the separator.
const SNIFF_ROWS: usize = 30;

pub(super) fn read(bytes: &[u8], file_name: &str) -> Result<Sheet, Problem> {
    let text = decode(bytes)?;
    check_complete(&text)?;
    let delimiter = sniff_delimiter(&text);
    let rows = parse(&text, delimiter)?;
    Ok(Sheet {
        name: file_name.to_owned(),
        first_row: 0,
        first_column: 0,
        rows,
    })
}

/// Decodes the text: a BOM decides; otherwise valid UTF-8 is UTF-8 and anything else is
/// taken as Windows-1252 (which decodes every byte), the encoding of French Excel's CSV.
pub(super) fn decode(bytes: &[u8]) -> Result<String, Problem> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => WINDOWS_1252
                .decode_without_bom_handling(rest)
                .0
                .into_owned(),
        }
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        UTF_16LE.decode_without_bom_handling(rest).0.into_owned()
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        UTF_16BE.decode_without_bom_handling(rest).0.into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    };
    if text.contains('\0') {
        return Err(Problem::new(
            ProblemCode::UnreadableFile,
            "Le fichier n'est ni un classeur (.xlsx, .xls, .ods) ni un fichier texte (.csv) : \
             son contenu est binaire. Enregistrez la liste au format .xlsx ou .csv.",
        ));
    }
    Ok(text)
}

/// A CSV file ends with a line end: one whose last line has none was cut short — most
/// often taken while still being copied — and may miss people, who would be deactivated.
fn check_complete(text: &str) -> Result<(), Problem> {
    if text.is_empty() || text.ends_with(['\n', '\r']) {
        return Ok(());
    }
    Err(Problem::new(
        ProblemCode::IncompleteFile,
        "Le fichier CSV est incomplet : sa dernière ligne ne se termine pas par un retour à \
         la ligne. Il a sans doute été pris pendant sa copie, ou la copie s'est \
         interrompue. Déposez-le à nouveau une fois la copie terminée (un fichier CSV \
         complet se termine toujours par un retour à la ligne).",
    ))
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// The separator under which the first rows hold the most known column names, then the
/// most fields: a title line without separators does not mislead it.
pub(super) fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b';', (0usize, 0usize));
    for delimiter in [b';', b',', b'\t'] {
        let mut known = 0;
        let mut fields = 0;
        for record in reader(text, delimiter).records().take(SNIFF_ROWS).flatten() {
            let recognised = record
                .iter()
                .filter(|f| field_for_header(f).is_some())
                .count();
            known = known.max(recognised);
            fields += record.len();
        }
        if (known, fields) > best.1 {
            best = (delimiter, (known, fields));
        }
    }
    best.0
}

/// Parses the records into rows numbered as a spreadsheet program opening the file would
/// number them: one row per record, and the blank lines the csv crate skips put back as
/// empty rows.
fn parse(text: &str, delimiter: u8) -> Result<Vec<Vec<Cell>>, Problem> {
    let mut rows = Vec::new();
    for record in reader(text, delimiter).records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            Problem::new(
                ProblemCode::UnreadableFile,
                format!("Le fichier CSV est mal formé vers la ligne {line}."),
            )
        })?;
        // A record's position is where the reader resumed after the previous record:
        // the blank lines it then skipped come first.
        let resumed = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        for _ in 0..leading_blank_lines(text.as_bytes(), resumed) {
            rows.push(Vec::new());
        }
        rows.push(record.iter().map(Cell::text).collect());
    }
    Ok(rows)
}

/// Empty lines starting at `start` (`\n`, `\r\n` or `\r` each end one). The reader may
/// resume between the `\r` and the `\n` of the previous record's terminator: that `\n`
/// ends no line of its own.
fn leading_blank_lines(bytes: &[u8], start: usize) -> usize {
    let mut index = start;
    if index > 0 && bytes.get(index - 1) == Some(&b'\r') && bytes.get(index) == Some(&b'\n') {
        index += 1;
    }
    let mut count = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\r' if bytes.get(index + 1) == Some(&b'\n') => index += 2,
            b'\r' | b'\n' => index += 1,
            _ => break,
        }
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
        sheet
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| match c {
                        Cell::Text(t) => t.clone(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn reads_windows_1252_with_semicolons() {
        let bytes = b"Nom;Pr\xe9nom;Courriel;Territoire\r\nL\xc9GER;Zo\xe9;z@x.fr;T3\r\n";
        let sheet = read(bytes, "r.csv").ok().unwrap_or_else(|| unreachable!());
        assert_eq!(
            texts(&sheet),
            vec![
                vec!["Nom", "Prénom", "Courriel", "Territoire"],
                vec!["LÉGER", "Zoé", "z@x.fr", "T3"]
            ]
        );
    }

    #[test]
    fn reads_utf8_with_bom_and_commas() {
        let bytes =
            "\u{feff}Nom,Prénom,Courriel,Territoire\nLÉGER,Zoé,z@x.fr,\"Territoire 3, Clichy\"\n";
        let sheet = read(bytes.as_bytes(), "r.csv")
            .ok()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(texts(&sheet)[0][1], "Prénom");
        assert_eq!(texts(&sheet)[1][3], "Territoire 3, Clichy");
    }

    #[test]
    fn reads_utf16_with_bom_and_tabs() {
        let text = "Nom\tPrénom\tCourriel\tTerritoire\nA\tB\tc@x.fr\t1\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let sheet = read(&bytes, "r.txt").ok().unwrap_or_else(|| unreachable!());
        assert_eq!(texts(&sheet)[1], vec!["A", "B", "c@x.fr", "1"]);
    }

    #[test]
    fn title_lines_do_not_fool_the_separator() {
        let text = "Extraction du 27/11/2026, services RH\n\nNom;Prénom;Courriel;Territoire;Communes\nA;B;c@x.fr;1;Antony, Sceaux\n";
        assert_eq!(sniff_delimiter(text), b';');
        let text = "Nom,Prénom,Courriel,Territoire\nA,B,c@x.fr,1\n";
        assert_eq!(sniff_delimiter(text), b',');
    }

    #[test]
    fn crlf_line_ends_add_no_rows() {
        let text = "Nom;Prénom\r\nA;B\r\n\r\nC;D\r\n";
        let sheet = read(text.as_bytes(), "r.csv")
            .ok()
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            texts(&sheet),
            vec![
                vec!["Nom", "Prénom"],
                vec!["A", "B"],
                vec![],
                vec!["C", "D"]
            ]
        );
    }

    #[test]
    fn blank_and_multi_line_records_keep_spreadsheet_row_numbers() {
        let text = "Titre\n\nNom;Prénom\n\"A\";\"Antony\nSceaux\"\nB;C\n";
        let sheet = read(text.as_bytes(), "r.csv")
            .ok()
            .unwrap_or_else(|| unreachable!());
        let rows = texts(&sheet);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[2], vec!["Nom", "Prénom"]);
        assert_eq!(rows[3], vec!["A", "Antony\nSceaux"]);
        assert_eq!(rows[4], vec!["B", "C"]);
    }

    #[test]
    fn a_last_line_without_line_end_is_incomplete() {
        let cut = "Nom;Prénom;Courriel;Territoire\nLARA;Sandrine;slara@x.fr;1\nMAILL";
        let result = read(cut.as_bytes(), "r.csv");
        assert_eq!(
            result.err().map(|p| p.code),
            Some(ProblemCode::IncompleteFile)
        );
        for complete in [
            "Nom;Prénom\r\nA;B\r\n",
            "Nom;Prénom\nA;B\n",
            "Nom;Prénom\rA;B\r",
        ] {
            assert!(read(complete.as_bytes(), "r.csv").is_ok(), "{complete:?}");
        }
    }

    #[test]
    fn binary_content_is_unreadable() {
        let result = decode(b"\x00\x01\x02garbage");
        assert_eq!(
            result.err().map(|p| p.code),
            Some(ProblemCode::UnreadableFile)
        );
    }
}
