//! A coordinator's landline (*téléphone fixe*), optional in the roster, stored in E.164
//! like the mobile phone (same type and check) and erased with it after the retention period.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coordinators {
    Table,
    Landline,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Coordinators::Table)
                    .add_column(
                        string_len_null(Coordinators::Landline, 16)
                            .check(Expr::col(Coordinators::Landline).like("+%")),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Coordinators::Table)
                    .drop_column(Coordinators::Landline)
                    .to_owned(),
            )
            .await
    }
}
