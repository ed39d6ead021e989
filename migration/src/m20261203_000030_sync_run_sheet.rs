//! The sheet an import read and the row of its header (issue 10): the console rebuilds a
//! past run's reports and annotated copy from the stored run, and without them the
//! annotation went to the first sheet with the header assumed on top, wrong for a roster
//! on a second sheet or under a title. Null for runs whose file was not read that far
//! (unreadable, no header found, busy, skipped) and for every run recorded before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    /// The sheet's name as the workbook spells it (`sheet` of the report).
    Sheet,
    /// The header's row number as people see it, from 1 (`headerRow` of the report).
    HeaderRow,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .add_column(string_null(SyncRuns::Sheet))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .add_column(integer_null(SyncRuns::HeaderRow))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SyncRuns::HeaderRow, SyncRuns::Sheet] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
