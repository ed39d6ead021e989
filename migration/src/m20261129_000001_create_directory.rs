//! The directory: territories, communes (postal codes, aliases), coordinators and their
//! territory history, collèges, themes, and the data version that keeps caches coherent.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{audit_columns, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Territories {
    Table,
    Id,
    Number,
    Name,
}

#[derive(DeriveIden)]
enum Communes {
    Table,
    Id,
    InseeCode,
    Name,
    TerritoryId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CommunePostalCodes {
    Table,
    CommuneId,
    PostalCode,
}

#[derive(DeriveIden)]
enum CommuneAliases {
    Table,
    CommuneId,
    Alias,
}

#[derive(DeriveIden)]
enum Coordinators {
    Table,
    Id,
    EmployeeId,
    FirstName,
    LastName,
    Title,
    Email,
    Phone,
    Active,
    DeactivatedAt,
    ContactErasedAt,
}

#[derive(DeriveIden)]
enum CoordinatorAssignments {
    Table,
    Id,
    CoordinatorId,
    TerritoryId,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Colleges {
    Table,
    Id,
    Uai,
    Name,
    CommuneId,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Themes {
    Table,
    Id,
    Code,
    Label,
    Position,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Id,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Territories::Table)
                    .col(pk_auto(Territories::Id))
                    .col(
                        integer_uniq(Territories::Number)
                            .check(Expr::col(Territories::Number).gt(0)),
                    )
                    .col(string(Territories::Name))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Communes::Table)
                    .col(pk_auto(Communes::Id))
                    .col(
                        string_len_uniq(Communes::InseeCode, 5).check(
                            Expr::expr(Func::char_length(Expr::col(Communes::InseeCode))).eq(5),
                        ),
                    )
                    .col(string(Communes::Name))
                    .col(integer(Communes::TerritoryId))
                    .col(timestamp_with_time_zone(Communes::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Communes::Table,
                        Communes::TerritoryId,
                        Territories::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Communes::Table, &["territory_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommunePostalCodes::Table)
                    .col(integer(CommunePostalCodes::CommuneId))
                    .col(
                        string_len(CommunePostalCodes::PostalCode, 5).check(
                            Expr::expr(Func::char_length(Expr::col(
                                CommunePostalCodes::PostalCode,
                            )))
                            .eq(5),
                        ),
                    )
                    .primary_key(
                        Index::create()
                            .col(CommunePostalCodes::CommuneId)
                            .col(CommunePostalCodes::PostalCode),
                    )
                    .foreign_key(&mut foreign_key(
                        CommunePostalCodes::Table,
                        CommunePostalCodes::CommuneId,
                        Communes::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(CommunePostalCodes::Table, &["postal_code"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommuneAliases::Table)
                    .col(integer(CommuneAliases::CommuneId))
                    .col(string(CommuneAliases::Alias))
                    .primary_key(
                        Index::create()
                            .col(CommuneAliases::CommuneId)
                            .col(CommuneAliases::Alias),
                    )
                    .foreign_key(&mut foreign_key(
                        CommuneAliases::Table,
                        CommuneAliases::CommuneId,
                        Communes::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        let mut coordinators = Table::create();
        coordinators
            .table(Coordinators::Table)
            .col(pk_auto(Coordinators::Id))
            .col(string_null(Coordinators::EmployeeId).unique_key())
            .col(string(Coordinators::FirstName))
            .col(string(Coordinators::LastName))
            .col(string_null(Coordinators::Title))
            // Stored lower-cased: the unique key is then case-insensitive on both databases.
            .col(string_null(Coordinators::Email).unique_key().check(
                Expr::col(Coordinators::Email).eq(Func::lower(Expr::col(Coordinators::Email))),
            ))
            .col(
                string_len_null(Coordinators::Phone, 16)
                    .check(Expr::col(Coordinators::Phone).like("+%")),
            )
            .col(boolean(Coordinators::Active).default(true))
            .col(timestamp_with_time_zone_null(Coordinators::DeactivatedAt))
            .col(timestamp_with_time_zone_null(Coordinators::ContactErasedAt))
            // An active coordinator can always be reached.
            .check(
                Expr::col(Coordinators::Active)
                    .eq(false)
                    .or(Expr::col(Coordinators::Email).is_not_null()),
            );
        audit_columns(&mut coordinators);
        manager.create_table(coordinators).await?;
        manager
            .create_index(index(Coordinators::Table, &["active"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CoordinatorAssignments::Table)
                    .col(pk_auto(CoordinatorAssignments::Id))
                    .col(integer(CoordinatorAssignments::CoordinatorId))
                    .col(integer(CoordinatorAssignments::TerritoryId))
                    .col(timestamp_with_time_zone(CoordinatorAssignments::StartedAt))
                    .col(timestamp_with_time_zone_null(
                        CoordinatorAssignments::EndedAt,
                    ))
                    .check(
                        Expr::col(CoordinatorAssignments::EndedAt)
                            .is_null()
                            .or(Expr::col(CoordinatorAssignments::EndedAt)
                                .gte(Expr::col(CoordinatorAssignments::StartedAt))),
                    )
                    .foreign_key(&mut foreign_key(
                        CoordinatorAssignments::Table,
                        CoordinatorAssignments::CoordinatorId,
                        Coordinators::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        CoordinatorAssignments::Table,
                        CoordinatorAssignments::TerritoryId,
                        Territories::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(CoordinatorAssignments::Table, &["coordinator_id"]))
            .await?;
        manager
            .create_index(index(
                CoordinatorAssignments::Table,
                &["territory_id", "ended_at"],
            ))
            .await?;

        let mut colleges = Table::create();
        colleges
            .table(Colleges::Table)
            .col(pk_auto(Colleges::Id))
            .col(
                string_len_uniq(Colleges::Uai, 8)
                    .check(Expr::expr(Func::char_length(Expr::col(Colleges::Uai))).eq(8)),
            )
            .col(string(Colleges::Name))
            .col(integer(Colleges::CommuneId))
            .col(timestamp_with_time_zone_null(Colleges::ArchivedAt))
            .foreign_key(&mut foreign_key(
                Colleges::Table,
                Colleges::CommuneId,
                Communes::Table,
                ForeignKeyAction::Restrict,
            ));
        audit_columns(&mut colleges);
        manager.create_table(colleges).await?;
        manager
            .create_index(index(Colleges::Table, &["commune_id"]))
            .await?;

        let mut themes = Table::create();
        themes
            .table(Themes::Table)
            .col(pk_auto(Themes::Id))
            .col(string_len_uniq(Themes::Code, 40))
            .col(string(Themes::Label))
            .col(integer(Themes::Position))
            .col(timestamp_with_time_zone_null(Themes::ArchivedAt));
        audit_columns(&mut themes);
        manager.create_table(themes).await?;

        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(
                        integer(DataVersion::Id)
                            .primary_key()
                            .check(Expr::col(DataVersion::Id).eq(1)),
                    )
                    .col(big_integer(DataVersion::Version))
                    .to_owned(),
            )
            .await?;
        let mut first_version = Query::insert();
        first_version
            .into_table(DataVersion::Table)
            .columns([DataVersion::Id, DataVersion::Version])
            .values([1.into(), 1i64.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        manager.exec_stmt(first_version).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DataVersion::Table.into_iden(),
            Themes::Table.into_iden(),
            Colleges::Table.into_iden(),
            CoordinatorAssignments::Table.into_iden(),
            Coordinators::Table.into_iden(),
            CommuneAliases::Table.into_iden(),
            CommunePostalCodes::Table.into_iden(),
            Communes::Table.into_iden(),
            Territories::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
