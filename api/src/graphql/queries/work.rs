//! The life of the territories: projects, local bodies, partners.

use async_graphql::{Context, Object, Result};

use crate::directory::{KeyPart, OrderSpec};
use crate::graphql::inputs::{
    LocalBodyFilter, PartnerFilter, ProjectFilter, ProjectOrder, project_page,
};
use crate::graphql::pagination::{Page, PageArgs, paginate};
use crate::graphql::snapshot;
use crate::graphql::types::{LocalBody, Partner, Project};
use entity::normalize::fold;

/// Local bodies and partners are listed by name, then creation order.
const BY_NAME: OrderSpec = OrderSpec {
    name: "name.asc",
    descending: &[false, false],
};

fn name_key(name: &str, id: i32) -> Vec<KeyPart> {
    vec![KeyPart::Text(fold(name)), KeyPart::Int(i64::from(id))]
}

/// Queries of projects, local bodies and partners.
#[derive(Default)]
pub struct WorkQuery;

#[Object]
impl WorkQuery {
    /// Projects matching `filter`, most recently updated first unless `orderBy` says
    /// otherwise. Archived projects only with `includeArchived` (EDITOR token).
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn projects<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Which projects.")] filter: Option<ProjectFilter>,
        #[graphql(desc = "Sort order; default: most recently updated first.")] order_by: Option<
            ProjectOrder,
        >,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
    ) -> Result<Page<Project<'a>>> {
        let dir = snapshot(ctx)?;
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(project_page(ctx, dir, filter, order_by, args, None)?)
    }

    /// Local bodies matching `filter`, by name.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn local_bodies<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Which local bodies.")] filter: Option<LocalBodyFilter>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
    ) -> Result<Page<LocalBody<'a>>> {
        let dir = snapshot(ctx)?;
        let selected = filter.unwrap_or_default().resolve(ctx, dir)?.select(dir);
        Ok(paginate(
            &selected,
            &BY_NAME,
            |b| {
                name_key(
                    &dir.local_bodies[b].model.name,
                    dir.local_bodies[b].model.id,
                )
            },
            &PageArgs::forward(first, after),
            |b| LocalBody::at(dir, b),
        )?)
    }

    /// Partners matching `filter`, by name. Their contacts and expectations need an
    /// EDITOR token.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn partners<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Which partners.")] filter: Option<PartnerFilter>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
    ) -> Result<Page<Partner<'a>>> {
        let dir = snapshot(ctx)?;
        let selected = filter.unwrap_or_default().resolve(ctx, dir)?.select(dir);
        Ok(paginate(
            &selected,
            &BY_NAME,
            |p| name_key(&dir.partners[p].model.name, dir.partners[p].model.id),
            &PageArgs::forward(first, after),
            |p| Partner::at(dir, p),
        )?)
    }
}
