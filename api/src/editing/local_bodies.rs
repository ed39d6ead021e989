//! Creating, updating and archiving local bodies, and setting their representatives.

use entity::{AuditAction, LocalBodyKind, local_body, local_body_representative};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use serde::Serialize;

use super::{
    Author, begin_write, check_version, clean, current_version, diff, finish, replace_links,
    required, set, set_archived,
};
use crate::error::{Error, Result};

/// Everything editable about a local body; references are database ids checked by the
/// caller. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalBodyState {
    /// Kind.
    pub kind: LocalBodyKind,
    /// Name.
    pub name: String,
    /// Description.
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

const TABLE: &str = "local_bodies";
const ENTITY: &str = "LocalBody";

impl LocalBodyState {
    fn checked(mut self) -> Result<Self> {
        self.name = required(&self.name, "name")?;
        self.description = clean(self.description);
        self.representatives = set(self.representatives);
        Ok(self)
    }

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
}

/// Creates a local body; returns its id.
pub async fn create(
    db: &DatabaseConnection,
    author: &Author,
    state: LocalBodyState,
) -> Result<i32> {
    let state = state.checked()?;
    let txn = begin_write(db).await?;
    let model = local_body::ActiveModel {
        kind: Set(state.kind),
        name: Set(state.name.clone()),
        description: Set(state.description.clone()),
        territory_id: Set(state.territory),
        commune_id: Set(state.commune),
        college_id: Set(state.college),
        archived_at: Set(None),
        created_at: Set(author.now),
        updated_at: Set(author.now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_links(
        &txn,
        "local_body_representatives",
        "local_body_id",
        model.id,
        "coordinator_id",
        &state.representatives,
    )
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

/// Applies `change` to local body `id`, if the client read version `expected_version`.
pub async fn update(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: i32,
    change: impl FnOnce(&mut LocalBodyState) -> Result<()>,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let (version, _) = current_version(&txn, TABLE, "local body", id).await?;
    check_version(version, Some(expected_version), "local body")?;
    let model = local_body::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound("no local body has this ID".to_owned()))?;
    let representatives = local_body_representative::Entity::find()
        .filter(local_body_representative::Column::LocalBodyId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.coordinator_id)
        .collect();
    let before = LocalBodyState::from_model(&model, representatives);
    let mut after = before.clone();
    change(&mut after)?;
    let after = after.checked()?;
    if after == before {
        return Ok(());
    }
    let mut active: local_body::ActiveModel = model.into();
    active.kind = Set(after.kind);
    active.name = Set(after.name.clone());
    active.description = Set(after.description.clone());
    active.territory_id = Set(after.territory);
    active.commune_id = Set(after.commune);
    active.college_id = Set(after.college);
    active.updated_at = Set(author.now);
    active.version = Set(version + 1);
    active.update(&txn).await?;
    if after.representatives != before.representatives {
        replace_links(
            &txn,
            "local_body_representatives",
            "local_body_id",
            id,
            "coordinator_id",
            &after.representatives,
        )
        .await?;
    }
    let changes = diff(Some(&before), Some(&after));
    finish(txn, author, ENTITY, id, AuditAction::Update, changes).await
}

/// Archives (or restores) local body `id`.
pub async fn archive(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<()> {
    set_archived(db, author, TABLE, ENTITY, id, expected_version, archived).await
}
