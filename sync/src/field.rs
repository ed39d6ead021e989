//! The roster's fields, typed once: every column of the file and every coordinator detail
//! the import writes, with what each place that handles them needs to know — the API
//! name, the French label, the headers accepted, the template's column and width, how a
//! value is read, compared, written and erased.
//!
//! Adding a column is adding a variant here (and its database column): every `match`
//! below is exhaustive, so the compiler lists what the new field must say, and the
//! readers, the plan, both writers, the workbook and retention are derived from it.

use entity::coordinator;
use entity::normalize::{display_phone, fold};
use serde::{Deserialize, Serialize};

/// A coordinator's detail the roster sets, named as in the API (`employeeId`,
/// `lastName`…). The order is the order of a plan's changed fields and of audit entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CoordinatorField {
    /// HR matricule.
    EmployeeId,
    /// Last name.
    LastName,
    /// First name.
    FirstName,
    /// Job title.
    Title,
    /// Professional e-mail.
    Email,
    /// Mobile phone.
    Phone,
    /// Landline (*téléphone fixe*).
    Landline,
}

/// How the file's value of a detail is read, and what an absent value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The matricule: part of the person's key; an empty cell keeps the stored one.
    EmployeeId,
    /// The last name: required.
    LastName,
    /// The first name: required.
    FirstName,
    /// The e-mail: required, normalised, part of the person's key.
    Email,
    /// Free text in an optional column: an empty cell clears the stored value, an absent
    /// column keeps it.
    Text,
    /// A phone number in an optional column, stored in E.164.
    Phone,
}

impl CoordinatorField {
    /// Every field, in plan order.
    pub const ALL: [CoordinatorField; 7] = [
        CoordinatorField::EmployeeId,
        CoordinatorField::LastName,
        CoordinatorField::FirstName,
        CoordinatorField::Title,
        CoordinatorField::Email,
        CoordinatorField::Phone,
        CoordinatorField::Landline,
    ];
    /// How many fields there are.
    pub const COUNT: usize = Self::ALL.len();

    /// Position in [`Self::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The name in the API, plans and audit entries (what serde writes).
    pub const fn api_name(self) -> &'static str {
        match self {
            Self::EmployeeId => "employeeId",
            Self::LastName => "lastName",
            Self::FirstName => "firstName",
            Self::Title => "title",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Landline => "landline",
        }
    }

    /// French name of the field, for reports.
    pub const fn label(self) -> &'static str {
        match self {
            Self::EmployeeId => "matricule",
            Self::LastName => "nom",
            Self::FirstName => "prénom",
            Self::Title => "fonction",
            Self::Email => "courriel",
            Self::Phone => "téléphone",
            Self::Landline => "téléphone fixe",
        }
    }

    /// How the file's value is read.
    pub(crate) const fn kind(self) -> Kind {
        match self {
            Self::EmployeeId => Kind::EmployeeId,
            Self::LastName => Kind::LastName,
            Self::FirstName => Kind::FirstName,
            Self::Title => Kind::Text,
            Self::Email => Kind::Email,
            Self::Phone | Self::Landline => Kind::Phone,
        }
    }

    /// The file's column that holds the field.
    pub(crate) const fn column(self) -> Field {
        match self {
            Self::EmployeeId => Field::EmployeeId,
            Self::LastName => Field::LastName,
            Self::FirstName => Field::FirstName,
            Self::Title => Field::Title,
            Self::Email => Field::Email,
            Self::Phone => Field::Phone,
            Self::Landline => Field::Landline,
        }
    }

    /// The database column written.
    pub(crate) const fn db_column(self) -> coordinator::Column {
        match self {
            Self::EmployeeId => coordinator::Column::EmployeeId,
            Self::LastName => coordinator::Column::LastName,
            Self::FirstName => coordinator::Column::FirstName,
            Self::Title => coordinator::Column::Title,
            Self::Email => coordinator::Column::Email,
            Self::Phone => coordinator::Column::Phone,
            Self::Landline => coordinator::Column::Landline,
        }
    }

    /// The stored value.
    pub(crate) fn get(self, model: &coordinator::Model) -> Option<&str> {
        match self {
            Self::EmployeeId => model.employee_id.as_deref(),
            Self::LastName => Some(&model.last_name),
            Self::FirstName => Some(&model.first_name),
            Self::Title => model.title.as_deref(),
            Self::Email => model.email.as_deref(),
            Self::Phone => model.phone.as_deref(),
            Self::Landline => model.landline.as_deref(),
        }
    }

    /// Whether the column is NOT NULL: an absent value is written as "".
    pub(crate) const fn required(self) -> bool {
        matches!(self.kind(), Kind::LastName | Kind::FirstName)
    }

    /// Whether the value is a contact erased once the retention period after the
    /// person's deactivation is over.
    pub(crate) const fn erased_after_retention(self) -> bool {
        match self {
            Self::Email | Self::Phone | Self::Landline => true,
            Self::EmployeeId | Self::LastName | Self::FirstName | Self::Title => false,
        }
    }

    /// The value as the export writes it (phones as people type them).
    pub(crate) fn shown(self, model: &coordinator::Model) -> String {
        self.get(model)
            .map_or_else(String::new, |stored| self.display(stored))
    }

    /// A stored value as an administrator reads it in reports, the console and the
    /// export: phones are stored in E.164 (`+33661790955`) but read `06 61 79 09 55`.
    pub fn display(self, stored: &str) -> String {
        match self.kind() {
            Kind::Phone => display_phone(stored),
            _ => stored.to_owned(),
        }
    }
}

/// One value per coordinator field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Values<T>([T; CoordinatorField::COUNT]);

impl<T> Values<T> {
    /// Each field's value from `f`.
    pub fn from_fn(mut f: impl FnMut(CoordinatorField) -> T) -> Self {
        Self(std::array::from_fn(|i| f(CoordinatorField::ALL[i])))
    }

    /// The value of `field`.
    pub fn get(&self, field: CoordinatorField) -> &T {
        &self.0[field.index()]
    }

    /// Sets the value of `field`.
    pub fn set(&mut self, field: CoordinatorField, value: T) {
        self.0[field.index()] = value;
    }
}

impl Values<Option<String>> {
    /// The value of `field` as text.
    pub fn text(&self, field: CoordinatorField) -> Option<&str> {
        self.get(field).as_deref()
    }

    /// The stored values of a row.
    pub fn of(model: &coordinator::Model) -> Self {
        Self::from_fn(|field| field.get(model).map(str::to_owned))
    }
}

/// How a template column is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// As typed.
    Plain,
    /// Text: a matricule or phone typed later keeps its leading zeros.
    Text,
    /// Wrapped text (long lists).
    Wrap,
}

/// A column of the roster file, in the template's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Field {
    EmployeeId,
    LastName,
    FirstName,
    Title,
    Territory,
    Phone,
    Landline,
    Email,
    Communes,
}

impl Field {
    /// Every column, in the template's order.
    pub const ALL: [Field; 9] = [
        Field::EmployeeId,
        Field::LastName,
        Field::FirstName,
        Field::Title,
        Field::Territory,
        Field::Phone,
        Field::Landline,
        Field::Email,
        Field::Communes,
    ];
    /// How many columns there are.
    pub const COUNT: usize = Self::ALL.len();

    /// The columns a file must have.
    pub const REQUIRED: [Field; 4] = [
        Field::LastName,
        Field::FirstName,
        Field::Email,
        Field::Territory,
    ];

    /// Position in [`Self::ALL`]: the template's column.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The coordinator's detail the column holds (the territory and the communes are
    /// assignments, not details).
    pub const fn detail(self) -> Option<CoordinatorField> {
        match self {
            Field::EmployeeId => Some(CoordinatorField::EmployeeId),
            Field::LastName => Some(CoordinatorField::LastName),
            Field::FirstName => Some(CoordinatorField::FirstName),
            Field::Title => Some(CoordinatorField::Title),
            Field::Phone => Some(CoordinatorField::Phone),
            Field::Landline => Some(CoordinatorField::Landline),
            Field::Email => Some(CoordinatorField::Email),
            Field::Territory | Field::Communes => None,
        }
    }

    /// The header the template uses, for messages about a missing column.
    pub const fn label(self) -> &'static str {
        match self {
            Field::EmployeeId => "Matricule",
            Field::LastName => "Nom",
            Field::FirstName => "Prénom",
            Field::Title => "Fonction",
            Field::Territory => "Territoire",
            Field::Phone => "Téléphone",
            Field::Landline => "Téléphone fixe",
            Field::Email => "Courriel",
            Field::Communes => "Communes",
        }
    }

    /// The headers accepted, folded (no case, accents, punctuation or spaces).
    pub const fn header_keys(self) -> &'static [&'static str] {
        match self {
            Field::EmployeeId => &[
                "matricule",
                "nmatricule",
                "numeromatricule",
                "matriculeagent",
                "matriculerh",
            ],
            Field::LastName => &[
                "nom",
                "nomdefamille",
                "nomdusage",
                "nomusuel",
                "nompatronymique",
            ],
            Field::FirstName => &["prenom", "prenoms", "prenomusuel"],
            Field::Title => &[
                "fonction",
                "libelleemploi",
                "libelledelemploi",
                "poste",
                "intituleduposte",
                "intituledeposte",
                "emploi",
            ],
            Field::Territory => &[
                "territoire",
                "affectation",
                "territoiredaffectation",
                "nterritoire",
                "numeroterritoire",
            ],
            Field::Phone => &[
                "telephone",
                "tel",
                "telportable",
                "telephoneportable",
                "portable",
                "mobile",
                "telmobile",
                "telephonemobile",
                "telephoneprofessionnel",
                "telpro",
            ],
            Field::Landline => &["telephonefixe", "telfixe", "fixe"],
            Field::Email => &[
                "courriel",
                "email",
                "mail",
                "mel",
                "adressemail",
                "adresseemail",
                "adressecourriel",
                "adresseelectronique",
                "courrielprofessionnel",
                "emailprofessionnel",
            ],
            Field::Communes => &["communes", "commune", "communesduterritoire"],
        }
    }

    /// The accepted names, for messages.
    pub const fn aliases(self) -> &'static str {
        match self {
            Field::EmployeeId => "Matricule",
            Field::LastName => "Nom, NOM, Nom de famille",
            Field::FirstName => "Prénom",
            Field::Title => "Fonction, Libellé emploi, Poste",
            Field::Territory => "Territoire, Affectation",
            Field::Phone => "Téléphone, Tél. portable, Mobile",
            Field::Landline => "Téléphone fixe, Tél. fixe, Fixe",
            Field::Email => "Courriel, E-mail, Adresse mail",
            Field::Communes => "Communes",
        }
    }

    /// Whether a date or a true/false value is an error in the column: such a value
    /// would be read as something else (5 March as territory 5). The job title and the
    /// communes are free text that no date can be mistaken for.
    pub const fn typed(self) -> bool {
        !matches!(self, Field::Title | Field::Communes)
    }

    /// What the column holds, for messages: "au lieu d'un matricule".
    pub const fn expected(self) -> &'static str {
        match self {
            Field::EmployeeId => "d'un matricule",
            Field::LastName => "d'un nom",
            Field::FirstName => "d'un prénom",
            Field::Title => "d'une fonction",
            Field::Territory => "d'un territoire (« Territoire 5 », « T5 » ou « 5 »)",
            Field::Phone => "d'un numéro de téléphone",
            Field::Landline => "d'un numéro de téléphone fixe",
            Field::Email => "d'une adresse électronique",
            Field::Communes => "de noms de communes",
        }
    }

    /// The template's column width.
    pub const fn width(self) -> f64 {
        match self {
            Field::EmployeeId => 12.0,
            Field::LastName => 22.0,
            Field::FirstName => 18.0,
            Field::Title => 34.0,
            Field::Territory => 14.0,
            Field::Phone | Field::Landline => 16.0,
            Field::Email => 34.0,
            Field::Communes => 60.0,
        }
    }

    /// The template's column format.
    pub const fn format(self) -> Format {
        match self {
            Field::EmployeeId | Field::Phone | Field::Landline => Format::Text,
            Field::Communes => Format::Wrap,
            Field::LastName | Field::FirstName | Field::Title | Field::Territory | Field::Email => {
                Format::Plain
            }
        }
    }

    /// The template's example value (the territory and its communes come from the
    /// database).
    pub const fn example(self) -> &'static str {
        match self {
            Field::EmployeeId => "000123",
            Field::LastName => "EXEMPLE",
            Field::FirstName => "Camille",
            Field::Title => "Coordonnatrice de territoire",
            Field::Territory => "Territoire 1",
            Field::Phone => "06 12 34 56 78",
            Field::Landline => "01 41 37 11 11",
            Field::Email => "cexemple@hauts-de-seine.fr",
            Field::Communes => "",
        }
    }
}

/// The headers of the template and the export, in order.
pub const HEADERS: [&str; Field::COUNT] = {
    let mut headers = [""; Field::COUNT];
    let mut i = 0;
    while i < Field::COUNT {
        headers[i] = Field::ALL[i].label();
        i += 1;
    }
    headers
};

/// The field a header names, if any: compared without case, accents, punctuation or spaces.
pub(crate) fn field_for_header(header: &str) -> Option<Field> {
    let key: String = fold(header).split(' ').collect();
    Field::ALL
        .into_iter()
        .find(|field| field.header_keys().contains(&key.as_str()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn indices_are_positions_and_columns_round_trip() {
        for (i, field) in CoordinatorField::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), i);
            assert_eq!(field.column().detail(), Some(field), "{field:?}");
            let json = serde_json::to_value(field).ok();
            assert_eq!(json, Some(serde_json::Value::from(field.api_name())));
        }
        for (i, column) in Field::ALL.into_iter().enumerate() {
            assert_eq!(column.index(), i);
            if let Some(field) = column.detail() {
                assert_eq!(field.column(), column);
            }
        }
    }

    /// Every detail has its column in the template and the export, which write
    /// [`CoordinatorField::shown`] under it.
    #[test]
    fn every_field_reaches_the_workbook() {
        for field in CoordinatorField::ALL {
            assert!(HEADERS.contains(&field.column().label()), "{field:?}");
        }
    }

    #[test]
    fn every_header_key_names_one_column() {
        let mut seen = HashSet::new();
        for field in Field::ALL {
            for key in field.header_keys() {
                assert!(seen.insert(*key), "{key} is accepted twice");
                assert_eq!(field_for_header(key), Some(field));
            }
            assert_eq!(field_for_header(field.label()), Some(field));
            for alias in field.aliases().split(", ") {
                assert_eq!(field_for_header(alias), Some(field), "{alias}");
            }
        }
    }
}
