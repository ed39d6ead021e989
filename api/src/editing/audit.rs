//! Reading the audit log: newest first (or a window of it in either order), optionally for one entity, one object or one
//! author.

use entity::audit_log;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::directory::IdWindow;
use crate::error::Result;

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this entity (`Project`, `Coordinator`…).
    pub entity: Option<String>,
    /// Only this object (with `entity`).
    pub entity_id: Option<i32>,
    /// Only entries by this author (a token's name, or `roster-sync`).
    pub actor: Option<String>,
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
        if let Some(actor) = &self.actor {
            select = select.filter(audit_log::Column::Actor.eq(actor.as_str()));
        }
        select
    }

    /// Page `page` (from 1) of `size` entries, newest first, and the total: for lists
    /// people browse page by page (the console's journal).
    pub async fn numbered_page(
        &self,
        db: &DatabaseConnection,
        page: u64,
        size: u64,
    ) -> Result<(Vec<audit_log::Model>, u64)> {
        let total = self.select().count(db).await?;
        let entries = self
            .select()
            .order_by_desc(audit_log::Column::Id)
            .offset(page.saturating_sub(1).saturating_mul(size))
            .limit(size)
            .all(db)
            .await?;
        Ok((entries, total))
    }

    /// The entries of `window` (in the order it reads them), and the total.
    pub async fn window(
        &self,
        db: &DatabaseConnection,
        window: &IdWindow,
    ) -> Result<(Vec<audit_log::Model>, u64)> {
        let total = self.select().count(db).await?;
        let entries = window
            .apply(self.select(), audit_log::Column::Id)
            .all(db)
            .await?;
        Ok((entries, total))
    }
}

/// Most distinct values [`kinds`] and [`authors`] return.
const MAX_DISTINCT: u64 = 500;

/// The kinds of object the log names (`Project`, `ApiToken`…), sorted, for filters.
pub async fn kinds(db: &DatabaseConnection) -> Result<Vec<String>> {
    distinct(db, audit_log::Column::Entity).await
}

/// The authors the log names, sorted, for filters.
pub async fn authors(db: &DatabaseConnection) -> Result<Vec<String>> {
    distinct(db, audit_log::Column::Actor).await
}

async fn distinct(db: &DatabaseConnection, column: audit_log::Column) -> Result<Vec<String>> {
    Ok(audit_log::Entity::find()
        .select_only()
        .column(column)
        .distinct()
        .order_by_asc(column)
        .limit(MAX_DISTINCT)
        .into_tuple::<String>()
        .all(db)
        .await?)
}
