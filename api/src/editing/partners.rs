//! Partners: their editable state and how it is stored (see [`super::Editable`]), and
//! the expectations recorded for them.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{AuditAction, AuditEntity, PartnerKind, partner, partner_expectation};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait,
};
use serde::Serialize;

use super::{
    Author, Editable, FREE_TEXT_MAX_CHARS, begin_write, bounded, check_version, current_version,
    finish, optional_name, required,
};
use crate::error::{Error, Result};

/// Everything editable about a partner; references are database ids checked by the
/// caller; contact already normalised. Serialised as the audit log's before/after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerState {
    /// Its name as residents know it.
    pub name: String,
    /// What sort of youth actor it is, for the overview's breakdown.
    pub kind: PartnerKind,
    /// Territory id.
    pub territory: Option<i32>,
    /// Commune id.
    pub commune: Option<i32>,
    /// Contact person.
    pub contact_name: Option<String>,
    /// Contact e-mail (lower case).
    pub contact_email: Option<String>,
    /// Contact phone (E.164).
    pub contact_phone: Option<String>,
}

impl PartnerState {
    fn from_model(model: &partner::Model) -> Self {
        Self {
            name: model.name.clone(),
            kind: model.kind,
            territory: model.territory_id,
            commune: model.commune_id,
            contact_name: model.contact_name.clone(),
            contact_email: model.contact_email.clone(),
            contact_phone: model.contact_phone.clone(),
        }
    }

    fn write(&self, active: &mut partner::ActiveModel) {
        active.name = Set(self.name.clone());
        active.kind = Set(self.kind);
        active.territory_id = Set(self.territory);
        active.commune_id = Set(self.commune);
        active.contact_name = Set(self.contact_name.clone());
        active.contact_email = Set(self.contact_email.clone());
        active.contact_phone = Set(self.contact_phone.clone());
    }
}

#[async_trait::async_trait]
impl Editable for PartnerState {
    const TABLE: &'static str = "partners";
    const ENTITY: AuditEntity = AuditEntity::Partner;
    const WHAT: &'static str = "partner";
    type Model = partner::Model;

    fn checked(mut self) -> Result<Self> {
        self.name = required(&self.name, "name")?;
        self.contact_name = optional_name(self.contact_name, "contactName")?;
        if self.territory.is_none() && self.commune.is_none() {
            return Err(Error::bad_input(
                "a partner works in a territory or a commune: give one",
                &["input", "territory"],
            ));
        }
        Ok(self)
    }

    async fn load(txn: &DatabaseTransaction, id: i32) -> Result<Option<(partner::Model, Self)>> {
        let model = partner::Entity::find_by_id(id).one(txn).await?;
        Ok(model.map(|model| {
            let state = Self::from_model(&model);
            (model, state)
        }))
    }

    async fn insert(&self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> Result<i32> {
        let mut active = partner::ActiveModel {
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        };
        self.write(&mut active);
        Ok(active.insert(txn).await?.id)
    }

    async fn save(
        &self,
        txn: &DatabaseTransaction,
        model: partner::Model,
        _before: &Self,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut active: partner::ActiveModel = model.into();
        self.write(&mut active);
        active.updated_at = Set(now);
        active.version = Set(version);
        active.update(txn).await?;
        Ok(())
    }
}

/// Records what partner `partner_id` expects; returns the expectation's id. The
/// partner's version is not changed: recording is an addition, not an edit.
pub async fn record_expectation(
    db: &DatabaseConnection,
    author: &Author,
    partner_id: i32,
    text: &str,
    recorded_on: NaiveDate,
) -> Result<i32> {
    let Some(text) = bounded(Some(text.to_owned()), FREE_TEXT_MAX_CHARS, &["text"])? else {
        return Err(Error::bad_input(
            "the expectation cannot be empty",
            &["text"],
        ));
    };
    let text = text.as_str();
    let txn = begin_write(db).await?;
    current_version(&txn, PartnerState::TABLE, PartnerState::WHAT, partner_id).await?;
    let model = partner_expectation::ActiveModel {
        partner_id: Set(partner_id),
        text: Set(text.to_owned()),
        recorded_on: Set(recorded_on),
        created_at: Set(author.now),
        archived_at: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let changes = vec![entity::audit_log::FieldChange::new(
        "expectations",
        serde_json::Value::Null,
        serde_json::json!({ "id": model.id, "text": text, "recordedOn": recorded_on }),
    )];
    finish(
        txn,
        author,
        PartnerState::ENTITY,
        partner_id,
        AuditAction::Update,
        changes,
    )
    .await?;
    Ok(model.id)
}

/// Archives (or, with `archived: false`, restores) a recorded expectation, if the client
/// read version `expected_version` of it (checked when given, else `CONFLICT`). Nothing
/// is deleted: an archived expectation leaves `Partner.expectations` and stays readable
/// with `includeArchived`. The audit log records the change on the partner. Returns the
/// partner's id.
pub async fn archive_expectation(
    db: &DatabaseConnection,
    author: &Author,
    id: i32,
    expected_version: Option<i32>,
    archived: bool,
) -> Result<i32> {
    const WHAT: &str = "recorded expectation";
    let txn = begin_write(db).await?;
    let (version, archived_at) = current_version(&txn, "partner_expectations", WHAT, id).await?;
    check_version(version, expected_version, WHAT)?;
    let model = partner_expectation::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no {WHAT} has this ID")))?;
    let partner_id = model.partner_id;
    if archived_at.is_some() == archived {
        return Ok(partner_id);
    }
    let state = |archived: bool| {
        serde_json::json!({
            "id": model.id,
            "text": model.text,
            "recordedOn": model.recorded_on,
            "archived": archived,
        })
    };
    let changes = vec![entity::audit_log::FieldChange::new(
        "expectations",
        state(!archived),
        state(archived),
    )];
    let mut active: partner_expectation::ActiveModel = model.into();
    active.archived_at = Set(archived.then_some(author.now));
    active.version = Set(version + 1);
    active.update(&txn).await?;
    let action = if archived {
        AuditAction::Archive
    } else {
        AuditAction::Restore
    };
    finish(
        txn,
        author,
        PartnerState::ENTITY,
        partner_id,
        action,
        changes,
    )
    .await?;
    Ok(partner_id)
}
