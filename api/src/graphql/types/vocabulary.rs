//! `Vocabulary`: every enum value with its French label, so clients hard-code none.

use async_graphql::{Context, Object, OutputType, Result, SimpleObject};
use entity::{
    Labelled, LocalBodyKind, PartnerKind, ProjectStatus, SaecUnit, StrategicAxis, SyncStatus,
    YouthEnvironment,
};

use super::Theme;
use crate::graphql::snapshot;

/// An enum value and its French label.
#[derive(SimpleObject)]
#[graphql(concrete(name = "LocalBodyKindLabel", params(LocalBodyKind)))]
#[graphql(concrete(name = "PartnerKindLabel", params(PartnerKind)))]
#[graphql(concrete(name = "ProjectStatusLabel", params(ProjectStatus)))]
#[graphql(concrete(name = "StrategicAxisLabel", params(StrategicAxis)))]
#[graphql(concrete(name = "YouthEnvironmentLabel", params(YouthEnvironment)))]
#[graphql(concrete(name = "SaecUnitLabel", params(SaecUnit)))]
#[graphql(concrete(name = "SyncStatusLabel", params(SyncStatus)))]
pub struct EnumLabel<T: OutputType> {
    /// The value.
    pub value: T,
    /// Its French label.
    pub label: String,
}

fn labels<T: Labelled + OutputType>() -> Vec<EnumLabel<T>> {
    T::ALL
        .iter()
        .map(|&value| EnumLabel {
            value,
            label: value.label().to_owned(),
        })
        .collect()
}

/// The French labels of every enum value, in display order.
#[derive(Default)]
pub struct Vocabulary;

/// The French labels of every enum value, in display order.
#[Object]
impl Vocabulary {
    /// Kinds of local body.
    async fn local_body_kinds(&self) -> Vec<EnumLabel<LocalBodyKind>> {
        labels()
    }

    /// Kinds of partner.
    async fn partner_kinds(&self) -> Vec<EnumLabel<PartnerKind>> {
        labels()
    }

    /// Project statuses.
    async fn project_statuses(&self) -> Vec<EnumLabel<ProjectStatus>> {
        labels()
    }

    /// Strategic axes.
    async fn strategic_axes(&self) -> Vec<EnumLabel<StrategicAxis>> {
        labels()
    }

    /// Youth environments.
    async fn youth_environments(&self) -> Vec<EnumLabel<YouthEnvironment>> {
        labels()
    }

    /// SAEC units.
    async fn saec_units(&self) -> Vec<EnumLabel<SaecUnit>> {
        labels()
    }

    /// Roster import outcomes.
    async fn sync_statuses(&self) -> Vec<EnumLabel<SyncStatus>> {
        labels()
    }

    /// Current themes (codes and labels), in display order.
    async fn themes<'a>(&self, ctx: &Context<'a>) -> Result<Vec<Theme<'a>>> {
        let dir = snapshot(ctx)?;
        Ok(dir
            .themes
            .indices()
            .filter(|&i| dir.themes[i].model.archived_at.is_none())
            .filter_map(|i| Theme::at(dir, i))
            .collect())
    }
}
