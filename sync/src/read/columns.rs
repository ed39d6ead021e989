//! Finding the header row and the columns by name, then reading the data rows under it.
//!
//! Names are compared once folded (case, accents, punctuation and spaces removed), so
//! "E-mail", "EMAIL" and "e mail" are one column, with the aliases HR systems use.

use super::{Cell, Sheet};
pub(crate) use crate::field::{Field, field_for_header};
use crate::problem::{Problem, ProblemCode, Problems};

/// Rows searched for the header at the top of each sheet (title lines come first).
const HEADER_SEARCH_ROWS: usize = 30;
/// Longest text accepted in a cell: longer is a pasting accident, not a name.
const MAX_CELL_CHARS: usize = 2000;

/// Where each field is, in the header row found.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    /// Index of the sheet in the workbook.
    pub sheet: usize,
    /// Index of the header row in the sheet's rows.
    pub header_index: usize,
    /// The header row number as people see it.
    pub header_row: u32,
    positions: [Option<usize>; Field::COUNT],
    headers: [String; Field::COUNT],
    /// Columns not used (index, header as written).
    pub ignored: Vec<(usize, String)>,
    /// Repeated columns (index, header as written): the first of each is used.
    pub duplicates: Vec<(usize, String)>,
}

impl Columns {
    /// The column index of `field`, if the file has it.
    pub fn position(&self, field: Field) -> Option<usize> {
        self.positions[field.index()]
    }

    /// The header of `field` as written in the file (the template's name if absent).
    pub fn header(&self, field: Field) -> &str {
        let written = &self.headers[field.index()];
        if written.is_empty() {
            field.label()
        } else {
            written
        }
    }

    /// Reads a row as a header: which fields it names, and where.
    fn from_row(sheet: usize, header_index: usize, header_row: u32, row: &[Cell]) -> Self {
        let mut columns = Columns {
            sheet,
            header_index,
            header_row,
            positions: [None; Field::COUNT],
            headers: Default::default(),
            ignored: Vec::new(),
            duplicates: Vec::new(),
        };
        for (index, cell) in row.iter().enumerate() {
            let Cell::Text(text) = cell else { continue };
            match field_for_header(text) {
                Some(field) if columns.positions[field.index()].is_none() => {
                    columns.positions[field.index()] = Some(index);
                    columns.headers[field.index()] = text.clone();
                }
                Some(_) => columns.duplicates.push((index, text.clone())),
                None => columns.ignored.push((index, text.clone())),
            }
        }
        columns
    }

    fn found(&self) -> usize {
        self.positions.iter().filter(|p| p.is_some()).count()
    }

    fn missing_required(&self) -> Vec<Field> {
        Field::REQUIRED
            .into_iter()
            .filter(|f| self.position(*f).is_none())
            .collect()
    }
}

/// Finds the header row: in the first sheet that has one, the first row (among the top
/// rows) naming every required column. Without one, the problems say which columns are
/// missing from the row that came closest.
pub(crate) fn find_header(sheets: &[Sheet]) -> Result<Columns, Vec<Problem>> {
    let mut best: Option<Columns> = None;
    let mut any_cell = false;
    for (sheet_index, sheet) in sheets.iter().enumerate() {
        for (row_index, row) in sheet.rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
            if row.iter().any(|c| !c.is_empty()) {
                any_cell = true;
            }
            let columns =
                Columns::from_row(sheet_index, row_index, sheet.row_number(row_index), row);
            if columns.missing_required().is_empty() {
                return Ok(columns);
            }
            if columns.found() > best.as_ref().map_or(0, Columns::found) {
                best = Some(columns);
            }
        }
        if sheet
            .rows
            .iter()
            .skip(HEADER_SEARCH_ROWS)
            .any(|r| r.iter().any(|c| !c.is_empty()))
        {
            any_cell = true;
        }
    }
    if !any_cell {
        return Err(vec![Problem::new(
            ProblemCode::EmptyFile,
            "Le fichier ne contient aucune donnée : aucune feuille n'a de cellule remplie.",
        )]);
    }
    Err(match best {
        Some(columns) => {
            let sheet_name = sheets.get(columns.sheet).map_or("", |s| s.name.as_str());
            columns
                .missing_required()
                .into_iter()
                .map(|field| {
                    Problem::new(
                        ProblemCode::MissingColumn,
                        format!(
                            "La colonne obligatoire « {} » est absente de la ligne d'en-tête \
                             (feuille « {sheet_name} », ligne {}). Noms acceptés : {}.",
                            field.label(),
                            columns.header_row,
                            field.aliases()
                        ),
                    )
                    .at_row(columns.header_row)
                    .in_column(field.label())
                })
                .collect()
        }
        None => vec![Problem::new(
            ProblemCode::MissingColumn,
            format!(
                "Aucune ligne d'en-tête n'a été trouvée dans les {HEADER_SEARCH_ROWS} premières \
                 lignes des feuilles. Les colonnes obligatoires sont : Nom, Prénom, Courriel et \
                 Territoire (voir le modèle de fichier)."
            ),
        )],
    })
}

/// A data row: the trimmed text of each field present and non-empty.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawRow {
    /// Row number as people see it.
    pub row: u32,
    values: [Option<String>; Field::COUNT],
    /// Cells already reported as wrong (error, date, too long): no value, and not
    /// "empty" either.
    invalid: [bool; Field::COUNT],
}

impl RawRow {
    /// The text of `field`, if given.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values[field.index()].as_deref()
    }

    /// Whether the cell of `field` was reported as wrong while reading.
    pub fn is_invalid(&self, field: Field) -> bool {
        self.invalid[field.index()]
    }
}

/// The problem of a cell whose type does not fit its column, or `None` when it fits.
fn wrong_type(cell: &Cell, field: Field) -> Option<String> {
    let what = match cell {
        Cell::Date(_) => "une date",
        Cell::Bool(_) => "une valeur logique (vrai ou faux)",
        Cell::Empty | Cell::Text(_) | Cell::Error(_) => return None,
    };
    if !field.typed() {
        return None;
    }
    let hint = match cell {
        Cell::Date(_) => {
            "le tableur a sans doute converti ce qui a été saisi (« 5/3 » devient le 5 mars). \
             Mettez la colonne au format Texte puis saisissez la valeur à nouveau."
        }
        _ => "Mettez la colonne au format Texte puis saisissez la valeur à nouveau.",
    };
    Some(format!(
        "La cellule contient {what} (le tableur affiche « {} ») au lieu {} : {hint}",
        cell.shown(),
        field.expected()
    ))
}

/// Reads the rows under the header. Blank rows are skipped (a warning when more rows
/// follow them); cells holding a spreadsheet error, a date or a true/false value where
/// text is expected, or an absurd length are errors (and marked invalid on the row).
pub(crate) fn extract_rows(
    sheet: &Sheet,
    columns: &Columns,
    max_rows: usize,
    problems: &mut Problems,
) -> Vec<RawRow> {
    for (_, header) in &columns.ignored {
        problems.push(
            Problem::new(
                ProblemCode::IgnoredColumn,
                format!(
                    "La colonne « {header} » n'est pas utilisée par l'import : elle est ignorée."
                ),
            )
            .at_row(columns.header_row)
            .in_column(header.clone()),
        );
    }
    for (_, header) in &columns.duplicates {
        problems.push(
            Problem::new(
                ProblemCode::DuplicateColumn,
                format!(
                    "La colonne « {header} » apparaît plusieurs fois : seule la première est lue."
                ),
            )
            .at_row(columns.header_row)
            .in_column(header.clone()),
        );
    }

    let data = sheet.rows.iter().enumerate().skip(columns.header_index + 1);
    let candidate_rows = data
        .clone()
        .filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
        .count();
    if candidate_rows > max_rows {
        problems.push(Problem::new(
            ProblemCode::TooManyRows,
            format!(
                "Le fichier compte {candidate_rows} lignes de données, au-delà de la limite de \
                 {max_rows} lignes. Vérifiez qu'il s'agit bien de la liste des coordonnateurs."
            ),
        ));
        return Vec::new();
    }

    let mut rows = Vec::with_capacity(candidate_rows);
    let mut pending_blank: Vec<u32> = Vec::new();
    for (index, cells) in data {
        let number = sheet.row_number(index);
        let mut raw = RawRow {
            row: number,
            ..Default::default()
        };
        let mut blank = true;
        for field in Field::ALL {
            let Some(position) = columns.position(field) else {
                continue;
            };
            let Some(cell) = cells.get(position).filter(|c| !c.is_empty()) else {
                continue;
            };
            blank = false;
            let problem = |code: ProblemCode, message: String| {
                Problem::new(code, message)
                    .at_row(number)
                    .in_column(columns.header(field))
            };
            if let Some(message) = wrong_type(cell, field) {
                problems.push(problem(ProblemCode::WrongCellType, message));
                raw.invalid[field.index()] = true;
                continue;
            }
            match cell {
                Cell::Error(error) => {
                    problems.push(problem(
                        ProblemCode::CellError,
                        format!(
                            "La cellule contient l'erreur {error} (formule en erreur) au lieu \
                             d'une valeur."
                        ),
                    ));
                    raw.invalid[field.index()] = true;
                }
                _ if cell.shown().chars().count() > MAX_CELL_CHARS => {
                    problems.push(problem(
                        ProblemCode::TextTooLong,
                        format!(
                            "La cellule compte plus de {MAX_CELL_CHARS} caractères : ce n'est \
                             sans doute pas la bonne donnée."
                        ),
                    ));
                    raw.invalid[field.index()] = true;
                }
                _ => raw.values[field.index()] = Some(cell.shown().to_owned()),
            }
        }
        if blank {
            pending_blank.push(number);
            continue;
        }
        for blank_row in pending_blank.drain(..) {
            problems.push(
                Problem::new(
                    ProblemCode::BlankLine,
                    "Ligne vide entre deux coordonnateurs : elle est ignorée.",
                )
                .at_row(blank_row),
            );
        }
        rows.push(raw);
    }
    if rows.is_empty() {
        problems.push(
            Problem::new(
                ProblemCode::NoDataRows,
                "Le fichier contient la ligne d'en-tête mais aucun coordonnateur en dessous. \
                 Un fichier sans personne désactiverait tout l'annuaire : il est refusé.",
            )
            .at_row(columns.header_row),
        );
    }
    rows
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sheet(first_row: u32, rows: &[&[&str]]) -> Sheet {
        Sheet {
            name: "Feuil1".into(),
            first_row,
            first_column: 0,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|t| Cell::text(t)).collect())
                .collect(),
        }
    }

    #[test]
    fn headers_match_with_aliases_case_accents_and_punctuation() {
        for (header, field) in [
            ("Nom", Field::LastName),
            ("NOM", Field::LastName),
            ("Prénom", Field::FirstName),
            ("PRENOM", Field::FirstName),
            ("Courriel", Field::Email),
            ("E-mail", Field::Email),
            ("email", Field::Email),
            ("Adresse mail", Field::Email),
            ("Territoire", Field::Territory),
            ("Affectation", Field::Territory),
            ("Matricule", Field::EmployeeId),
            ("N° matricule", Field::EmployeeId),
            ("Fonction", Field::Title),
            ("Libellé emploi", Field::Title),
            ("Poste", Field::Title),
            ("Téléphone", Field::Phone),
            ("Tél. portable", Field::Phone),
            ("Mobile", Field::Phone),
            ("Communes", Field::Communes),
            (" communes ", Field::Communes),
        ] {
            assert_eq!(field_for_header(header), Some(field), "{header}");
        }
        for other in ["Direction", "Service", "Date d'entrée", "", "Nom Prénom"] {
            assert_eq!(field_for_header(other), None, "{other}");
        }
    }

    #[test]
    fn header_found_below_title_lines_in_any_order() {
        let s = sheet(
            0,
            &[
                &["Direction des ressources humaines - extraction"],
                &["Extraction du 27/11/2026"],
                &[],
                &[
                    "Matricule",
                    "NOM",
                    "Prénom",
                    "Service",
                    "Affectation",
                    "Adresse mail",
                ],
                &[
                    "104200",
                    "LARA",
                    "Sandrine",
                    "SAEC",
                    "Territoire 1",
                    "x@y.fr",
                ],
            ],
        );
        let columns = find_header(std::slice::from_ref(&s)).unwrap();
        assert_eq!(columns.header_row, 4);
        assert_eq!(columns.position(Field::Email), Some(5));
        assert_eq!(columns.header(Field::Territory), "Affectation");
        assert_eq!(columns.header(Field::Phone), "Téléphone");
        assert_eq!(columns.ignored, vec![(3, "Service".to_owned())]);

        let mut problems = Problems::default();
        let rows = extract_rows(&s, &columns, 10, &mut problems);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 5);
        assert_eq!(rows[0].get(Field::EmployeeId), Some("104200"));
        assert!(!problems.has_errors());
        let problems = problems.into_reported().items;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, ProblemCode::IgnoredColumn);
    }

    #[test]
    fn the_first_sheet_with_a_header_is_read() {
        let notes = sheet(0, &[&["Notes"], &["Nom", "Prénom"]]);
        let roster = sheet(
            2,
            &[
                &["Nom", "Prénom", "Courriel", "Territoire"],
                &["A", "B", "c@d.fr", "1"],
            ],
        );
        let columns = find_header(&[notes, roster]).unwrap();
        assert_eq!(columns.sheet, 1);
        // calamine's range started at row index 2: the header is on row 3.
        assert_eq!(columns.header_row, 3);
    }

    #[test]
    fn missing_columns_are_named_from_the_closest_row() {
        let s = sheet(
            0,
            &[
                &["Liste"],
                &["Nom", "Prénom", "Territoire"],
                &["A", "B", "1"],
            ],
        );
        let problems = find_header(&[s]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, ProblemCode::MissingColumn);
        assert_eq!(problems[0].row, Some(2));
        assert_eq!(problems[0].column.as_deref(), Some("Courriel"));

        let unrelated = sheet(0, &[&["Bonjour"], &["rien", "ici"]]);
        let problems = find_header(&[unrelated]).unwrap_err();
        assert_eq!(problems[0].code, ProblemCode::MissingColumn);

        let empty = sheet(0, &[]);
        let problems = find_header(&[empty]).unwrap_err();
        assert_eq!(problems[0].code, ProblemCode::EmptyFile);
    }

    #[test]
    fn blank_lines_warn_only_between_rows_and_headers_alone_is_an_error() {
        let s = sheet(
            0,
            &[
                &["Nom", "Prénom", "Courriel", "Territoire"],
                &["A", "B", "c@d.fr", "1"],
                &[],
                &["", "", "", ""],
                &["E", "F", "g@h.fr", "2"],
                &[],
            ],
        );
        let columns = find_header(std::slice::from_ref(&s)).unwrap();
        let mut problems = Problems::default();
        let rows = extract_rows(&s, &columns, 10, &mut problems);
        assert_eq!(rows.len(), 2);
        let blanks: Vec<_> = problems
            .into_reported()
            .items
            .iter()
            .map(|p| (p.code, p.row))
            .collect();
        assert_eq!(
            blanks,
            vec![
                (ProblemCode::BlankLine, Some(3)),
                (ProblemCode::BlankLine, Some(4))
            ]
        );

        let headers_only = sheet(0, &[&["Nom", "Prénom", "Courriel", "Territoire"]]);
        let columns = find_header(std::slice::from_ref(&headers_only)).unwrap();
        let mut problems = Problems::default();
        assert!(extract_rows(&headers_only, &columns, 10, &mut problems).is_empty());
        assert_eq!(
            problems.into_reported().items[0].code,
            ProblemCode::NoDataRows
        );
    }

    #[test]
    fn row_limit_and_cell_errors() {
        let s = sheet(
            0,
            &[
                &["Nom", "Prénom", "Courriel", "Territoire"],
                &["A", "B", "c@d.fr", "1"],
                &["E", "F", "g@h.fr", "2"],
            ],
        );
        let columns = find_header(std::slice::from_ref(&s)).unwrap();
        let mut problems = Problems::default();
        extract_rows(&s, &columns, 1, &mut problems);
        assert_eq!(
            problems.into_reported().items[0].code,
            ProblemCode::TooManyRows
        );

        let mut with_error = s.clone();
        with_error.rows[1][2] = Cell::Error("#N/A".into());
        let mut problems = Problems::default();
        let rows = extract_rows(&with_error, &columns, 10, &mut problems);
        assert!(rows[0].is_invalid(Field::Email));
        let problems = problems.into_reported().items;
        assert_eq!(problems[0].code, ProblemCode::CellError);
        assert_eq!(problems[0].row, Some(2));
        assert_eq!(problems[0].column.as_deref(), Some("Courriel"));
    }

    #[test]
    fn dates_and_true_false_values_are_refused_where_text_is_expected() {
        let mut s = sheet(
            0,
            &[
                &[
                    "Matricule",
                    "Nom",
                    "Prénom",
                    "Courriel",
                    "Territoire",
                    "Téléphone",
                    "Fonction",
                ],
                &["1", "A", "B", "c@d.fr", "5", "", ""],
            ],
        );
        s.rows[1][4] = Cell::Date("05/03/2026".into());
        s.rows[1][0] = Cell::Bool(true);
        // The job title is free text: what the spreadsheet shows is kept.
        s.rows[1][6] = Cell::Date("01/02/2026".into());
        let columns = find_header(std::slice::from_ref(&s)).unwrap();
        let mut problems = Problems::default();
        let rows = extract_rows(&s, &columns, 10, &mut problems);
        assert_eq!(rows[0].get(Field::Territory), None);
        assert!(rows[0].is_invalid(Field::Territory));
        assert_eq!(rows[0].get(Field::Title), Some("01/02/2026"));
        let problems = problems.into_reported().items;
        let found: Vec<_> = problems
            .iter()
            .map(|p| (p.row, p.column.as_deref(), p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                (Some(2), Some("Matricule"), ProblemCode::WrongCellType),
                (Some(2), Some("Territoire"), ProblemCode::WrongCellType),
            ]
        );
        assert!(
            problems[0].message.contains("« VRAI »"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[1]
                .message
                .contains("une date (le tableur affiche « 05/03/2026 »)"),
            "{}",
            problems[1].message
        );
    }
}
