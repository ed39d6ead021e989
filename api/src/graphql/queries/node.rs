//! `node(id:)`: any object by its global ID, under the same access rules as the lists.

use async_graphql::{Context, ID, Object, Result};
use entity::{Role, sync_run};
use sea_orm::EntityTrait;

use crate::error::Error;
use crate::graphql::access::viewer;
use crate::graphql::types::{
    College, Commune, Coordinator, LocalBody, Node, Partner, Project, SyncRun, Territory, Theme,
};
use crate::graphql::{ids, snapshot};

/// The node query.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID; null if there is none, or if it is archived (or a
    /// person who left the roster) and the request has no EDITOR token. Roster imports
    /// need an ADMIN token. A malformed ID is `BAD_USER_INPUT`.
    async fn node<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Its ID.")] id: ID,
    ) -> Result<Option<Node<'a>>> {
        let dir = snapshot(ctx)?;
        let (kind, id) = ids::decode(&id, "id")?;
        let editor = viewer(ctx).has(Role::Editor);
        let node = match kind.as_str() {
            ids::TERRITORY => dir
                .territory_by_id(id)
                .and_then(|i| Territory::at(dir, i))
                .map(Node::Territory),
            ids::COMMUNE => dir
                .commune_by_id(id)
                .and_then(|i| Commune::at(dir, i))
                .map(Node::Commune),
            ids::COORDINATOR => dir
                .coordinator_by_id(id)
                .and_then(|i| Coordinator::seen_by(ctx, dir, i))
                .map(Node::Coordinator),
            ids::COLLEGE => dir
                .college_by_id(id)
                .and_then(|i| College::at(dir, i))
                .filter(|c| editor || c.row.model.archived_at.is_none())
                .map(Node::College),
            ids::LOCAL_BODY => dir
                .local_body_by_id(id)
                .and_then(|i| LocalBody::at(dir, i))
                .filter(|b| editor || b.row.model.archived_at.is_none())
                .map(Node::LocalBody),
            ids::PARTNER => dir
                .partner_by_id(id)
                .and_then(|i| Partner::at(dir, i))
                .filter(|p| editor || p.row.model.archived_at.is_none())
                .map(Node::Partner),
            ids::PROJECT => dir
                .project_by_id(id)
                .and_then(|i| Project::at(dir, i))
                .filter(|p| editor || p.row.model.archived_at.is_none())
                .map(Node::Project),
            ids::THEME => dir
                .theme_by_id(id)
                .and_then(|i| Theme::at(dir, i))
                .map(Node::Theme),
            ids::SYNC_RUN => {
                viewer(ctx).require(Role::Admin)?;
                let db = crate::graphql::live_db(ctx)?;
                sync_run::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .map_err(Error::from)?
                    .map(|model| Node::SyncRun(SyncRun::summary(model)))
            }
            _ => None,
        };
        Ok(node)
    }
}
