//! The spreadsheets administrators start from: an empty template with the expected
//! headers, an example row and a drop-down of territories; and the export of the current
//! roster in the same format, so that importing the export changes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use entity::normalize::fold;
use entity::{commune, coordinator, coordinator_assignment, territory};
use rust_xlsxwriter::{DataValidation, Format, Workbook, Worksheet};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::error::SyncError;
use crate::field::{self, Field};

/// Rows of the sheet that offer the territory drop-down.
const DROPDOWN_ROWS: u32 = 2000;

/// One row of the roster sheet: a value per column, in [`Field::ALL`]'s order.
type SheetRow = [String; Field::COUNT];

/// The sheet's column of `field`.
fn column(field: Field) -> u16 {
    u16::try_from(field.index()).unwrap_or(u16::MAX)
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Active coordinators exported.
    pub coordinators: usize,
    /// Rows written (one per coordinator and territory).
    pub rows: usize,
}

/// Territory names and the communes of each, by number.
async fn territories(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<i32, (i32, String, Vec<String>)>, SyncError> {
    let mut map: BTreeMap<i32, (i32, String, Vec<String>)> = territory::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.number, (t.id, t.name, Vec::new())))
        .collect();
    let number_by_id: BTreeMap<i32, i32> = map.iter().map(|(n, (id, _, _))| (*id, *n)).collect();
    let mut communes = commune::Entity::find().all(db).await?;
    communes.sort_by_cached_key(|c| fold(&c.name));
    for c in communes {
        if let Some(entry) = number_by_id
            .get(&c.territory_id)
            .and_then(|n| map.get_mut(n))
        {
            entry.2.push(c.name);
        }
    }
    Ok(map)
}

fn build(rows: &[SheetRow], territory_names: &[String]) -> Result<Vec<u8>, SyncError> {
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#D9E1F2");
    let text = Format::new().set_num_format("@");
    let wrap = Format::new().set_text_wrap();
    let sheet: &mut Worksheet = workbook.add_worksheet();
    sheet.set_name("Coordonnateurs")?;
    let plain = Format::new();
    let format = |field: Field| match field.format() {
        field::Format::Plain => &plain,
        field::Format::Text => &text,
        field::Format::Wrap => &wrap,
    };
    for field in Field::ALL {
        let col = column(field);
        sheet.set_column_width(col, field.width())?;
        sheet.write_string_with_format(0, col, field.label(), &header)?;
        if field.format() != field::Format::Plain {
            // Text columns: a matricule or phone typed later keeps its leading zeros.
            sheet.set_column_format(col, format(field))?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    for (index, row) in rows.iter().enumerate() {
        let r = u32::try_from(index + 1)
            .map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
        for (field, value) in Field::ALL.into_iter().zip(row) {
            if !value.is_empty() {
                sheet.write_string_with_format(r, column(field), value.as_str(), format(field))?;
            }
        }
    }
    if !territory_names.is_empty() {
        let last = u32::try_from(rows.len())
            .unwrap_or(0)
            .saturating_add(DROPDOWN_ROWS);
        let validation = DataValidation::new()
            .allow_list_strings(territory_names)?
            .set_input_title("Territoire")?
            .set_input_message("Choisissez le territoire de la personne.")?
            .set_error_title("Territoire inconnu")?
            .set_error_message("Choisissez un territoire dans la liste.")?;
        let territory = column(Field::Territory);
        sheet.add_data_validation(1, territory, last, territory, &validation)?;
    }

    let help = workbook.add_worksheet();
    help.set_name("Mode d'emploi")?;
    help.set_column_width(0, 110)?;
    let names = |fields: &mut dyn Iterator<Item = Field>| {
        fields.map(Field::label).collect::<Vec<_>>().join(", ")
    };
    let columns_line = format!(
        "Colonnes obligatoires : {}. Facultatives : {}.",
        names(&mut Field::REQUIRED.into_iter()),
        names(
            &mut Field::ALL
                .into_iter()
                .filter(|f| !Field::REQUIRED.contains(f))
        )
    );
    for (r, line) in (0u32..).zip([
        "Liste des coordonnateurs de territoire — une ligne par personne et par territoire.",
        columns_line.as_str(),
        "Territoire : « Territoire 3 », « T3 » ou « 3 ». Une personne assurant un intérim figure sur deux lignes, une par territoire.",
        "Communes : noms séparés par des virgules ; une commune listée est rattachée au territoire de la ligne, les autres ne changent pas.",
        "Une personne absente du fichier est désactivée (jamais supprimée). Un fichier contenant une erreur est rejeté en entier.",
        "Voir le guide de l'administrateur (docs/guide-administrateur.md) pour le détail.",
    ]) {
        help.write_string(r, 0, line)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The template as .xlsx bytes: headers, one example row, the territory drop-down.
pub async fn template_bytes(db: &impl ConnectionTrait) -> Result<Vec<u8>, SyncError> {
    let territories = territories(db).await?;
    let names: Vec<String> = territories
        .values()
        .map(|(_, name, _)| name.clone())
        .collect();
    let (example_territory, example_communes) = territories
        .values()
        .next()
        .map(|(_, name, communes)| (name.clone(), communes.join(", ")))
        .unwrap_or_else(|| ("Territoire 1".to_owned(), String::new()));
    let mut example: SheetRow = Field::ALL.map(|f| f.example().to_owned());
    example[Field::Territory.index()] = example_territory;
    example[Field::Communes.index()] = example_communes;
    build(&[example], &names)
}

/// Writes the template to `path` (.xlsx).
pub async fn write_template(db: &impl ConnectionTrait, path: &Path) -> Result<(), SyncError> {
    let bytes = template_bytes(db).await?;
    tokio::fs::write(path, bytes)
        .await
        .map_err(|e| SyncError::io(format!("impossible d'écrire {}", path.display()), e))
}

/// The current active roster as .xlsx bytes, in the template's format: one row per
/// coordinator and current territory, with the territory's communes, so importing the
/// export changes nothing.
pub async fn export_bytes(
    db: &impl ConnectionTrait,
) -> Result<(Vec<u8>, ExportSummary), SyncError> {
    let territories = territories(db).await?;
    let by_id: BTreeMap<i32, i32> = territories
        .iter()
        .map(|(n, (id, _, _))| (*id, *n))
        .collect();
    let coordinators: BTreeMap<i32, coordinator::Model> = coordinator::Entity::find()
        .filter(coordinator::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let assignments = coordinator_assignment::Entity::find()
        .filter(coordinator_assignment::Column::EndedAt.is_null())
        .all(db)
        .await?;
    let mut rows: Vec<(i32, String, String, i32, SheetRow)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for a in assignments {
        let (Some(person), Some(number)) = (
            coordinators.get(&a.coordinator_id),
            by_id.get(&a.territory_id),
        ) else {
            continue;
        };
        if !seen.insert((person.id, *number)) {
            continue;
        }
        let (name, communes) = territories
            .get(number)
            .map(|(_, name, communes)| (name.clone(), communes.join(", ")))
            .unwrap_or_default();
        rows.push((
            *number,
            fold(&person.last_name),
            fold(&person.first_name),
            person.id,
            Field::ALL.map(|field| match field.detail() {
                Some(detail) => detail.shown(person),
                None if field == Field::Territory => name.clone(),
                None => communes.clone(),
            }),
        ));
    }
    rows.sort_by(|a, b| (a.0, &a.1, &a.2, a.3).cmp(&(b.0, &b.1, &b.2, b.3)));
    let summary = ExportSummary {
        coordinators: seen
            .iter()
            .map(|(id, _)| *id)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        rows: rows.len(),
    };
    let sheet_rows: Vec<SheetRow> = rows.into_iter().map(|(_, _, _, _, row)| row).collect();
    let names: Vec<String> = territories
        .values()
        .map(|(_, name, _)| name.clone())
        .collect();
    Ok((build(&sheet_rows, &names)?, summary))
}

/// Writes the current active roster to `path` (.xlsx).
pub async fn export_roster(
    db: &impl ConnectionTrait,
    path: &Path,
) -> Result<ExportSummary, SyncError> {
    let (bytes, summary) = export_bytes(db).await?;
    tokio::fs::write(path, bytes)
        .await
        .map_err(|e| SyncError::io(format!("impossible d'écrire {}", path.display()), e))?;
    Ok(summary)
}
