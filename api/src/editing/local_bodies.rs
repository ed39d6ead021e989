//! Local bodies and their representatives: their editable state and how it is stored
//! (see [`super::Editable`]).

use chrono::{DateTime, Utc};
use entity::{AuditEntity, LocalBodyKind, local_body, local_body_representative};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{Editable, free_text, replace_links, required, set};
use crate::error::Result;

/// Everything editable about a local body; references are database ids checked by the
/// caller. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalBodyState {
    /// What sort of body it is (CLSPD, CESC, steering committee…).
    pub kind: LocalBodyKind,
    /// Its name as the commune or collège uses it.
    pub name: String,
    /// What it does and how often it meets, free text.
    pub description: Option<String>,
    /// Territory id.
    pub territory: i32,
    /// Commune id.
    pub commune: Option<i32>,
    /// Collège id.
    pub college: Option<i32>,
    /// Representatives (coordinator ids).
    pub representatives: Vec<i32>,
}

impl LocalBodyState {
    fn from_model(model: &local_body::Model, representatives: Vec<i32>) -> Self {
        Self {
            kind: model.kind,
            name: model.name.clone(),
            description: model.description.clone(),
            territory: model.territory_id,
            commune: model.commune_id,
            college: model.college_id,
            representatives: set(representatives),
        }
    }

    /// The row's editable columns.
    fn row(&self) -> local_body::ActiveModel {
        local_body::ActiveModel {
            kind: Set(self.kind),
            name: Set(self.name.clone()),
            description: Set(self.description.clone()),
            territory_id: Set(self.territory),
            commune_id: Set(self.commune),
            college_id: Set(self.college),
            ..Default::default()
        }
    }

    async fn save_representatives(&self, txn: &DatabaseTransaction, id: i32) -> Result<()> {
        replace_links(
            txn,
            "local_body_representatives",
            "local_body_id",
            id,
            "coordinator_id",
            &self.representatives,
        )
        .await
    }
}

#[async_trait::async_trait]
impl Editable for LocalBodyState {
    const TABLE: &'static str = "local_bodies";
    const ENTITY: AuditEntity = AuditEntity::LocalBody;
    const WHAT: &'static str = "local body";
    type Model = local_body::Model;

    fn checked(mut self) -> Result<Self> {
        self.name = required(&self.name, "name")?;
        self.description = free_text(self.description, "description")?;
        self.representatives = set(self.representatives);
        Ok(self)
    }

    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(local_body::Model, Self)>> {
        let Some(model) = local_body::Entity::find_by_id(id).one(txn).await? else {
            return Ok(None);
        };
        let representatives = local_body_representative::Entity::find()
            .filter(local_body_representative::Column::LocalBodyId.eq(id))
            .all(txn)
            .await?
            .into_iter()
            .map(|r| r.coordinator_id)
            .collect();
        let state = Self::from_model(&model, representatives);
        Ok(Some((model, state)))
    }

    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32> {
        let model = local_body::ActiveModel {
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..self.row()
        }
        .insert(txn)
        .await?;
        self.save_representatives(txn, model.id).await?;
        Ok(model.id)
    }

    async fn save(
        &self,
        txn: &DatabaseTransaction,
        model: local_body::Model,
        before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let id = model.id;
        let mut active: local_body::ActiveModel = model.into();
        let row = self.row();
        active.kind = row.kind;
        active.name = row.name;
        active.description = row.description;
        active.territory_id = row.territory_id;
        active.commune_id = row.commune_id;
        active.college_id = row.college_id;
        active.updated_at = Set(now);
        active.version = Set(version);
        active.update(txn).await?;
        if self.representatives != before.representatives {
            self.save_representatives(txn, id).await?;
        }
        Ok(())
    }
}
