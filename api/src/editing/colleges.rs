//! Collèges (ADMIN: official reference data): their editable state and how it is stored
//! (see [`super::Editable`]), and the UAI check.

use chrono::{DateTime, Utc};
use entity::{AuditEntity, college};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{Editable, required};
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

/// `BAD_USER_INPUT` when another collège (not `except`) has this UAI.
async fn uai_taken(txn: &DatabaseTransaction, uai: &str, except: Option<i32>) -> Result<()> {
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

#[async_trait::async_trait]
impl Editable for CollegeState {
    const TABLE: &'static str = "colleges";
    const ENTITY: AuditEntity = AuditEntity::College;
    const WHAT: &'static str = "collège";
    type Model = college::Model;

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

    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(college::Model, Self)>> {
        let model = college::Entity::find_by_id(id).one(txn).await?;
        Ok(model.map(|model| {
            let state = Self {
                uai: model.uai.clone(),
                name: model.name.clone(),
                commune: model.commune_id,
            };
            (model, state)
        }))
    }

    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32> {
        uai_taken(txn, &self.uai, None).await?;
        let model = college::ActiveModel {
            uai: Set(self.uai.clone()),
            name: Set(self.name.clone()),
            commune_id: Set(self.commune),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(model.id)
    }

    async fn save(
        &self,
        txn: &DatabaseTransaction,
        model: college::Model,
        _before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        uai_taken(txn, &self.uai, Some(model.id)).await?;
        let mut active: college::ActiveModel = model.into();
        active.uai = Set(self.uai.clone());
        active.name = Set(self.name.clone());
        active.commune_id = Set(self.commune);
        active.updated_at = Set(now);
        active.version = Set(version);
        active.update(txn).await?;
        Ok(())
    }
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
