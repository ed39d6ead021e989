//! The life of the territories: projects, local bodies, partners.

use async_graphql::{Context, Object, Result};

use crate::graphql::inputs::{
    LocalBodyFilter, LocalBodyOrder, PartnerFilter, PartnerOrder, ProjectFilter, ProjectOrder,
    local_bodies_page, partners_page, project_page,
};
use crate::graphql::pagination::{Page, PageArgs};
use crate::graphql::snapshot;
use crate::graphql::types::{LocalBody, Partner, Project};

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

    /// Local bodies matching `filter`, by name unless `orderBy` says otherwise.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn local_bodies<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Which local bodies.")] filter: Option<LocalBodyFilter>,
        #[graphql(desc = "Sort order; default: by name, A to Z.")] order_by: Option<LocalBodyOrder>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
    ) -> Result<Page<LocalBody<'a>>> {
        let dir = snapshot(ctx)?;
        let query = filter.unwrap_or_default().resolve(ctx, dir)?;
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(local_bodies_page(dir, &query, order_by, &args)?)
    }

    /// Partners matching `filter`, by name unless `orderBy` says otherwise. Their
    /// contacts and expectations need an EDITOR token.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "crate::graphql::pagination::page_cost(first.or(last), child_complexity)"
    )]
    async fn partners<'a>(
        &self,
        ctx: &Context<'a>,
        #[graphql(desc = "Which partners.")] filter: Option<PartnerFilter>,
        #[graphql(desc = "Sort order; default: by name, A to Z.")] order_by: Option<PartnerOrder>,
        #[graphql(desc = "The first n items (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor.")] after: Option<String>,
        #[graphql(desc = "The last n items (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Items before this cursor.")] before: Option<String>,
    ) -> Result<Page<Partner<'a>>> {
        let dir = snapshot(ctx)?;
        let query = filter.unwrap_or_default().resolve(ctx, dir)?;
        let args = PageArgs {
            after,
            before,
            first,
            last,
        };
        Ok(partners_page(dir, &query, order_by, &args)?)
    }
}
