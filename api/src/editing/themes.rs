//! Themes (ADMIN): their editable state and how it is stored (see [`super::Editable`]).
//! A theme's code never changes once created (clients filter by it); its label may.

use chrono::{DateTime, Utc};
use entity::{AuditEntity, theme};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;

use super::{Editable, required};
use crate::error::{Error, Result};

/// Everything editable about a theme. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeState {
    /// Stable code, upper case with underscores.
    pub code: String,
    /// French label.
    pub label: String,
}

#[async_trait::async_trait]
impl Editable for ThemeState {
    const TABLE: &'static str = "themes";
    const ENTITY: AuditEntity = AuditEntity::Theme;
    const WHAT: &'static str = "theme";
    type Model = theme::Model;

    fn checked(mut self) -> Result<Self> {
        self.code = self.code.trim().to_ascii_uppercase();
        if self.code.is_empty()
            || self.code.len() > 40
            || !self
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(Error::bad_input(
                "a theme code is 1 to 40 capital letters, digits or underscores, e.g. SCHOOL_DROPOUT",
                &["input", "code"],
            ));
        }
        self.label = required(&self.label, "label")?;
        Ok(self)
    }

    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(theme::Model, Self)>> {
        let model = theme::Entity::find_by_id(id).one(txn).await?;
        Ok(model.map(|model| {
            let state = Self {
                code: model.code.clone(),
                label: model.label.clone(),
            };
            (model, state)
        }))
    }

    /// Adds the theme at the end of the list.
    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32> {
        let taken = theme::Entity::find()
            .filter(theme::Column::Code.eq(self.code.as_str()))
            .one(txn)
            .await?;
        if taken.is_some() {
            return Err(Error::bad_input(
                format!("the theme {} already exists", self.code),
                &["input", "code"],
            ));
        }
        let last: Option<i32> = theme::Entity::find()
            .select_only()
            .column_as(
                Expr::from(Func::max(Expr::col(theme::Column::Position))),
                "max",
            )
            .into_tuple()
            .one(txn)
            .await?
            .flatten();
        let model = theme::ActiveModel {
            code: Set(self.code.clone()),
            label: Set(self.label.clone()),
            position: Set(last.unwrap_or(0) + 1),
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
        model: theme::Model,
        before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if self.code != before.code {
            return Err(Error::bad_input(
                "a theme's code never changes",
                &["input", "code"],
            ));
        }
        let mut active: theme::ActiveModel = model.into();
        active.label = Set(self.label.clone());
        active.updated_at = Set(now);
        active.version = Set(version);
        active.update(txn).await?;
        Ok(())
    }
}
