//! From raw rows to people: every cell normalised and checked, rows of one person merged
//! (an interim covers several territories), communes resolved and their claims checked.
//!
//! Every problem is collected, so one report lists them all; any error rejects the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use entity::normalize::{fold, fold_tokens, normalize_email, normalize_phone};

use crate::field::{CoordinatorField, Kind, Values};
use crate::problem::{Problem, ProblemCode, Problems};
use crate::read::{Columns, Field, RawRow};
use crate::reference::{CommuneLookup, Reference};

/// How a person is recognised from one import to the next.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// The HR matricule, when the row has one.
    EmployeeId(String),
    /// The e-mail otherwise.
    Email(String),
}

/// A value of an optional column: `None` when the file has no such column (the stored
/// value is kept); `Some(None)` for an empty cell (the stored value is cleared).
pub(crate) type Optional = Option<Option<String>>;

/// One person of the file, rows merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Person {
    pub key: Key,
    /// The matricule, if the row has one (an empty cell keeps the stored one).
    pub employee_id: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    /// The optional details ([`Kind::Text`] and [`Kind::Phone`]), phones in E.164.
    pub details: Values<Optional>,
    /// Territory numbers: more than one during an interim.
    pub territories: BTreeSet<i32>,
    /// Spreadsheet rows describing the person.
    pub rows: Vec<u32>,
}

impl Person {
    /// The file's value of `field`: `None` keeps the stored value.
    pub fn value(&self, field: CoordinatorField) -> Optional {
        match field.kind() {
            Kind::EmployeeId => self.employee_id.clone().map(Some),
            Kind::LastName => Some(Some(self.last_name.clone())),
            Kind::FirstName => Some(Some(self.first_name.clone())),
            Kind::Email => Some(Some(self.email.clone())),
            Kind::Text | Kind::Phone => self.details.get(field).clone(),
        }
    }
}

/// A commune listed in the Communes column: it belongs to `territory` after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommuneClaim {
    /// Index into [`Reference::communes`].
    pub commune: usize,
    pub territory: i32,
    pub row: u32,
}

/// A file that passed every check.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValidRoster {
    pub persons: Vec<Person>,
    pub claims: Vec<CommuneClaim>,
}

/// Reads a territory as people write it: "Territoire 3", "T3", "T 3", "3", "03",
/// "Territoire n° 3", "Territoire 3 - Clichy, Levallois…". `None` if no number is found
/// where one is expected.
pub(crate) fn parse_territory(text: &str) -> Option<i32> {
    let tokens = fold_tokens(text);
    let number = |token: &str| -> Option<i32> {
        if !token.is_empty() && token.len() <= 4 && token.bytes().all(|b| b.is_ascii_digit()) {
            token.parse().ok()
        } else {
            None
        }
    };
    let first = tokens.first()?;
    if let Some(n) = number(first) {
        return Some(n);
    }
    if let Some(n) = first.strip_prefix('t').and_then(number) {
        return Some(n);
    }
    if matches!(first.as_str(), "territoire" | "t" | "terr" | "ter") {
        let mut rest = tokens.iter().skip(1).map(String::as_str);
        let mut next = rest.next()?;
        if matches!(next, "n" | "no" | "numero") {
            next = rest.next()?;
        }
        return number(next);
    }
    None
}

/// Splits a Communes cell on commas, semicolons and line breaks.
pub(crate) fn split_communes(text: &str) -> Vec<&str> {
    text.split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect()
}

/// A territory cell holding text shaped like a date (`5/3`, `05/03/2026`,
/// `2026-03-05`): what a CSV file saved by a spreadsheet holds once it turned "5/3" into
/// a date. Read as a number, it would be territory 5.
fn looks_like_date(text: &str) -> bool {
    let mut parts = 0;
    for part in text.trim().split(['/', '-', '.']) {
        parts += 1;
        let digits = (1..=4).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        if !digits || parts > 3 {
            return false;
        }
    }
    parts >= 2
}

/// One row, checked: what could be read of it, whether or not every cell is right, so
/// that the checks across rows run on every row that has the cells they need.
struct CheckedRow {
    row: u32,
    /// No cell of the row is wrong: the row can become (part of) a person.
    valid: bool,
    /// The matricule, if given and readable.
    employee_id: Option<String>,
    /// The matricule cell is wrong: the row's key is unknown.
    employee_id_invalid: bool,
    last_name: Option<String>,
    first_name: Option<String>,
    email: Option<String>,
    territory: Option<i32>,
    details: Values<Optional>,
    communes: Vec<usize>,
}

impl CheckedRow {
    /// The row's key, when its cells tell it.
    fn key(&self) -> Option<Key> {
        if self.employee_id_invalid {
            return None;
        }
        match &self.employee_id {
            Some(matricule) => Some(Key::EmployeeId(matricule.clone())),
            None => self.email.clone().map(Key::Email),
        }
    }

    /// The folded identity of the row, to tell an interim row from a key collision.
    fn identity(&self) -> Option<(String, String, String)> {
        match (&self.last_name, &self.first_name, &self.email) {
            (Some(last), Some(first), Some(email)) => {
                Some((fold(last), fold(first), email.clone()))
            }
            _ => None,
        }
    }

    /// "LARA Sandrine", or "la personne" when a name is missing.
    fn who(&self) -> String {
        match (&self.last_name, &self.first_name) {
            (Some(last), Some(first)) => format!("{last} {first}"),
            (Some(name), None) | (None, Some(name)) => name.clone(),
            (None, None) => "la personne".to_owned(),
        }
    }

    /// The person the row describes, if every cell is right.
    fn person(&self) -> Option<Person> {
        if !self.valid {
            return None;
        }
        let (key, last_name, first_name, email, territory) = (
            self.key()?,
            self.last_name.clone()?,
            self.first_name.clone()?,
            self.email.clone()?,
            self.territory?,
        );
        Some(Person {
            key,
            employee_id: self.employee_id.clone(),
            last_name,
            first_name,
            email,
            details: self.details.clone(),
            territories: BTreeSet::from([territory]),
            rows: vec![self.row],
        })
    }
}

/// The first row seen with a key.
struct KeyHolder {
    row: u32,
    identity: (String, String, String),
    /// "LARA Sandrine, slara@…", for messages.
    described: String,
    /// Index into [`ValidRoster::persons`], when that row was valid.
    person: Option<usize>,
}

/// The first row seen with an e-mail.
struct EmailHolder {
    row: u32,
    key: Key,
    who: String,
}

/// What the checks across rows remember of the rows before.
#[derive(Default)]
struct CrossRows {
    by_key: HashMap<Key, KeyHolder>,
    by_email: HashMap<String, EmailHolder>,
    /// Commune index → (territory, row).
    claimed: BTreeMap<usize, (i32, u32)>,
}

/// Checks every row and merges them into people.
pub(crate) fn validate(
    rows: &[RawRow],
    columns: &Columns,
    reference: &Reference,
    problems: &mut Problems,
    mut progress: impl FnMut(usize),
) -> ValidRoster {
    let mut roster = ValidRoster::default();
    let mut cross = CrossRows::default();
    for (index, raw) in rows.iter().enumerate() {
        let row = check_row(raw, columns, reference, problems);
        cross.check(row, columns, reference, problems, &mut roster);
        if index % 1000 == 999 {
            progress(index + 1);
        }
    }
    progress(rows.len());
    roster
}

impl CrossRows {
    /// The checks across rows, each on the row's cells it needs: the key with the
    /// identity, the e-mail with the key, the communes with the territory. A row with
    /// other errors is still checked, so one error never hides another.
    fn check(
        &mut self,
        row: CheckedRow,
        columns: &Columns,
        reference: &Reference,
        problems: &mut Problems,
        roster: &mut ValidRoster,
    ) {
        let key = row.key();
        let mut clash = false;
        let mut same_person = false;
        if let (Some(key), Some(identity)) = (&key, row.identity()) {
            match self.by_key.get(key) {
                Some(holder) if holder.identity != identity => {
                    let what = match key {
                        Key::EmployeeId(m) => format!("Le matricule {m}"),
                        Key::Email(e) => format!("L'adresse {e}"),
                    };
                    let column = match key {
                        Key::EmployeeId(_) => columns.header(Field::EmployeeId),
                        Key::Email(_) => columns.header(Field::Email),
                    };
                    problems.push(
                        Problem::new(
                            ProblemCode::DuplicateKey,
                            format!(
                                "{what} figure déjà ligne {} pour une autre personne ({}). Une \
                                 même clé ne peut désigner qu'une personne.",
                                holder.row, holder.described
                            ),
                        )
                        .at_row(row.row)
                        .in_column(column),
                    );
                    clash = true;
                }
                Some(holder) => {
                    same_person = true;
                    if let (Some(index), Some(person)) = (holder.person, row.person()) {
                        merge_row(&mut roster.persons[index], person, columns, problems);
                    }
                }
                None => {
                    self.by_key.insert(
                        key.clone(),
                        KeyHolder {
                            row: row.row,
                            described: format!("{}, {}", row.who(), identity.2),
                            identity,
                            person: None,
                        },
                    );
                }
            }
        }

        if !clash && let (Some(key), Some(email)) = (&key, &row.email) {
            match self.by_email.get(email) {
                Some(holder) if holder.key != *key => {
                    problems.push(
                        Problem::new(
                            ProblemCode::DuplicateEmail,
                            format!(
                                "L'adresse {email} est déjà celle de {} (ligne {}) : deux \
                                 personnes ne peuvent pas partager une adresse.",
                                holder.who, holder.row
                            ),
                        )
                        .at_row(row.row)
                        .in_column(columns.header(Field::Email)),
                    );
                    clash = true;
                }
                Some(_) => {}
                None => {
                    self.by_email.insert(
                        email.clone(),
                        EmailHolder {
                            row: row.row,
                            key: key.clone(),
                            who: row.who(),
                        },
                    );
                }
            }
        }

        if let Some(territory) = row.territory {
            self.claim(&row, territory, columns, reference, problems, roster);
        }

        if clash || same_person {
            return;
        }
        if let (Some(key), Some(person)) = (&key, row.person()) {
            if let Some(holder) = self.by_key.get_mut(key) {
                holder.person = Some(roster.persons.len());
            }
            roster.persons.push(person);
        }
    }

    /// A commune listed under two territories is an error.
    fn claim(
        &mut self,
        row: &CheckedRow,
        territory: i32,
        columns: &Columns,
        reference: &Reference,
        problems: &mut Problems,
        roster: &mut ValidRoster,
    ) {
        for &commune in &row.communes {
            match self.claimed.get(&commune) {
                Some((other, _)) if *other == territory => {}
                Some((other, other_row)) => {
                    let name = reference
                        .communes
                        .get(commune)
                        .map_or("", |c| c.name.as_str());
                    problems.push(
                        Problem::new(
                            ProblemCode::CommuneClaimedTwice,
                            format!(
                                "La commune {name} est déjà rattachée au {} ligne {other_row} : \
                                 une commune ne peut appartenir qu'à un seul territoire.",
                                reference.territory_name(*other)
                            ),
                        )
                        .at_row(row.row)
                        .in_column(columns.header(Field::Communes)),
                    );
                }
                None => {
                    self.claimed.insert(commune, (territory, row.row));
                    roster.claims.push(CommuneClaim {
                        commune,
                        territory,
                        row: row.row,
                    });
                }
            }
        }
    }
}

/// Another row of a person already read: an interim (another territory), a repetition,
/// or details that disagree (the first row's are kept).
fn merge_row(existing: &mut Person, row: Person, columns: &Columns, problems: &mut Problems) {
    let first_row = existing.rows.first().copied().unwrap_or_default();
    let number = row.rows.first().copied().unwrap_or_default();
    for territory in &row.territories {
        if !existing.territories.insert(*territory) {
            problems.push(
                Problem::new(
                    ProblemCode::DuplicateRow,
                    format!(
                        "Cette ligne répète la ligne {first_row} (même personne, même \
                         territoire) : elle est ignorée."
                    ),
                )
                .at_row(number),
            );
        }
    }
    for field in CoordinatorField::ALL {
        if matches!(field.kind(), Kind::Text | Kind::Phone)
            && existing.details.get(field) != row.details.get(field)
        {
            problems.push(
                Problem::new(
                    ProblemCode::ConflictingDetails,
                    format!(
                        "Cette ligne décrit la même personne que la ligne {first_row} avec une \
                         autre valeur : celle de la ligne {first_row} est retenue."
                    ),
                )
                .at_row(number)
                .in_column(columns.header(field.column())),
            );
        }
    }
    existing.rows.push(number);
}

fn check_row(
    raw: &RawRow,
    columns: &Columns,
    reference: &Reference,
    problems: &mut Problems,
) -> CheckedRow {
    let errors_before = problems.error_count();
    let row = raw.row;
    let problem = |code: ProblemCode, field: Field, message: String| {
        Problem::new(code, message)
            .at_row(row)
            .in_column(columns.header(field))
    };
    // A cell already reported while reading (an error, a date…) is not "empty" too.
    let mut required = |field: Field| -> Option<String> {
        let value = raw.get(field).map(str::to_owned);
        if value.is_none() && !raw.is_invalid(field) {
            problems.push(problem(
                ProblemCode::EmptyCell,
                field,
                format!(
                    "La cellule « {} » est vide : elle est obligatoire.",
                    columns.header(field)
                ),
            ));
        }
        value
    };
    let last_name = required(Field::LastName);
    let first_name = required(Field::FirstName);
    let email_text = required(Field::Email);
    let territory_text = required(Field::Territory);

    let email = email_text.and_then(|text| match normalize_email(&text) {
        Ok(email) => Some(email),
        Err(_) => {
            problems.push(problem(
                ProblemCode::InvalidEmail,
                Field::Email,
                format!(
                    "« {text} » n'est pas une adresse électronique valide \
                     (attendu : nom@domaine.fr)."
                ),
            ));
            None
        }
    });

    let mut details: Values<Optional> = Values::default();
    for field in CoordinatorField::ALL {
        let column = field.column();
        let value: Optional = match field.kind() {
            Kind::EmployeeId | Kind::LastName | Kind::FirstName | Kind::Email => continue,
            Kind::Text => columns
                .position(column)
                .map(|_| raw.get(column).map(str::to_owned)),
            Kind::Phone => columns.position(column).map(|_| {
                raw.get(column)
                    .and_then(|text| match normalize_phone(text) {
                        Ok(phone) => Some(phone),
                        Err(_) => {
                            problems.push(problem(
                                ProblemCode::InvalidPhone,
                                column,
                                format!(
                                    "« {text} » n'est pas un numéro de téléphone valide (10 \
                                     chiffres, par exemple 07 60 77 99 05 ou +33 7 60 77 99 05)."
                                ),
                            ));
                            None
                        }
                    })
            }),
        };
        details.set(field, value);
    }

    let territory = territory_text.and_then(|text| {
        if looks_like_date(&text) {
            problems.push(problem(
                ProblemCode::WrongCellType,
                Field::Territory,
                format!(
                    "« {text} » a la forme d'une date, pas d'un territoire : le tableur a sans \
                     doute converti ce qui a été saisi (« 5/3 » devient le 5 mars). Écrivez \
                     « Territoire 5 », « T5 » ou « 5 » dans une colonne au format Texte."
                ),
            ));
            return None;
        }
        match parse_territory(&text) {
            Some(number) if reference.territories.contains_key(&number) => Some(number),
            Some(number) => {
                let known: Vec<String> = reference.territories.keys().map(i32::to_string).collect();
                problems.push(problem(
                    ProblemCode::UnknownTerritory,
                    Field::Territory,
                    format!(
                        "Le territoire {number} n'existe pas (territoires existants : {}).",
                        known.join(", ")
                    ),
                ));
                None
            }
            None => {
                problems.push(problem(
                    ProblemCode::UnknownTerritory,
                    Field::Territory,
                    format!(
                        "« {text} » n'est pas un territoire : écrivez par exemple « Territoire \
                         3 », « T3 » ou « 3 »."
                    ),
                ));
                None
            }
        }
    });

    let mut communes = Vec::new();
    if let Some(text) = raw.get(Field::Communes) {
        for name in split_communes(text) {
            match reference.commune_named(name) {
                CommuneLookup::Found(index) => {
                    if !communes.contains(&index) {
                        communes.push(index);
                    }
                }
                CommuneLookup::Unknown => problems.push(problem(
                    ProblemCode::UnknownCommune,
                    Field::Communes,
                    format!(
                        "La commune « {name} » est inconnue : ce n'est ni le nom officiel ni un \
                         nom d'usage d'une commune du département."
                    ),
                )),
                CommuneLookup::Ambiguous(candidates) => {
                    let names: Vec<&str> = candidates
                        .iter()
                        .filter_map(|i| reference.communes.get(*i))
                        .map(|c| c.name.as_str())
                        .collect();
                    problems.push(problem(
                        ProblemCode::AmbiguousCommune,
                        Field::Communes,
                        format!(
                            "« {name} » peut désigner plusieurs communes ({}) : écrivez le nom \
                             complet.",
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    }

    let valid =
        problems.error_count() == errors_before && !Field::ALL.iter().any(|f| raw.is_invalid(*f));
    CheckedRow {
        row,
        valid,
        employee_id: raw.get(Field::EmployeeId).map(str::to_owned),
        employee_id_invalid: raw.is_invalid(Field::EmployeeId),
        last_name,
        first_name,
        email,
        territory,
        details,
        communes,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::read::{Cell, Sheet, find_header};
    use crate::reference::tests::sample;

    #[test]
    fn territories_in_every_form() {
        for (text, expected) in [
            ("Territoire 3", Some(3)),
            ("territoire 3", Some(3)),
            ("TERRITOIRE 03", Some(3)),
            ("T3", Some(3)),
            ("t 3", Some(3)),
            ("3", Some(3)),
            (" 7 ", Some(7)),
            ("Territoire n° 3", Some(3)),
            ("Territoire 3 - Clichy, Levallois-Perret", Some(3)),
            ("Territoire 12", Some(12)),
            ("Clichy", None),
            ("Territoire", None),
            ("", None),
            ("T", None),
            ("Tx3", None),
            ("99999", None),
        ] {
            assert_eq!(parse_territory(text), expected, "{text:?}");
        }
    }

    #[test]
    fn communes_split_on_commas_semicolons_and_line_breaks() {
        assert_eq!(
            split_communes("Antony, Bagneux; Bourg-la-Reine\nFontenay-aux-Roses\r\nSceaux,,"),
            vec![
                "Antony",
                "Bagneux",
                "Bourg-la-Reine",
                "Fontenay-aux-Roses",
                "Sceaux"
            ]
        );
        assert!(split_communes(" ; , \n").is_empty());
    }

    /// Property tests of the two cell parsers HR files feed directly.
    mod properties {
        use proptest::prelude::*;

        use super::super::{parse_territory, split_communes};

        /// "territoire" in any case, with accents on any vowel (precomposed or as a
        /// combining mark), as people and spreadsheets type it.
        fn territoire_word() -> impl Strategy<Value = String> {
            let letters = "territoire".chars().map(|c| {
                let variants: &[&str] = match c {
                    't' => &["t", "T"],
                    'r' => &["r", "R"],
                    'e' => &["e", "E", "é", "É", "è", "ê", "Ë", "e\u{0301}"],
                    'i' => &["i", "I", "î", "Ï"],
                    _ => &["o", "O", "ô", "Ö"],
                };
                prop::sample::select(variants).boxed()
            });
            letters.collect::<Vec<_>>().prop_map(|parts| parts.concat())
        }

        /// Blanks, `min..=3` of them: spaces, tabs, non-breaking spaces.
        fn blanks(min: usize) -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop::sample::select(&[" ", "\t", "\u{a0}", "  "][..]),
                min..=3,
            )
            .prop_map(|parts| parts.concat())
        }

        /// A territory number as written: 1..=7, maybe with leading zeros.
        fn written_number() -> impl Strategy<Value = (i32, String)> {
            (1..=7i32, 0..=2usize).prop_map(|(n, zeros)| (n, format!("{}{n}", "0".repeat(zeros))))
        }

        fn separator() -> impl Strategy<Value = &'static str> {
            prop::sample::select(&[",", ";", "\n", "\r\n", "\r", ",\n", " ; "][..])
        }

        /// A commune name: letters, accents, hyphens, apostrophes and inner spaces.
        fn commune_name() -> impl Strategy<Value = String> {
            "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{0,20}[A-Za-zÀ-ÿ]?"
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn territory_parsing_never_panics(text in any::<String>()) {
                let _ = parse_territory(&text);
            }

            #[test]
            fn territory_parsing_never_panics_on_likely_text(
                text in "[Tt0-9 °nN°.\\-éÉ\u{0301}\u{a0}\t]{0,30}",
            ) {
                let _ = parse_territory(&text);
            }

            #[test]
            fn territoire_n_parses(
                word in territoire_word(),
                (n, number) in written_number(),
                (before, between, after) in (blanks(0), blanks(1), blanks(0)),
            ) {
                let text = format!("{before}{word}{between}{number}{after}");
                prop_assert_eq!(parse_territory(&text), Some(n), "{:?}", text);
            }

            #[test]
            fn territoire_n_dash_anything_parses(
                word in territoire_word(),
                (n, number) in written_number(),
                (before, between, around) in (blanks(0), blanks(1), blanks(0)),
                rest in any::<String>(),
            ) {
                let text = format!("{before}{word}{between}{number}{around}-{around}{rest}");
                prop_assert_eq!(parse_territory(&text), Some(n), "{:?}", text);
            }

            #[test]
            fn t_n_parses(
                t in prop::sample::select(&["t", "T"][..]),
                (n, number) in written_number(),
                (before, between, after) in (blanks(0), blanks(0), blanks(0)),
            ) {
                let text = format!("{before}{t}{between}{number}{after}");
                prop_assert_eq!(parse_territory(&text), Some(n), "{:?}", text);
            }

            #[test]
            fn a_bare_number_parses(
                (n, number) in written_number(),
                (before, after) in (blanks(0), blanks(0)),
            ) {
                let text = format!("{before}{number}{after}");
                prop_assert_eq!(parse_territory(&text), Some(n), "{:?}", text);
            }

            #[test]
            fn splitting_never_panics_and_gives_clean_names(text in any::<String>()) {
                for name in split_communes(&text) {
                    prop_assert!(!name.is_empty());
                    prop_assert_eq!(name, name.trim());
                    prop_assert!(!name.contains([',', ';', '\n', '\r']), "{:?}", name);
                }
            }

            #[test]
            fn splitting_ignores_which_separator(text in any::<String>()) {
                let commas = text.replace([';', '\n', '\r'], ",");
                prop_assert_eq!(split_communes(&text), split_communes(&commas));
            }

            #[test]
            fn splitting_ignores_separators_and_blanks_around_names(
                names in prop::collection::vec(commune_name(), 0..8),
                separators in prop::collection::vec(separator(), 8),
                blanks_around in prop::collection::vec((blanks(0), blanks(0)), 8),
                (leading, trailing) in (blanks(0), prop::option::of(separator())),
            ) {
                let expected: Vec<&str> =
                    names.iter().map(|name| name.trim()).filter(|name| !name.is_empty()).collect();
                let mut text = leading;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        text.push_str(separators[i]);
                    }
                    let (before, after) = &blanks_around[i];
                    text.push_str(&format!("{before}{name}{after}"));
                }
                text.push_str(trailing.unwrap_or(""));
                prop_assert_eq!(split_communes(&text), expected, "{:?}", text);
            }
        }
    }

    fn run(rows: &[&[&str]]) -> (ValidRoster, Vec<Problem>) {
        let sheet = Sheet {
            name: "s".into(),
            first_row: 0,
            first_column: 0,
            rows: rows
                .iter()
                .map(|r| r.iter().map(|t| Cell::text(t)).collect())
                .collect(),
        };
        let columns = find_header(std::slice::from_ref(&sheet)).unwrap();
        let mut problems = Problems::default();
        let raw = crate::read::extract_rows(&sheet, &columns, 100, &mut problems);
        let roster = validate(&raw, &columns, &sample(), &mut problems, |_| {});
        (roster, problems.into_reported().items)
    }

    const HEADER: &[&str] = &[
        "Matricule",
        "Nom",
        "Prénom",
        "Courriel",
        "Territoire",
        "Tél.",
        "Communes",
    ];

    #[test]
    fn a_valid_row_is_normalised() {
        let (roster, problems) = run(&[
            HEADER,
            &[
                "0042",
                " LARA ",
                "Sandrine",
                "SLARA@Hauts-de-Seine.FR",
                "T1",
                "760779905",
                "Asnières, Gennevilliers",
            ],
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let person = &roster.persons[0];
        assert_eq!(person.key, Key::EmployeeId("0042".into()));
        assert_eq!(person.last_name, "LARA");
        assert_eq!(person.email, "slara@hauts-de-seine.fr");
        assert_eq!(
            person.details.get(CoordinatorField::Phone),
            &Some(Some("+33760779905".into()))
        );
        assert_eq!(person.details.get(CoordinatorField::Title), &None);
        assert_eq!(roster.claims.len(), 2);
    }

    #[test]
    fn every_cell_problem_is_reported_with_row_and_column() {
        let (_, problems) = run(&[
            HEADER,
            &[
                "",
                "",
                "Sandrine",
                "pas-une-adresse",
                "Territoire 9",
                "12",
                "Paris, Garenne",
            ],
            &["", "A", "B", "a@b.fr", "Clichy", "", ""],
        ]);
        let found: Vec<(Option<u32>, Option<&str>, ProblemCode)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_deref(), p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                (Some(2), Some("Nom"), ProblemCode::EmptyCell),
                (Some(2), Some("Courriel"), ProblemCode::InvalidEmail),
                (Some(2), Some("Tél."), ProblemCode::InvalidPhone),
                (Some(2), Some("Territoire"), ProblemCode::UnknownTerritory),
                (Some(2), Some("Communes"), ProblemCode::UnknownCommune),
                (Some(2), Some("Communes"), ProblemCode::AmbiguousCommune),
                (Some(3), Some("Territoire"), ProblemCode::UnknownTerritory),
            ]
        );
        assert!(problems.iter().all(|p| !p.message.is_empty()));
    }

    #[test]
    fn an_interim_merges_and_a_key_collision_is_an_error() {
        let (roster, problems) = run(&[
            HEADER,
            &["1", "LARA", "Sandrine", "slara@x.fr", "1", "", ""],
            &["1", "Lara", "Sandrine", "SLARA@x.fr", "2", "", ""],
            &["1", "LARA", "Sandrine", "slara@x.fr", "2", "", ""],
            &["1", "MERLIN", "Hannan", "hmerlin@x.fr", "3", "", ""],
            &["2", "CUQ", "Aude", "slara@x.fr", "3", "", ""],
        ]);
        assert_eq!(roster.persons.len(), 1);
        assert_eq!(roster.persons[0].territories, BTreeSet::from([1, 2]));
        let codes: Vec<_> = problems.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                (Some(4), ProblemCode::DuplicateRow),
                (Some(5), ProblemCode::DuplicateKey),
                (Some(6), ProblemCode::DuplicateEmail),
            ]
        );
    }

    #[test]
    fn a_commune_under_two_territories_is_an_error() {
        let (_, problems) = run(&[
            HEADER,
            &["1", "A", "A", "a@x.fr", "1", "", "Clichy"],
            &["2", "B", "B", "b@x.fr", "1", "", "Clichy"],
            &["3", "C", "C", "c@x.fr", "3", "", "clichy"],
        ]);
        let codes: Vec<_> = problems.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(codes, vec![(Some(4), ProblemCode::CommuneClaimedTwice)]);
    }

    #[test]
    fn cross_row_checks_run_on_rows_with_other_errors() {
        let (_, problems) = run(&[
            HEADER,
            &["1", "A", "A", "a@x.fr", "1", "12", "Clichy"],
            &["2", "B", "B", "a@x.fr", "2", "12", ""],
            &["3", "C", "C", "c@x.fr", "9", "", "Clichy"],
            &["3", "D", "", "d@x.fr", "3", "", "Clichy"],
            &["1", "E", "E", "e@x.fr", "3", "12", ""],
        ]);
        let codes: Vec<_> = problems.iter().map(|p| (p.row, p.code)).collect();
        assert_eq!(
            codes,
            vec![
                (Some(2), ProblemCode::InvalidPhone),
                (Some(3), ProblemCode::InvalidPhone),
                (Some(3), ProblemCode::DuplicateEmail),
                (Some(4), ProblemCode::UnknownTerritory),
                (Some(5), ProblemCode::EmptyCell),
                (Some(5), ProblemCode::CommuneClaimedTwice),
                (Some(6), ProblemCode::InvalidPhone),
                (Some(6), ProblemCode::DuplicateKey),
            ]
        );
    }

    #[test]
    fn a_territory_written_as_a_date_is_not_a_number() {
        for text in ["5/3", "05/03/2026", "2026-03-05", "05.03.2026"] {
            assert!(looks_like_date(text), "{text}");
        }
        for text in [
            "5",
            "T5",
            "Territoire 5",
            "Territoire 3 - Clichy",
            "1/2/3/4",
            "/",
            "",
        ] {
            assert!(!looks_like_date(text), "{text}");
        }
        let (_, problems) = run(&[HEADER, &["1", "A", "A", "a@x.fr", "05/03/2026", "", ""]]);
        assert_eq!(problems[0].code, ProblemCode::WrongCellType);
        assert!(problems[0].message.contains("« 05/03/2026 »"));
    }
}
