//! Collège mutations (ADMIN token: collèges are official reference data).

use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::Role;

use super::payloads::CollegePayload;
use super::{Writer, fresh, resolve, writer};
use crate::editing::{self, CollegeState};
use crate::graphql::{ids, snapshot};

/// A new collège.
#[derive(InputObject)]
pub struct CreateCollegeInput {
    /// UAI: 7 digits and their check letter, e.g. "0920068Z".
    #[graphql(validator(chars_max_length = 200))]
    pub uai: String,
    /// Official name (at most 200 characters).
    pub name: String,
    /// Commune (INSEE code or name).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: String,
}

/// Changes to a collège: only the fields given change.
#[derive(InputObject, Default)]
pub struct UpdateCollegeInput {
    /// New UAI.
    #[graphql(validator(chars_max_length = 200))]
    pub uai: Option<String>,
    /// New official name.
    pub name: Option<String>,
    /// New commune.
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
}

/// Collège mutations.
#[derive(Default)]
pub struct CollegeMutation;

#[Object]
impl CollegeMutation {
    /// Adds a collège (a new one opens). ADMIN token.
    async fn create_college(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: CreateCollegeInput,
    ) -> Result<CollegePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let dir = snapshot(ctx)?;
        let state = CollegeState {
            uai: input.uai,
            name: input.name,
            commune: resolve::commune(dir, &input.commune, &["input", "commune"])?,
        };
        let id = editing::create(db, &author, state).await?;
        Ok(CollegePayload::of(fresh(ctx).await?, id)?)
    }

    /// Changes a collège read at `expectedVersion` (a new name…). ADMIN token.
    async fn update_college(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "The values.")] input: UpdateCollegeInput,
    ) -> Result<CollegePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::COLLEGE, "id")?;
        let commune = input
            .commune
            .map(|c| resolve::commune(dir, &c, &["input", "commune"]))
            .transpose()?;
        editing::update::<CollegeState>(db, &author, id, expected_version, |state| {
            if let Some(uai) = input.uai {
                state.uai = uai;
            }
            if let Some(name) = input.name {
                state.name = name;
            }
            if let Some(commune) = commune {
                state.commune = commune;
            }
            Ok(())
        })
        .await?;
        Ok(CollegePayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a collège (it closed): it leaves lists, its projects and bodies keep it.
    /// ADMIN token.
    async fn archive_college(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<CollegePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let id = ids::decode_as(&id, ids::COLLEGE, "id")?;
        editing::archive::<CollegeState>(db, &author, id, expected_version, true).await?;
        Ok(CollegePayload::of(fresh(ctx).await?, id)?)
    }

    /// Brings an archived collège back. ADMIN token.
    async fn restore_college(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<CollegePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let id = ids::decode_as(&id, ids::COLLEGE, "id")?;
        editing::archive::<CollegeState>(db, &author, id, expected_version, false).await?;
        Ok(CollegePayload::of(fresh(ctx).await?, id)?)
    }
}
