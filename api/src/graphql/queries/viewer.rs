//! `viewer`: who the caller is, so a frontend shows the person signed in and what they
//! may do without decoding tokens itself.

use async_graphql::{Context, Object, SimpleObject};
use entity::Role;

use crate::graphql::access::viewer;
use crate::graphql::types::AuthorKind;

/// The caller of this request.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Viewer")]
pub struct CurrentViewer {
    /// `TOKEN` (an API token) or `PERSON` (an access token of the identity provider).
    pub kind: AuthorKind,
    /// The token's name, or the person's name (else e-mail, else subject): what the
    /// audit log records for their writes.
    pub name: String,
    /// What they may do; null for a person whose claims grant no role (they read as the
    /// public does).
    pub role: Option<Role>,
    /// The person's identifier at the identity provider (`sub`); null for a token.
    pub subject: Option<String>,
    /// The person's e-mail; null for a token or when the token carries none.
    pub email: Option<String>,
}

/// The caller.
#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is asking, and their role; null for a request without credentials.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<CurrentViewer> {
        // The answer is the caller's own: never shared through the response cache.
        crate::response_cache::mark_uncacheable(ctx);
        let viewer = viewer(ctx);
        if let Some(person) = &viewer.person {
            return Some(CurrentViewer {
                kind: AuthorKind::Person,
                name: person.display().to_owned(),
                role: viewer.role,
                subject: Some(person.subject.clone()),
                email: person.email.clone(),
            });
        }
        viewer.token_name.as_ref().map(|name| CurrentViewer {
            kind: AuthorKind::Token,
            name: name.clone(),
            role: viewer.role,
            subject: None,
            email: None,
        })
    }
}
