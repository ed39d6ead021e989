//! Editing: the writes coordinators and SAEC staff make through the API — projects,
//! local bodies, partners, and (ADMIN) collèges and themes.
//!
//! Every write runs in one transaction that checks the version the client read
//! (optimistic concurrency: a stale `expectedVersion` is a `CONFLICT`, never a silent
//! overwrite), records who changed which fields in the audit log, and bumps the data
//! version so every replica's directory reloads. Nothing is hard-deleted: archiving keeps
//! history and links. Coordinators are not edited here: they belong to the HR roster.

pub mod audit;
pub mod colleges;
pub mod local_bodies;
pub mod partners;
pub mod projects;
pub mod themes;

use chrono::{DateTime, Utc};
use entity::audit_log::{AuditEntity, FieldChange, NewEntry, Person};
use entity::{AuditAction, DataChangeKind, Labelled, audit_log, data_version};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use serde::Serialize;
use serde_json::Value;

pub use colleges::{CollegeState, valid_uai};
pub use local_bodies::LocalBodyState;
pub use partners::{PartnerState, archive_expectation, record_expectation};
pub use projects::ProjectState;
pub use themes::ThemeState;

use crate::error::{Error, Result};

/// A kind of object the API edits: how its state is read, checked and written. The
/// transaction, version check, audit entry and data version bump around it are the same
/// for every kind: [`create`], [`update`], [`archive`].
#[async_trait::async_trait]
pub trait Editable: Clone + PartialEq + Serialize + Send + Sync + Sized + 'static {
    /// Its table (which has `version`, `archived_at` and `updated_at` columns).
    const TABLE: &'static str;
    /// Its kind in the audit log (whose stored name is also its type in global IDs).
    const ENTITY: AuditEntity;
    /// What people call it in messages, e.g. "project".
    const WHAT: &'static str;
    /// The stored row.
    type Model: Send + Sync;

    /// Normalises (trimmed texts, sorted sets) and checks the rules the object obeys.
    fn checked(self) -> Result<Self>;

    /// Reads the stored row and its state (links included); `None` if there is none.
    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(Self::Model, Self)>>;

    /// Inserts a new object (version 1); returns its id.
    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32>;

    /// Writes what changed since `before`, with the new `version`.
    async fn save(
        &self,
        txn: &DatabaseTransaction,
        model: Self::Model,
        before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// Creates an object; returns its id.
pub async fn create<E: Editable>(
    db: &DatabaseConnection,
    author: &Author,
    state: E,
) -> Result<i32> {
    let state = state.checked()?;
    let txn = begin_write(db).await?;
    let id = state.insert(&txn, author.now).await?;
    let changes = diff(None, Some(&state));
    finish(txn, author, E::ENTITY, id, AuditAction::Create, changes).await?;
    Ok(id)
}

/// Applies `change` to object `id`, if the client read version `expected_version`
/// (else `CONFLICT`). A change that changes nothing writes nothing, not even the version.
pub async fn update<E: Editable>(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: i32,
    change: impl FnOnce(&mut E) -> Result<()> + Send,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let (version, _) = current_version(&txn, E::TABLE, E::WHAT, id).await?;
    check_version(version, Some(expected_version), E::WHAT)?;
    let (model, before) = E::load(&txn, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {} has this ID", E::WHAT)))?;
    let mut after = before.clone();
    change(&mut after)?;
    let after = after.checked()?;
    if after == before {
        return Ok(());
    }
    after
        .save(&txn, model, &before, version + 1, author.now)
        .await?;
    let changes = diff(Some(&before), Some(&after));
    finish(txn, author, E::ENTITY, id, AuditAction::Update, changes).await
}

/// Archives (or restores) object `id`: it leaves public lists, its history and links
/// stay.
pub async fn archive<E: Editable>(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    set_archived(
        db,
        author,
        E::TABLE,
        E::ENTITY,
        id,
        expected_version,
        archived,
    )
    .await
}

/// Who writes, and when (one time for the whole transaction).
#[derive(Debug, Clone)]
pub struct Author {
    /// The token's or the person's name (or `roster-sync`), recorded in the audit log.
    pub name: String,
    /// The person, when a person writes with their provider's token.
    pub person: Option<Person>,
    /// The write's time.
    pub now: DateTime<Utc>,
}

impl Author {
    /// `name`, writing now.
    pub fn now(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            person: None,
            now: Utc::now(),
        }
    }

    /// The same author, a person.
    pub fn person(mut self, person: Option<Person>) -> Self {
        self.person = person;
        self
    }
}

/// Starts a write transaction; on SQLite it takes the write lock at once, so two writers
/// queue on the busy timeout instead of failing on upgrade.
pub use entity::transaction::begin_write;

/// The fields that changed between two states, each as JSON.
pub fn diff<T: Serialize>(before: Option<&T>, after: Option<&T>) -> Vec<FieldChange> {
    let as_object = |state: Option<&T>| match state.map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (as_object(before), as_object(after));
    let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter_map(|field| {
            let old = before.get(field).cloned().unwrap_or(Value::Null);
            let new = after.get(field).cloned().unwrap_or(Value::Null);
            (old != new).then(|| FieldChange::new(field.clone(), old, new))
        })
        .collect()
}

/// Records the audit entry, bumps the data version and commits.
pub async fn finish(
    txn: DatabaseTransaction,
    author: &Author,
    entity: AuditEntity,
    id: i32,
    action: AuditAction,
    changes: Vec<FieldChange>,
) -> Result<()> {
    audit_log::record(
        &txn,
        &author.name,
        author.person.as_ref(),
        author.now,
        vec![NewEntry {
            entity,
            entity_id: id,
            action,
            changes,
        }],
    )
    .await?;
    data_version::bump(&txn, DataChangeKind::of(entity)).await?;
    txn.commit().await?;
    Ok(())
}

/// The version and archive time of row `id` of `table`, or `NOT_FOUND`.
pub async fn current_version(
    txn: &DatabaseTransaction,
    table: &'static str,
    what: &str,
    id: i32,
) -> Result<(i32, Option<DateTime<Utc>>)> {
    let mut select = Query::select();
    select
        .column(Alias::new("version"))
        .column(Alias::new("archived_at"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id));
    if txn.get_database_backend() == DbBackend::Postgres {
        select.lock_exclusive();
    }
    let row = txn
        .query_one(&select)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {what} has this ID")))?;
    Ok((row.try_get("", "version")?, row.try_get("", "archived_at")?))
}

/// `CONFLICT` unless the client read the current version.
pub fn check_version(current: i32, expected: Option<i32>, what: &str) -> Result<()> {
    match expected {
        Some(expected) if expected != current => Err(Error::Conflict(format!(
            "this {what} changed since you read it (version {expected}, now {current}); \
             reload it and apply your change again"
        ))),
        _ => Ok(()),
    }
}

/// Marks row `id` of `table` archived (or restores it), checking the version.
async fn set_archived(
    db: &DatabaseConnection,
    author: &Author,
    table: &'static str,
    entity: AuditEntity,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let (version, archived_at) = current_version(&txn, table, entity.code(), id).await?;
    check_version(version, expected_version, entity.code())?;
    if archived_at.is_some() == archived {
        return Ok(());
    }
    let at = archived.then_some(author.now);
    txn.execute(
        Query::update()
            .table(Alias::new(table))
            .value(Alias::new("archived_at"), at)
            .value(Alias::new("updated_at"), author.now)
            .value(
                Alias::new("version"),
                Expr::col(Alias::new("version")).add(1),
            )
            .and_where(Expr::col(Alias::new("id")).eq(id)),
    )
    .await?;
    let change = FieldChange::new("archived", !archived, archived);
    let action = if archived {
        AuditAction::Archive
    } else {
        AuditAction::Restore
    };
    finish(txn, author, entity, id, action, vec![change]).await
}

/// Replaces the set of `column` values linked to `owner` in `table`.
pub async fn replace_links<V>(
    txn: &DatabaseTransaction,
    table: &'static str,
    owner_column: &'static str,
    owner: i32,
    column: &'static str,
    values: &[V],
) -> Result<()>
where
    V: Clone + Into<sea_orm::Value>,
{
    txn.execute(
        Query::delete()
            .from_table(Alias::new(table))
            .and_where(Expr::col(Alias::new(owner_column)).eq(owner)),
    )
    .await?;
    if values.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns([Alias::new(owner_column), Alias::new(column)]);
    for value in values {
        insert
            .values([Expr::val(owner), Expr::val(value.clone().into())])
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    txn.execute(&insert).await?;
    Ok(())
}

/// Longest name or title, in characters: longer is a paste gone wrong, not a name.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest free text (a description, a summary, a partner's expectation), in characters.
pub const FREE_TEXT_MAX_CHARS: usize = 10_000;

/// Trims a text; empty becomes `None`; longer than `max` characters is `BAD_USER_INPUT`
/// at `path`, so no input stores more than the API documents.
pub fn bounded(text: Option<String>, max: usize, path: &[&str]) -> Result<Option<String>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let trimmed = text.trim();
    if trimmed.chars().nth(max).is_some() {
        let field = path.last().copied().unwrap_or("text");
        return Err(Error::bad_input(
            format!("{field} is longer than {max} characters"),
            path,
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// An optional name (at most [`NAME_MAX_CHARS`]) of input field `field`.
pub fn optional_name(text: Option<String>, field: &str) -> Result<Option<String>> {
    bounded(text, NAME_MAX_CHARS, &["input", field])
}

/// An optional free text (at most [`FREE_TEXT_MAX_CHARS`]) of input field `field`.
pub fn free_text(text: Option<String>, field: &str) -> Result<Option<String>> {
    bounded(text, FREE_TEXT_MAX_CHARS, &["input", field])
}

/// A required, trimmed, non-empty name or title (at most [`NAME_MAX_CHARS`]), else
/// `BAD_USER_INPUT` about `field`.
pub fn required(text: &str, field: &str) -> Result<String> {
    bounded(Some(text.to_owned()), NAME_MAX_CHARS, &["input", field])?
        .ok_or_else(|| Error::bad_input(format!("{field} cannot be empty"), &["input", field]))
}

/// Sorted, deduplicated.
pub fn set<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct S {
        a: i32,
        b: Vec<&'static str>,
        c: Option<&'static str>,
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let before = S {
            a: 1,
            b: vec!["x"],
            c: None,
        };
        let after = S {
            a: 1,
            b: vec!["x", "y"],
            c: Some("z"),
        };
        let changes = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["b", "c"]);
        assert_eq!(diff(None, Some(&after)).len(), 3);
        assert!(diff(Some(&before), Some(&before)).is_empty());
    }

    #[test]
    fn versions_and_required_texts() {
        assert!(check_version(3, Some(3), "project").is_ok());
        assert!(check_version(3, None, "project").is_ok());
        assert!(matches!(
            check_version(4, Some(3), "project"),
            Err(Error::Conflict(_))
        ));
        assert!(required("  ", "title").is_err());
        assert_eq!(required(" Titre ", "title").ok().as_deref(), Some("Titre"));
        let longest = "é".repeat(NAME_MAX_CHARS);
        assert_eq!(required(&longest, "name").ok(), Some(longest.clone()));
        assert!(required(&format!("{longest}e"), "name").is_err());
        assert_eq!(free_text(Some("  ".into()), "summary").ok(), Some(None));
        assert!(free_text(Some("a".repeat(FREE_TEXT_MAX_CHARS + 1)), "summary").is_err());
    }
}
