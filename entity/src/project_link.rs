//! The join tables of a project: its axes, environments, themes, territories, communes,
//! collèges and partners (join tables rather than arrays, so both databases index them).

macro_rules! project_link {
    ($(#[$doc:meta])* $module:ident, $table:literal, $(#[$cdoc:meta])* $column:ident : $ty:ty) => {
        $(#[$doc])*
        pub mod $module {
            use sea_orm::entity::prelude::*;

            /// One link between a project and a value.
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                /// The project.
                #[sea_orm(primary_key, auto_increment = false)]
                pub project_id: i32,
                $(#[$cdoc])*
                #[sea_orm(primary_key, auto_increment = false)]
                pub $column: $ty,
            }

            /// Relations of the link.
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                /// The project.
                #[sea_orm(
                    belongs_to = "crate::project::Entity",
                    from = "Column::ProjectId",
                    to = "crate::project::Column::Id",
                    on_delete = "Cascade"
                )]
                Project,
            }

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

project_link!(
    /// The strategic axes of a project.
    project_axis, "project_axes",
    /// The axis.
    axis: crate::StrategicAxis
);
project_link!(
    /// The youth environments a project works in.
    project_environment, "project_environments",
    /// The environment.
    environment: crate::YouthEnvironment
);
project_link!(
    /// The themes of a project.
    project_theme, "project_themes",
    /// The theme.
    theme_id: i32
);
project_link!(
    /// The territories a project is linked to directly.
    project_territory, "project_territories",
    /// The territory.
    territory_id: i32
);
project_link!(
    /// The communes a project is linked to.
    project_commune, "project_communes",
    /// The commune.
    commune_id: i32
);
project_link!(
    /// The collèges a project is linked to.
    project_college, "project_colleges",
    /// The collège.
    college_id: i32
);
project_link!(
    /// The partners of a project.
    project_partner, "project_partners",
    /// The partner.
    partner_id: i32
);
