//! Adding, relabelling and archiving themes (ADMIN).

use entity::{AuditAction, theme};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::Serialize;

use super::{
    Author, begin_write, check_version, current_version, diff, finish, required, set_archived,
};
use crate::error::{Error, Result};

/// Everything editable about a theme. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeState {
    /// Stable code, upper case with underscores.
    pub code: String,
    /// French label.
    pub label: String,
}

const TABLE: &str = "themes";
const ENTITY: &str = "Theme";

/// Adds a theme at the end of the list; returns its id.
pub async fn add(db: &DatabaseConnection, author: &Author, code: &str, label: &str) -> Result<i32> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Error::bad_input(
            "a theme code is 1 to 40 capital letters, digits or underscores, e.g. SCHOOL_DROPOUT",
            &["input", "code"],
        ));
    }
    let state = ThemeState {
        code,
        label: required(label, "label")?,
    };
    let txn = begin_write(db).await?;
    let taken = theme::Entity::find()
        .filter(theme::Column::Code.eq(state.code.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Error::bad_input(
            format!("the theme {} already exists", state.code),
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
        .one(&txn)
        .await?
        .flatten();
    let model = theme::ActiveModel {
        code: Set(state.code.clone()),
        label: Set(state.label.clone()),
        position: Set(last.unwrap_or(0) + 1),
        archived_at: Set(None),
        created_at: Set(author.now),
        updated_at: Set(author.now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    finish(
        txn,
        author,
        ENTITY,
        model.id,
        AuditAction::Create,
        diff(None, Some(&state)),
    )
    .await?;
    Ok(model.id)
}

/// Gives theme `id` a new label (its code, used by clients, never changes).
pub async fn relabel(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: i32,
    label: &str,
) -> Result<()> {
    let label = required(label, "label")?;
    let txn = begin_write(db).await?;
    let (version, _) = current_version(&txn, TABLE, "theme", id).await?;
    check_version(version, Some(expected_version), "theme")?;
    let model = theme::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no theme has this ID".to_owned()))?;
    if model.label == label {
        return Ok(());
    }
    let before = ThemeState {
        code: model.code.clone(),
        label: model.label.clone(),
    };
    let after = ThemeState {
        label: label.clone(),
        ..before.clone()
    };
    let mut active: theme::ActiveModel = model.into();
    active.label = Set(label);
    active.updated_at = Set(author.now);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    let changes = diff(Some(&before), Some(&after));
    finish(txn, author, ENTITY, id, AuditAction::Update, changes).await
}

/// Archives (or restores) theme `id`: no longer offered, still shown on its projects.
pub async fn archive(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    set_archived(db, author, TABLE, ENTITY, id, expected_version, archived).await
}
