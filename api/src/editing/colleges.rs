//! Creating, updating and archiving collèges (ADMIN: official reference data).

use entity::{AuditAction, college};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{
    Author, begin_write, check_version, current_version, diff, finish, required, set_archived,
};
use crate::error::{Error, Result};

/// Everything editable about a collège. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollegeState {
    /// UAI, upper case.
    pub uai: String,
    /// Official name.
    pub name: String,
    /// Commune id.
    pub commune: i32,
}

const TABLE: &str = "colleges";
const ENTITY: &str = "College";

/// The letters of UAI check keys: the alphabet without I, O and Q.
const UAI_KEYS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// Whether `uai` is a valid UAI: 7 digits and the check letter of their value modulo 23.
pub fn valid_uai(uai: &str) -> bool {
    let bytes = uai.as_bytes();
    if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number: usize = uai[..7].parse().unwrap_or(usize::MAX);
    UAI_KEYS.get(number % 23) == Some(&bytes[7])
}

impl CollegeState {
    fn checked(mut self) -> Result<Self> {
        self.name = required(&self.name, "name")?;
        self.uai = self.uai.trim().to_ascii_uppercase();
        if !valid_uai(&self.uai) {
            return Err(Error::bad_input(
                format!(
                    "{:?} is not a valid UAI (7 digits and their check letter)",
                    self.uai
                ),
                &["input", "uai"],
            ));
        }
        Ok(self)
    }
}

async fn uai_taken(
    txn: &sea_orm::DatabaseTransaction,
    uai: &str,
    except: Option<i32>,
) -> Result<()> {
    let existing = college::Entity::find()
        .filter(college::Column::Uai.eq(uai))
        .one(txn)
        .await?;
    match existing {
        Some(other) if Some(other.id) != except => Err(Error::bad_input(
            format!("the UAI {uai} is already the collège {:?}", other.name),
            &["input", "uai"],
        )),
        _ => Ok(()),
    }
}

/// Creates a collège; returns its id.
pub async fn create(db: &DatabaseConnection, author: &Author, state: CollegeState) -> Result<i32> {
    let state = state.checked()?;
    let txn = begin_write(db).await?;
    uai_taken(&txn, &state.uai, None).await?;
    let model = college::ActiveModel {
        uai: Set(state.uai.clone()),
        name: Set(state.name.clone()),
        commune_id: Set(state.commune),
        archived_at: Set(None),
        created_at: Set(author.now),
        updated_at: Set(author.now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    finish(
        txn,
        author,
        ENTITY,
        model.id,
        AuditAction::Create,
        diff(None, Some(&state)),
    )
    .await?;
    Ok(model.id)
}

/// Applies `change` to collège `id`, if the client read version `expected_version`.
pub async fn update(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: i32,
    change: impl FnOnce(&mut CollegeState) -> Result<()>,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let (version, _) = current_version(&txn, TABLE, "collège", id).await?;
    check_version(version, Some(expected_version), "collège")?;
    let model = college::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no collège has this ID".to_owned()))?;
    let before = CollegeState {
        uai: model.uai.clone(),
        name: model.name.clone(),
        commune: model.commune_id,
    };
    let mut after = before.clone();
    change(&mut after)?;
    let after = after.checked()?;
    if after == before {
        return Ok(());
    }
    uai_taken(&txn, &after.uai, Some(id)).await?;
    let mut active: college::ActiveModel = model.into();
    active.uai = Set(after.uai.clone());
    active.name = Set(after.name.clone());
    active.commune_id = Set(after.commune);
    active.updated_at = Set(author.now);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    let changes = diff(Some(&before), Some(&after));
    finish(txn, author, ENTITY, id, AuditAction::Update, changes).await
}

/// Archives (or restores) collège `id`.
pub async fn archive(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    set_archived(db, author, TABLE, ENTITY, id, expected_version, archived).await
}

#[cfg(test)]
mod tests {
    use super::valid_uai;

    #[test]
    fn checks_the_uai_key() {
        assert!(valid_uai("0920068Z"));
        assert!(valid_uai("0920884L"));
        assert!(!valid_uai("0920068A"));
        assert!(!valid_uai("092006Z"));
        assert!(!valid_uai("O920068Z"));
        assert!(!valid_uai(""));
    }

    #[test]
    fn every_reference_college_has_a_valid_uai() {
        let csv = include_str!("../../../migration/data/colleges-92.csv");
        for line in csv.lines().skip(1) {
            let uai = line.split(',').next().unwrap_or_default();
            assert!(valid_uai(uai), "{uai}");
        }
    }
}
