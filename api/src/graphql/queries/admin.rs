//! Administration: roster imports and API tokens (ADMIN token).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::{AuditEntity, Labelled, Role, sync_run};
use sea_orm::EntityTrait;

use crate::directory::{KeyPart, OrderSpec};
use crate::editing::audit::AuditQuery;
use crate::error::Error;
use crate::graphql::access::RoleGuard;
use crate::graphql::inputs::HistoryOrder;
use crate::graphql::pagination::{IdPaging, Page, PageArgs, encode_cursor};
use crate::graphql::types::{AuditEntry, DateTime, SyncRun};
use crate::graphql::{ids, live_db};
use crate::roster_runs::RunFilter;

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

/// Roster imports by id, the order they started in (cursors name the order: one of an
/// order is refused by the other).
fn sync_runs_order(order: Option<HistoryOrder>) -> OrderSpec {
    order
        .unwrap_or_default()
        .spec("sync_runs.newest", "sync_runs.oldest")
}

/// Audit entries by id, the order they were written in.
fn audit_order(order: Option<HistoryOrder>) -> OrderSpec {
    order
        .unwrap_or_default()
        .spec("audit_log.newest", "audit_log.oldest")
}

/// `cursor` as this list reads it today: `syncRuns` and `auditLog` handed out other
/// cursors (`SyncRunCursor` IDs, `audit:<id>`) before they paged both ways, newest first
/// only; one of those (which `legacy` reads) becomes its newest-first cursor of today, so
/// a client half-way through a list across an upgrade carries on.
fn upgraded(
    cursor: Option<String>,
    spec: &OrderSpec,
    legacy: impl Fn(&str) -> Option<i64>,
) -> Option<String> {
    cursor.map(|cursor| match legacy(&cursor) {
        Some(id) if spec.descending == [true] => encode_cursor(spec, &[KeyPart::Int(id)]),
        _ => cursor,
    })
}

fn legacy_run_cursor(cursor: &str) -> Option<i64> {
    ids::decode_as(cursor, "SyncRunCursor", "after")
        .ok()
        .map(i64::from)
}

fn legacy_audit_cursor(cursor: &str) -> Option<i64> {
    cursor.strip_prefix("audit:")?.parse().ok()
}

#[Object]
impl AdminQuery {
    /// Roster imports, newest first unless `orderBy` says otherwise. ADMIN token.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "RoleGuard(Role::Admin)",
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Sort order; default: newest first.")] order_by: Option<HistoryOrder>,
    ) -> Result<Page<SyncRun>> {
        let db = live_db(ctx)?;
        let spec = sync_runs_order(order_by);
        let args = PageArgs {
            after: upgraded(after, &spec, legacy_run_cursor),
            before: upgraded(before, &spec, legacy_run_cursor),
            first,
            last,
        };
        let paging = IdPaging::new(&args, spec)?;
        let (runs, total) = RunFilter::default().window(db, &paging.window).await?;
        Ok(paging.page(runs, total, |run| i64::from(run.id), SyncRun::summary))
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

    /// The audit log, newest first unless `orderBy` says otherwise: every write by a
    /// token, a person or a roster import. ADMIN token.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        guard = "RoleGuard(Role::Admin)",
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first n entries (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Entries after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Only this kind of object, as `AuditEntry.entity` names it: Project, LocalBody, Partner, College, Theme, Coordinator, Commune, ApiToken, ConsoleSession, SyncRun (any other name is refused)."
        )]
        entity: Option<String>,
        #[graphql(desc = "Only this object (its global ID).")] entity_id: Option<ID>,
        #[graphql(desc = "The last n entries (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Entries before this cursor.")] before: Option<String>,
        #[graphql(desc = "Sort order; default: newest first.")] order_by: Option<HistoryOrder>,
    ) -> Result<Page<AuditEntry>> {
        let db = live_db(ctx)?;
        let spec = audit_order(order_by);
        let args = PageArgs {
            after: upgraded(after, &spec, legacy_audit_cursor),
            before: upgraded(before, &spec, legacy_audit_cursor),
            first,
            last,
        };
        let paging = IdPaging::new(&args, spec)?;
        let entity = entity
            .map(|name| {
                AuditEntity::from_stored(&name).ok_or_else(|| {
                    let known: Vec<_> = AuditEntity::ALL.iter().map(|k| k.code()).collect();
                    Error::bad_input(
                        format!(
                            "entity is not a kind of object the audit log records ({})",
                            known.join(", ")
                        ),
                        &["entity"],
                    )
                })
            })
            .transpose()?;
        let (entity, entity_id) = match entity_id {
            Some(id) => {
                // A global ID's type is the stored name of its kind; a type the log does
                // not record matches no entry.
                let (kind, id) = ids::decode(&id, "entityId")?;
                if entity.is_some_and(|e| e.code() != kind) {
                    return Err(
                        Error::bad_input("entityId is not of this entity", &["entityId"]).into(),
                    );
                }
                (Some(kind), Some(id))
            }
            None => (entity.map(|e| e.code().to_owned()), None),
        };
        let query = AuditQuery {
            entity,
            entity_id,
            ..AuditQuery::default()
        };
        let (entries, total) = query.window(db, &paging.window).await?;
        Ok(paging.page(entries, total, |entry| entry.id, AuditEntry))
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
