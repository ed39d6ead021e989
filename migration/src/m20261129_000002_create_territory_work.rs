//! The life of a territory: local bodies and their representatives, partners and their
//! recorded expectations, projects and their links.

use entity::{LocalBodyKind, ProjectStatus, SaecUnit, StrategicAxis, YouthEnvironment};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{
    audit_columns, create_join_table, enum_column, enum_column_null, foreign_key, index,
};

/// The partner kinds this migration allowed: frozen, since a later migration widens the
/// constraint (the schemes and the Département's professionals came with
/// `m20261203_000027_partner_kinds`).
pub(crate) const PARTNER_KINDS: &[&str] = &[
    "COLLEGE",
    "YOUTH_SERVICE",
    "SPECIALISED_PREVENTION",
    "PROJECT_LEADER",
    "ASSOCIATION",
    "MUNICIPALITY",
    "OTHER",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LocalBodies {
    Table,
    Id,
    Kind,
    Name,
    Description,
    TerritoryId,
    CommuneId,
    CollegeId,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
    Name,
    Kind,
    TerritoryId,
    CommuneId,
    ContactName,
    ContactEmail,
    ContactPhone,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum PartnerExpectations {
    Table,
    Id,
    PartnerId,
    Text,
    RecordedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    Title,
    Summary,
    Status,
    Unit,
    LeadCoordinatorId,
    StartDate,
    EndDate,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Territories {
    Table,
}

#[derive(DeriveIden)]
enum Communes {
    Table,
}

#[derive(DeriveIden)]
enum Colleges {
    Table,
}

#[derive(DeriveIden)]
enum Coordinators {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut local_bodies = Table::create();
        local_bodies
            .table(LocalBodies::Table)
            .col(pk_auto(LocalBodies::Id))
            .col(enum_column(LocalBodies::Kind, LocalBodyKind::CODES))
            .col(
                string(LocalBodies::Name)
                    .check(Expr::expr(Func::char_length(Expr::col(LocalBodies::Name))).gt(0)),
            )
            .col(text_null(LocalBodies::Description))
            .col(integer(LocalBodies::TerritoryId))
            .col(integer_null(LocalBodies::CommuneId))
            .col(integer_null(LocalBodies::CollegeId))
            .col(timestamp_with_time_zone_null(LocalBodies::ArchivedAt))
            .foreign_key(&mut foreign_key(
                LocalBodies::Table,
                LocalBodies::TerritoryId,
                Territories::Table,
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                LocalBodies::Table,
                LocalBodies::CommuneId,
                Communes::Table,
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                LocalBodies::Table,
                LocalBodies::CollegeId,
                Colleges::Table,
                ForeignKeyAction::Restrict,
            ));
        audit_columns(&mut local_bodies);
        manager.create_table(local_bodies).await?;
        for columns in [["territory_id"], ["commune_id"], ["college_id"], ["kind"]] {
            manager
                .create_index(index(LocalBodies::Table, &columns))
                .await?;
        }
        create_join_table(
            manager,
            "local_body_representatives",
            ("local_body_id", "local_bodies"),
            ("coordinator_id", Some("coordinators")),
            integer(Alias::new("coordinator_id")),
        )
        .await?;

        let mut partners = Table::create();
        partners
            .table(Partners::Table)
            .col(pk_auto(Partners::Id))
            .col(
                string(Partners::Name)
                    .check(Expr::expr(Func::char_length(Expr::col(Partners::Name))).gt(0)),
            )
            .col(enum_column(Partners::Kind, PARTNER_KINDS))
            .col(integer_null(Partners::TerritoryId))
            .col(integer_null(Partners::CommuneId))
            .col(string_null(Partners::ContactName))
            .col(
                string_null(Partners::ContactEmail).check(
                    Expr::col(Partners::ContactEmail)
                        .eq(Func::lower(Expr::col(Partners::ContactEmail))),
                ),
            )
            .col(
                string_len_null(Partners::ContactPhone, 16)
                    .check(Expr::col(Partners::ContactPhone).like("+%")),
            )
            .col(timestamp_with_time_zone_null(Partners::ArchivedAt))
            // A partner works somewhere: in a commune, a territory, or both.
            .check(
                Expr::col(Partners::TerritoryId)
                    .is_not_null()
                    .or(Expr::col(Partners::CommuneId).is_not_null()),
            )
            .foreign_key(&mut foreign_key(
                Partners::Table,
                Partners::TerritoryId,
                Territories::Table,
                ForeignKeyAction::Restrict,
            ))
            .foreign_key(&mut foreign_key(
                Partners::Table,
                Partners::CommuneId,
                Communes::Table,
                ForeignKeyAction::Restrict,
            ));
        audit_columns(&mut partners);
        manager.create_table(partners).await?;
        for columns in [["territory_id"], ["commune_id"], ["kind"]] {
            manager
                .create_index(index(Partners::Table, &columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PartnerExpectations::Table)
                    .col(pk_auto(PartnerExpectations::Id))
                    .col(integer(PartnerExpectations::PartnerId))
                    .col(text(PartnerExpectations::Text).check(
                        Expr::expr(Func::char_length(Expr::col(PartnerExpectations::Text))).gt(0),
                    ))
                    .col(date(PartnerExpectations::RecordedOn))
                    .col(timestamp_with_time_zone(PartnerExpectations::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        PartnerExpectations::Table,
                        PartnerExpectations::PartnerId,
                        Partners::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(PartnerExpectations::Table, &["partner_id"]))
            .await?;

        let mut projects = Table::create();
        projects
            .table(Projects::Table)
            .col(pk_auto(Projects::Id))
            .col(
                string(Projects::Title)
                    .check(Expr::expr(Func::char_length(Expr::col(Projects::Title))).gt(0)),
            )
            .col(text_null(Projects::Summary))
            .col(enum_column(Projects::Status, ProjectStatus::CODES))
            .col(enum_column_null(Projects::Unit, SaecUnit::CODES))
            .col(integer_null(Projects::LeadCoordinatorId))
            .col(date_null(Projects::StartDate))
            .col(date_null(Projects::EndDate))
            .col(timestamp_with_time_zone_null(Projects::ArchivedAt))
            .check(
                Expr::col(Projects::StartDate)
                    .is_null()
                    .or(Expr::col(Projects::EndDate).is_null())
                    .or(Expr::col(Projects::EndDate).gte(Expr::col(Projects::StartDate))),
            )
            .foreign_key(&mut foreign_key(
                Projects::Table,
                Projects::LeadCoordinatorId,
                Coordinators::Table,
                ForeignKeyAction::Restrict,
            ));
        audit_columns(&mut projects);
        manager.create_table(projects).await?;
        for columns in [["lead_coordinator_id"], ["status"], ["updated_at"]] {
            manager
                .create_index(index(Projects::Table, &columns))
                .await?;
        }

        let project = ("project_id", "projects");
        create_join_table(
            manager,
            "project_axes",
            project,
            ("axis", None),
            enum_column(Alias::new("axis"), StrategicAxis::CODES),
        )
        .await?;
        create_join_table(
            manager,
            "project_environments",
            project,
            ("environment", None),
            enum_column(Alias::new("environment"), YouthEnvironment::CODES),
        )
        .await?;
        for (table, column, target) in [
            ("project_themes", "theme_id", "themes"),
            ("project_territories", "territory_id", "territories"),
            ("project_communes", "commune_id", "communes"),
            ("project_colleges", "college_id", "colleges"),
            ("project_partners", "partner_id", "partners"),
        ] {
            create_join_table(
                manager,
                table,
                project,
                (column, Some(target)),
                integer(Alias::new(column)),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "project_partners",
            "project_colleges",
            "project_communes",
            "project_territories",
            "project_themes",
            "project_environments",
            "project_axes",
            "projects",
            "partner_expectations",
            "partners",
            "local_body_representatives",
            "local_bodies",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
