//! Roles in GraphQL: the requester of the current request, and a guard for fields that
//! need a role.

use async_graphql::{Context, Guard};
use entity::Role;

use crate::access::Viewer;

static PUBLIC: Viewer = Viewer {
    role: None,
    token_name: None,
    person: None,
    expires_at: None,
    token_hash: None,
};

/// The requester of this request (public when the handler set none).
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&PUBLIC)
}

/// Refuses a field to requesters below a role: `UNAUTHENTICATED` without a token,
/// `FORBIDDEN` with too small a role.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        viewer(ctx).require(self.0).map_err(Into::into)
    }
}
