//! Partner mutations (EDITOR token).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::Utc;
use entity::normalize::{normalize_email, normalize_phone};
use entity::{PartnerKind, Role};

use super::payloads::PartnerPayload;
use super::{Writer, fresh, resolve, writer};
use crate::editing::{self, PartnerState, archive_expectation, record_expectation};
use crate::error::Error;
use crate::graphql::types::Date;
use crate::graphql::{ids, snapshot};

/// A new partner. It works in a territory, a commune (whose territory it then belongs
/// to), or both.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// Name (required, at most 200 characters).
    pub name: String,
    /// Kind (required).
    pub kind: PartnerKind,
    /// Territory number.
    pub territory: Option<i32>,
    /// Commune (INSEE code or name).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
    /// Contact person (at most 200 characters).
    pub contact_name: Option<String>,
    /// Contact e-mail.
    pub contact_email: Option<String>,
    /// Contact phone, in any French form ("01 41 37 11 11", "+33 1 41 37 11 11").
    pub contact_phone: Option<String>,
}

/// Changes to a partner: only the fields given change; `null` clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdatePartnerInput {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<PartnerKind>,
    /// New territory number (`null`: none).
    pub territory: MaybeUndefined<i32>,
    /// New commune (`null`: none).
    pub commune: MaybeUndefined<String>,
    /// New contact person (`null` clears it).
    pub contact_name: MaybeUndefined<String>,
    /// New contact e-mail (`null` clears it).
    pub contact_email: MaybeUndefined<String>,
    /// New contact phone (`null` clears it).
    pub contact_phone: MaybeUndefined<String>,
}

fn email(value: &str) -> crate::error::Result<String> {
    normalize_email(value)
        .map_err(|e| Error::bad_input(format!("contactEmail: {e}"), &["input", "contactEmail"]))
}

fn phone(value: &str) -> crate::error::Result<String> {
    normalize_phone(value)
        .map_err(|e| Error::bad_input(format!("contactPhone: {e}"), &["input", "contactPhone"]))
}

/// `Some(new value)` when the field was given (`Some(None)` when cleared).
fn given<T, U>(
    field: MaybeUndefined<T>,
    convert: impl FnOnce(T) -> crate::error::Result<U>,
) -> crate::error::Result<Option<Option<U>>> {
    Ok(match field {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(convert(value)?)),
    })
}

/// Partner mutations.
#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Creates a partner. EDITOR token.
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: CreatePartnerInput,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let state = PartnerState {
            name: input.name,
            kind: input.kind,
            territory: input
                .territory
                .map(|n| resolve::territory(dir, n, &["input", "territory"]))
                .transpose()?,
            commune: input
                .commune
                .map(|c| resolve::commune(dir, &c, &["input", "commune"]))
                .transpose()?,
            contact_name: input.contact_name,
            contact_email: input.contact_email.as_deref().map(email).transpose()?,
            contact_phone: input.contact_phone.as_deref().map(phone).transpose()?,
        };
        let id = editing::create(db, &author, state).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, id)?)
    }

    /// Changes a partner read at `expectedVersion`; if it changed since, `CONFLICT`.
    /// EDITOR token.
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "The values.")] input: UpdatePartnerInput,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::PARTNER, "id")?;
        let territory = given(input.territory, |n| {
            resolve::territory(dir, n, &["input", "territory"])
        })?;
        let commune = given(input.commune, |c| {
            resolve::commune(dir, &c, &["input", "commune"])
        })?;
        let contact_name = given(input.contact_name, Ok)?;
        let contact_email = given(input.contact_email, |e| email(&e))?;
        let contact_phone = given(input.contact_phone, |p| phone(&p))?;
        editing::update::<PartnerState>(db, &author, id, expected_version, |state| {
            if let Some(name) = input.name {
                state.name = name;
            }
            if let Some(kind) = input.kind {
                state.kind = kind;
            }
            if let Some(territory) = territory {
                state.territory = territory;
            }
            if let Some(commune) = commune {
                state.commune = commune;
            }
            if let Some(value) = contact_name {
                state.contact_name = value;
            }
            if let Some(value) = contact_email {
                state.contact_email = value;
            }
            if let Some(value) = contact_phone {
                state.contact_phone = value;
            }
            Ok(())
        })
        .await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a partner. EDITOR token.
    async fn archive_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PARTNER, "id")?;
        editing::archive::<PartnerState>(db, &author, id, expected_version, true).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, id)?)
    }

    /// Brings an archived partner back. EDITOR token.
    async fn restore_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PARTNER, "id")?;
        editing::archive::<PartnerState>(db, &author, id, expected_version, false).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, id)?)
    }

    /// Records what a partner expects from the Département (*recenser les attentes*).
    /// EDITOR token.
    async fn record_partner_expectation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner's ID.")] partner_id: ID,
        #[graphql(desc = "The expectation, in the partner's words (at most 10,000 characters).")]
        text: String,
        #[graphql(desc = "When it was expressed; default today.")] recorded_on: Option<Date>,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&partner_id, ids::PARTNER, "partnerId")?;
        let on = recorded_on.map_or_else(|| Utc::now().date_naive(), |d| d.0);
        record_expectation(db, &author, id, &text, on).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a recorded expectation (entered by mistake, or no longer current): it
    /// leaves `Partner.expectations` and stays readable with `includeArchived`; nothing
    /// is deleted and the audit log records it on the partner. Returns the partner.
    /// EDITOR token.
    async fn archive_partner_expectation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recorded expectation's ID.")] id: ID,
        #[graphql(desc = "The expectation's `version` you read, checked when given.")]
        expected_version: Option<i32>,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PARTNER_EXPECTATION, "id")?;
        let partner = archive_expectation(db, &author, id, expected_version, true).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, partner)?)
    }

    /// Brings an archived recorded expectation back into `Partner.expectations`. Returns
    /// the partner. EDITOR token.
    async fn restore_partner_expectation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The recorded expectation's ID.")] id: ID,
        #[graphql(desc = "The expectation's `version` you read, checked when given.")]
        expected_version: Option<i32>,
    ) -> Result<PartnerPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::PARTNER_EXPECTATION, "id")?;
        let partner = archive_expectation(db, &author, id, expected_version, false).await?;
        Ok(PartnerPayload::of(fresh(ctx).await?, partner)?)
    }
}
