//! Reading the audit log: newest first, optionally for one entity or one object.

use entity::audit_log;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::Result;

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this entity (`Project`, `Coordinator`…).
    pub entity: Option<String>,
    /// Only this object (with `entity`).
    pub entity_id: Option<i32>,
}

impl AuditQuery {
    fn select(&self) -> Select<audit_log::Entity> {
        let mut select = audit_log::Entity::find();
        if let Some(entity) = &self.entity {
            select = select.filter(audit_log::Column::Entity.eq(entity.as_str()));
        }
        if let Some(id) = self.entity_id {
            select = select.filter(audit_log::Column::EntityId.eq(id));
        }
        select
    }

    /// Up to `limit` entries older than entry `before_id`, newest first, and the total.
    pub async fn page(
        &self,
        db: &DatabaseConnection,
        before_id: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<audit_log::Model>, u64)> {
        let total = self.select().count(db).await?;
        let mut select = self.select().order_by_desc(audit_log::Column::Id);
        if let Some(before) = before_id {
            select = select.filter(audit_log::Column::Id.lt(before));
        }
        Ok((select.limit(limit).all(db).await?, total))
    }
}
