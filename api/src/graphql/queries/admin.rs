//! Administration: roster imports and API tokens (ADMIN token).

use async_graphql::connection::Edge;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::{Role, sync_run};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::editing::audit::AuditQuery;
use crate::error::Error;
use crate::graphql::access::RoleGuard;
use crate::graphql::pagination::{ConnectionTotals, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};
use crate::graphql::types::{AuditEntry, DateTime, SyncRun};
use crate::graphql::{ids, live_db};

/// An API token, without its secret (only its hash is stored).
#[derive(SimpleObject)]
pub struct ApiToken {
    /// Who holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Creation time.
    pub created_at: DateTime,
    /// Refused after this time.
    pub expires_at: Option<DateTime>,
    /// Refused since this time.
    pub revoked_at: Option<DateTime>,
}

/// Administration queries.
#[derive(Default)]
pub struct AdminQuery;

/// Cursors of sync runs: their id (runs are listed newest first, ids only grow).
fn run_cursor(id: i32) -> String {
    ids::encode("SyncRunCursor", id).to_string()
}

/// A page size for database-backed connections.
fn page_size(first: Option<i32>) -> Result<usize, Error> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as usize),
        Some(_) => Err(Error::bad_input(
            format!("first must be between 0 and {MAX_PAGE_SIZE}"),
            &["first"],
        )),
    }
}

#[Object]
impl AdminQuery {
    /// Roster imports, newest first. ADMIN token.
    #[graphql(
        guard = "RoleGuard(Role::Admin)",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
    ) -> Result<Page<SyncRun>> {
        let db = live_db(ctx)?;
        let size = page_size(first)?;
        let after = after
            .map(|cursor| {
                ids::decode_as(&cursor, "SyncRunCursor", "after")
                    .map_err(|_| Error::bad_input("after is not a cursor of this list", &["after"]))
            })
            .transpose()?;
        let total = sync_run::Entity::find()
            .count(db)
            .await
            .map_err(Error::from)?;
        let mut query = sync_run::Entity::find().order_by_desc(sync_run::Column::Id);
        if let Some(after) = after {
            query = query.filter(sync_run::Column::Id.lt(after));
        }
        let mut runs = query
            .limit(size as u64 + 1)
            .all(db)
            .await
            .map_err(Error::from)?;
        let has_next = runs.len() > size;
        runs.truncate(size);
        let mut connection = Page::with_additional_fields(
            after.is_some(),
            has_next,
            ConnectionTotals {
                total_count: i32::try_from(total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            runs.into_iter()
                .map(|model| Edge::new(run_cursor(model.id), SyncRun::summary(model))),
        );
        Ok(connection)
    }

    /// One roster import. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn sync_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
    ) -> Result<Option<SyncRun>> {
        let db = live_db(ctx)?;
        let id = ids::decode_as(&id, ids::SYNC_RUN, "id")?;
        Ok(sync_run::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(Error::from)?
            .map(SyncRun::summary))
    }

    /// The audit log, newest first: every write by a token or a roster import. ADMIN
    /// token.
    #[graphql(
        guard = "RoleGuard(Role::Admin)",
        complexity = "crate::graphql::pagination::page_cost(first, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first n entries (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Entries after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Only this kind of object: Project, LocalBody, Partner, College, Theme, Coordinator, Commune."
        )]
        entity: Option<String>,
        #[graphql(desc = "Only this object (its global ID).")] entity_id: Option<ID>,
    ) -> Result<Page<AuditEntry>> {
        let db = live_db(ctx)?;
        let size = page_size(first)?;
        let before = after
            .map(|cursor| {
                cursor
                    .strip_prefix("audit:")
                    .and_then(|n| n.parse::<i64>().ok())
                    .ok_or_else(|| {
                        Error::bad_input("after is not a cursor of this list", &["after"])
                    })
            })
            .transpose()?;
        let (entity, entity_id) = match entity_id {
            Some(id) => {
                let (kind, id) = ids::decode(&id, "entityId")?;
                if entity.as_ref().is_some_and(|e| *e != kind) {
                    return Err(
                        Error::bad_input("entityId is not of this entity", &["entityId"]).into(),
                    );
                }
                (Some(kind), Some(id))
            }
            None => (entity, None),
        };
        let query = AuditQuery {
            entity,
            entity_id,
            ..AuditQuery::default()
        };
        let (entries, total) = query.page(db, before, size as u64 + 1).await?;
        let has_next = entries.len() > size;
        let mut connection = Page::with_additional_fields(
            before.is_some(),
            has_next,
            ConnectionTotals {
                total_count: i32::try_from(total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            entries
                .into_iter()
                .take(size)
                .map(|e| Edge::new(format!("audit:{}", e.id), AuditEntry(e))),
        );
        Ok(connection)
    }

    /// Every API token (never their secrets), oldest first. ADMIN token.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let db = live_db(ctx)?;
        Ok(crate::access::list_tokens(db)
            .await?
            .into_iter()
            .map(|t| ApiToken {
                name: t.name,
                role: t.role,
                created_at: t.created_at.into(),
                expires_at: t.expires_at.map(DateTime::from),
                revoked_at: t.revoked_at.map(DateTime::from),
            })
            .collect())
    }
}
