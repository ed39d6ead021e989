//! The audit log: every write, by a token or by a roster import — who, when, what, and
//! the fields before and after.

use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AuditAction;

/// An audit entry row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Surrogate key, increasing with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the write was committed (its transaction's time).
    pub at: DateTimeUtc,
    /// Who wrote: a token's name, or `roster-sync` for roster imports.
    pub actor: String,
    /// The entity written, e.g. `Project`, `Coordinator`.
    pub entity: String,
    /// Its database id.
    pub entity_id: i32,
    /// What happened.
    pub action: AuditAction,
    /// The changed fields, as JSON: `[{"field": …, "before": …, "after": …}]`.
    pub changes: String,
}

/// An audit entry has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name as in the API (`title`, `territory`).
    pub field: String,
    /// Value before (null when created).
    pub before: serde_json::Value,
    /// Value after (null when erased).
    pub after: serde_json::Value,
}

impl FieldChange {
    /// A change of `field` from `before` to `after`.
    pub fn new(
        field: impl Into<String>,
        before: impl Into<serde_json::Value>,
        after: impl Into<serde_json::Value>,
    ) -> Self {
        Self {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// An entry to record.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// The entity written, e.g. `Project`.
    pub entity: &'static str,
    /// Its database id.
    pub entity_id: i32,
    /// What happened.
    pub action: AuditAction,
    /// The changed fields.
    pub changes: Vec<FieldChange>,
}

/// Rows per INSERT: 6 parameters each, far under SQLite's limit.
const CHUNK: usize = 1000;

/// Records entries written by `actor` at `at`, in the caller's transaction, so the log
/// and the write commit (or roll back) together.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &str,
    at: DateTimeUtc,
    entries: Vec<NewEntry>,
) -> Result<(), DbErr> {
    for chunk in entries.chunks(CHUNK) {
        let models = chunk.iter().map(|entry| ActiveModel {
            at: Set(at),
            actor: Set(actor.to_owned()),
            entity: Set(entry.entity.to_owned()),
            entity_id: Set(entry.entity_id),
            action: Set(entry.action),
            changes: Set(serde_json::to_string(&entry.changes).unwrap_or_else(|_| "[]".to_owned())),
            ..Default::default()
        });
        Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}
