//! Personal data retention: a deactivated coordinator's phone and e-mail are erased
//! `ROSTER_RETENTION_DAYS` after deactivation — from the coordinator row, from the audit
//! log entries that recorded them, and from the plans of sync runs older than that.

use chrono::{DateTime, Duration, Utc};
use entity::audit_log::{self, AuditEntity, FieldChange, NewEntry};
use entity::{AuditAction, DataChangeKind, Labelled, coordinator, data_version, sync_run};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use serde_json::Value;

use crate::apply::AUDIT_ACTOR;
use crate::config::SyncConfig;
use crate::error::SyncError;
use crate::field::CoordinatorField;
use crate::lock;

/// Fields erased.
fn erased_fields() -> impl Iterator<Item = CoordinatorField> {
    CoordinatorField::ALL
        .into_iter()
        .filter(|f| f.erased_after_retention())
}

/// Erases the contacts of people deactivated more than `config.retention_days` before
/// `now`, under the import lock (an import must not reactivate a row being erased).
/// Returns how many people were erased; [`SyncError::Busy`] if an import is running.
pub async fn purge_expired_contacts(
    db: &DatabaseConnection,
    config: &SyncConfig,
    now: DateTime<Utc>,
) -> Result<usize, SyncError> {
    let Some(held) = lock::try_acquire(db, config.lock_stale_after).await? else {
        return Err(SyncError::Busy { run_id: None });
    };
    let result = erase(db, config.retention_days, now).await;
    held.release().await;
    result
}

/// Blanks the erased fields of the coordinators `ids`.
fn erase_contacts(ids: &[i32], now: DateTime<Utc>) -> sea_orm::UpdateMany<coordinator::Entity> {
    let mut update = coordinator::Entity::update_many();
    for field in erased_fields() {
        update = update.col_expr(field.db_column(), Expr::value(Option::<String>::None));
    }
    update
        .col_expr(coordinator::Column::ContactErasedAt, Expr::value(now))
        .col_expr(coordinator::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            coordinator::Column::Version,
            Expr::col(coordinator::Column::Version).add(1),
        )
        .filter(coordinator::Column::Id.is_in(ids.iter().copied()))
}

async fn erase(
    db: &DatabaseConnection,
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<usize, SyncError> {
    let cutoff = now - Duration::days(i64::from(retention_days));
    let txn = entity::transaction::begin_write(db).await?;
    let ids: Vec<i32> = coordinator::Entity::find()
        .select_only()
        .column(coordinator::Column::Id)
        .filter(coordinator::Column::Active.eq(false))
        .filter(coordinator::Column::DeactivatedAt.lt(cutoff))
        .filter(coordinator::Column::ContactErasedAt.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    let erased: Vec<&str> = erased_fields().map(CoordinatorField::api_name).collect();
    for chunk in ids.chunks(500) {
        erase_contacts(chunk, now).exec(&txn).await?;

        // Earlier audit entries recorded the contact: keep the entries, blank the values.
        let entries = audit_log::Entity::find()
            .filter(audit_log::Column::Entity.eq(AuditEntity::Coordinator.code()))
            .filter(audit_log::Column::EntityId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?;
        for entry in entries {
            let Ok(mut changes) = serde_json::from_str::<Vec<FieldChange>>(&entry.changes) else {
                continue;
            };
            let mut touched = false;
            for change in changes
                .iter_mut()
                .filter(|c| erased.contains(&c.field.as_str()))
            {
                if !Value::is_null(&change.before) || !Value::is_null(&change.after) {
                    change.before = Value::Null;
                    change.after = Value::Null;
                    touched = true;
                }
            }
            if touched {
                let mut active = entry.into_active_model();
                active.changes =
                    Set(serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into()));
                active.update(&txn).await?;
            }
        }
    }
    // Plans name the people they changed: runs older than the retention period lose them.
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Plan, Expr::value(Option::<String>::None))
        .filter(sync_run::Column::StartedAt.lt(cutoff))
        .filter(sync_run::Column::Plan.is_not_null())
        .exec(&txn)
        .await?;
    if !ids.is_empty() {
        // The values are not logged: logging them would defeat the erasure.
        let entries = ids
            .iter()
            .map(|id| NewEntry {
                entity: AuditEntity::Coordinator,
                entity_id: *id,
                action: AuditAction::Erase,
                changes: erased_fields()
                    .map(|f| FieldChange::new(f.api_name(), Value::Null, Value::Null))
                    .collect(),
            })
            .collect();
        audit_log::record(&txn, AUDIT_ACTOR, None, now, entries).await?;
        data_version::bump(&txn, DataChangeKind::Roster).await?;
    }
    txn.commit().await?;
    if !ids.is_empty() {
        tracing::info!(
            erased = ids.len(),
            "deactivated coordinators' contacts erased"
        );
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, IdenStatic, QueryTrait};

    use super::*;

    /// Every field erased after the retention period is blanked, and only those.
    #[test]
    fn erased_fields_reach_the_erasure() {
        let sql = erase_contacts(&[1], Utc::now())
            .build(DbBackend::Sqlite)
            .to_string();
        for field in CoordinatorField::ALL {
            let blanked = format!("\"{}\" = NULL", field.db_column().as_str());
            assert_eq!(
                sql.contains(&blanked),
                field.erased_after_retention(),
                "{field:?}: {sql}"
            );
        }
        assert!(erased_fields().any(|f| f == CoordinatorField::Phone));
    }
}
