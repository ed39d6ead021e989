//! The roster import lock for databases without advisory locks (SQLite).
//!
//! One row per named lock; an import inserts it to start and deletes it when done. A
//! row older than the stale timeout belongs to a process that died mid-import and may be
//! taken over. PostgreSQL uses an advisory lock instead, so the table stays empty there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncLocks {
    Table,
    Name,
    Holder,
    AcquiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncLocks::Table)
                    .col(string_len(SyncLocks::Name, 40).primary_key())
                    .col(string_len(SyncLocks::Holder, 80))
                    // Unix seconds: compared as numbers, the same on both databases.
                    .col(big_integer(SyncLocks::AcquiredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncLocks::Table).to_owned())
            .await
    }
}
