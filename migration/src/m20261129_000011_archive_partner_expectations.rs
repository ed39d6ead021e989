//! Recorded partner expectations are archived, never deleted: `archived_at` (set when
//! archived) and `version` (optimistic concurrency, like every archivable row).
//!
//! One column per `ALTER TABLE`: SQLite accepts a single change per statement.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PartnerExpectations {
    Table,
    ArchivedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PartnerExpectations::Table)
                    .add_column(timestamp_with_time_zone_null(
                        PartnerExpectations::ArchivedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PartnerExpectations::Table)
                    .add_column(
                        integer(PartnerExpectations::Version)
                            .default(1)
                            .check(Expr::col(PartnerExpectations::Version).gte(1)),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            PartnerExpectations::Version,
            PartnerExpectations::ArchivedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PartnerExpectations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
