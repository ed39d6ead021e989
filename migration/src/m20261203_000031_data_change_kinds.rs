//! What each data version changed (issue 11): the `dataChanged` subscription tells the
//! kind of change (roster, projects, partners…), not only the version. One row per
//! version, written in the transaction that bumps it, so writes from every process count
//! and every replica reads the same kinds; bumps keep the log bounded.
//!
//! The kind is text without a CHECK constraint: a kind added later must not need a
//! table rebuild on SQLite, and readers treat a code they do not know as "everything
//! changed". Versions bumped before this migration have no row, which readers treat the
//! same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataChanges {
    Table,
    /// The data version the write moved to.
    Version,
    /// What it changed (`ROSTER`, `PROJECTS`…).
    Kind,
    /// When.
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataChanges::Table)
                    .col(big_integer(DataChanges::Version).primary_key())
                    .col(string_len(DataChanges::Kind, 40))
                    .col(timestamp_with_time_zone(DataChanges::At))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataChanges::Table).to_owned())
            .await
    }
}
