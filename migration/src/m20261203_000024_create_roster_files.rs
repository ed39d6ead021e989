//! Roster files kept by their SHA-256: the file an administrator's dry run was computed
//! from is the one applied (no second upload, so what is applied is what was shown), and
//! the history offers each run's file for download. Bounded by `SYNC_MAX_FILE_SIZE`
//! (larger files are rejected unread, never kept) and purged with the archive
//! (`SYNC_ARCHIVE_DAYS` after their last submission): they hold personal data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RosterFiles {
    Table,
    Sha256,
    FileName,
    Bytes,
    Size,
    UploadedAt,
    UploadedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RosterFiles::Table)
                    .col(string_len(RosterFiles::Sha256, 64).primary_key().check(
                        Expr::expr(Func::char_length(Expr::col(RosterFiles::Sha256))).eq(64),
                    ))
                    .col(string(RosterFiles::FileName))
                    .col(blob(RosterFiles::Bytes))
                    .col(big_integer(RosterFiles::Size).check(Expr::col(RosterFiles::Size).gte(0)))
                    .col(timestamp_with_time_zone(RosterFiles::UploadedAt))
                    .col(string(RosterFiles::UploadedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_roster_files_uploaded_at")
                    .table(RosterFiles::Table)
                    .col(RosterFiles::UploadedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RosterFiles::Table).to_owned())
            .await
    }
}
