//! Theme mutations (ADMIN token).

use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::Role;

use super::payloads::ThemePayload;
use super::{Writer, fresh, writer};
use crate::editing::{self, ThemeState};
use crate::graphql::ids;

/// A new theme.
#[derive(InputObject)]
pub struct AddThemeInput {
    /// Stable code: capital letters, digits, underscores, e.g. "SCHOOL_DROPOUT".
    #[graphql(validator(chars_max_length = 200))]
    pub code: String,
    /// French label (at most 200 characters), e.g. "Décrochage scolaire".
    pub label: String,
}

/// Theme mutations.
#[derive(Default)]
pub struct ThemeMutation;

#[Object]
impl ThemeMutation {
    /// Adds a theme at the end of the list. ADMIN token.
    async fn add_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: AddThemeInput,
    ) -> Result<ThemePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let state = ThemeState {
            code: input.code,
            label: input.label,
        };
        let id = editing::create(db, &author, state).await?;
        Ok(ThemePayload::of(fresh(ctx).await?, id)?)
    }

    /// Gives a theme a new French label (its code never changes). ADMIN token.
    async fn relabel_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "The new French label.")] label: String,
    ) -> Result<ThemePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let id = ids::decode_as(&id, ids::THEME, "id")?;
        editing::update::<ThemeState>(db, &author, id, expected_version, |state| {
            state.label = label;
            Ok(())
        })
        .await?;
        Ok(ThemePayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a theme: no longer offered, still shown on the projects that have it.
    /// ADMIN token.
    async fn archive_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<ThemePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let id = ids::decode_as(&id, ids::THEME, "id")?;
        editing::archive::<ThemeState>(db, &author, id, expected_version, true).await?;
        Ok(ThemePayload::of(fresh(ctx).await?, id)?)
    }

    /// Brings an archived theme back. ADMIN token.
    async fn restore_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<ThemePayload> {
        let Writer { db, author } = writer(ctx, Role::Admin)?;
        let id = ids::decode_as(&id, ids::THEME, "id")?;
        editing::archive::<ThemeState>(db, &author, id, expected_version, false).await?;
        Ok(ThemePayload::of(fresh(ctx).await?, id)?)
    }
}
