//! Local body mutations (EDITOR token).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use entity::{LocalBodyKind, Role};

use super::payloads::LocalBodyPayload;
use super::{Writer, fresh, resolve, writer};
use crate::directory::Snapshot;
use crate::editing::{self, LocalBodyState};
use crate::error::Error;
use crate::graphql::{ids, snapshot};

/// A new local body. Its territory is given, or that of its commune or collège.
#[derive(InputObject)]
pub struct CreateLocalBodyInput {
    /// Kind (required).
    pub kind: LocalBodyKind,
    /// Name (required, at most 200 characters), e.g. "CLSPD de Nanterre".
    pub name: String,
    /// Purpose, rhythm of meetings (at most 10,000 characters).
    pub description: Option<String>,
    /// Territory number (may be left out when a commune or collège is given).
    pub territory: Option<i32>,
    /// Commune it belongs to (INSEE code or name).
    #[graphql(validator(chars_max_length = 200))]
    pub commune: Option<String>,
    /// Collège it belongs to (UAI or name), for a CESC.
    #[graphql(validator(chars_max_length = 200))]
    pub college: Option<String>,
    /// Coordinators representing the Département (IDs).
    #[graphql(default)]
    pub representatives: Vec<ID>,
}

/// Changes to a local body: only the fields given change; `null` clears an optional one.
#[derive(InputObject, Default)]
pub struct UpdateLocalBodyInput {
    /// New kind.
    pub kind: Option<LocalBodyKind>,
    /// New name.
    pub name: Option<String>,
    /// New description (`null` clears it).
    pub description: MaybeUndefined<String>,
    /// New territory number.
    pub territory: Option<i32>,
    /// New commune (`null`: none).
    pub commune: MaybeUndefined<String>,
    /// New collège (`null`: none).
    pub college: MaybeUndefined<String>,
}

/// The territory of a local body: the one given, else its collège's or commune's; when
/// several are known they must agree.
fn territory_of(
    dir: &Snapshot,
    state: &LocalBodyState,
    given: Option<i32>,
) -> crate::error::Result<i32> {
    let commune_territory = state
        .commune
        .and_then(|id| dir.commune_by_id(id))
        .map(|c| dir.territories[dir.communes[c].territory].id);
    let college_territory = state
        .college
        .and_then(|id| dir.college_by_id(id))
        .map(|c| dir.territories[dir.communes[dir.colleges[c].commune].territory].id);
    let territory = given
        .or(college_territory)
        .or(commune_territory)
        .ok_or_else(|| {
            Error::bad_input(
                "give the territory, a commune or a collège",
                &["input", "territory"],
            )
        })?;
    for (field, other) in [
        ("commune", commune_territory),
        ("college", college_territory),
    ] {
        if other.is_some_and(|other| other != territory) {
            return Err(Error::bad_input(
                format!("this {field} is in another territory"),
                &["input", field],
            ));
        }
    }
    Ok(territory)
}

/// Local body mutations.
#[derive(Default)]
pub struct LocalBodyMutation;

#[Object]
impl LocalBodyMutation {
    /// Creates a local body. EDITOR token.
    async fn create_local_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: CreateLocalBodyInput,
    ) -> Result<LocalBodyPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let given = input
            .territory
            .map(|n| resolve::territory(dir, n, &["input", "territory"]))
            .transpose()?;
        let mut state = LocalBodyState {
            kind: input.kind,
            name: input.name,
            description: input.description,
            territory: 0,
            commune: input
                .commune
                .map(|c| resolve::commune(dir, &c, &["input", "commune"]))
                .transpose()?,
            college: input
                .college
                .map(|c| resolve::college(dir, &c, &["input", "college"]))
                .transpose()?,
            representatives: resolve::coordinators(dir, &input.representatives, "representatives")?,
        };
        state.territory = territory_of(dir, &state, given)?;
        let id = editing::create(db, &author, state).await?;
        Ok(LocalBodyPayload::of(fresh(ctx).await?, id)?)
    }

    /// Changes a local body read at `expectedVersion`; if it changed since, `CONFLICT`.
    /// EDITOR token.
    async fn update_local_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "The values.")] input: UpdateLocalBodyInput,
    ) -> Result<LocalBodyPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::LOCAL_BODY, "id")?;
        let given = input
            .territory
            .map(|n| resolve::territory(dir, n, &["input", "territory"]))
            .transpose()?;
        let commune = match input.commune {
            MaybeUndefined::Value(c) => {
                Some(Some(resolve::commune(dir, &c, &["input", "commune"])?))
            }
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Undefined => None,
        };
        let college = match input.college {
            MaybeUndefined::Value(c) => {
                Some(Some(resolve::college(dir, &c, &["input", "college"])?))
            }
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Undefined => None,
        };
        editing::update::<LocalBodyState>(db, &author, id, expected_version, |state| {
            if let Some(kind) = input.kind {
                state.kind = kind;
            }
            if let Some(name) = input.name {
                state.name = name;
            }
            match input.description {
                MaybeUndefined::Value(d) => state.description = Some(d),
                MaybeUndefined::Null => state.description = None,
                MaybeUndefined::Undefined => {}
            }
            if let Some(commune) = commune {
                state.commune = commune;
            }
            if let Some(college) = college {
                state.college = college;
            }
            // A new commune or collège brings its territory unless one is given.
            let keep = (given.is_none() && commune.is_none() && college.is_none())
                .then_some(state.territory);
            state.territory = territory_of(dir, state, given.or(keep))?;
            Ok(())
        })
        .await?;
        Ok(LocalBodyPayload::of(fresh(ctx).await?, id)?)
    }

    /// Sets who represents the Département in a local body (replaces the list). EDITOR
    /// token.
    async fn set_local_body_representatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read.")] expected_version: i32,
        #[graphql(desc = "Coordinator IDs.")] representatives: Vec<ID>,
    ) -> Result<LocalBodyPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let dir = snapshot(ctx)?;
        let id = ids::decode_as(&id, ids::LOCAL_BODY, "id")?;
        let representatives = resolve::coordinators(dir, &representatives, "representatives")
            .map_err(|e| match e {
                Error::BadUserInput { message, mut path } => {
                    path.retain(|p| p != "input");
                    Error::BadUserInput { message, path }
                }
                other => other,
            })?;
        editing::update::<LocalBodyState>(db, &author, id, expected_version, |state| {
            state.representatives = representatives;
            Ok(())
        })
        .await?;
        Ok(LocalBodyPayload::of(fresh(ctx).await?, id)?)
    }

    /// Archives a local body. EDITOR token.
    async fn archive_local_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<LocalBodyPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::LOCAL_BODY, "id")?;
        editing::archive::<LocalBodyState>(db, &author, id, expected_version, true).await?;
        Ok(LocalBodyPayload::of(fresh(ctx).await?, id)?)
    }

    /// Brings an archived local body back. EDITOR token.
    async fn restore_local_body(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its ID.")] id: ID,
        #[graphql(desc = "The `version` you read, checked when given.")] expected_version: Option<
            i32,
        >,
    ) -> Result<LocalBodyPayload> {
        let Writer { db, author } = writer(ctx, Role::Editor)?;
        let id = ids::decode_as(&id, ids::LOCAL_BODY, "id")?;
        editing::archive::<LocalBodyState>(db, &author, id, expected_version, false).await?;
        Ok(LocalBodyPayload::of(fresh(ctx).await?, id)?)
    }
}
