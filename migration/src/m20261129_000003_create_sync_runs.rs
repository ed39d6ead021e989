//! Roster imports: one row per attempt, with the problems found in the file.

use entity::{ProblemSeverity, SyncTrigger};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{enum_column, foreign_key, index};

/// The statuses this migration allowed: frozen, since later migrations change the
/// constraint (`PLANNED` came with `m20261203_000022_sync_status_planned`).
pub(crate) const STATUSES: &[&str] = &[
    "APPLIED",
    "UNCHANGED",
    "SKIPPED",
    "REJECTED",
    "REFUSED",
    "BUSY",
    "FAILED",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    Trigger,
    Actor,
    FileName,
    FileSha256,
    DryRun,
    Forced,
    Status,
    Added,
    Updated,
    Moved,
    Deactivated,
    Reactivated,
    Unchanged,
    Plan,
    Message,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum SyncRunProblems {
    Table,
    Id,
    SyncRunId,
    Severity,
    RowNumber,
    ColumnName,
    Code,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut runs = Table::create();
        runs.table(SyncRuns::Table)
            .col(pk_auto(SyncRuns::Id))
            .col(enum_column(SyncRuns::Trigger, SyncTrigger::CODES))
            .col(string(SyncRuns::Actor))
            .col(string_null(SyncRuns::FileName))
            .col(string_len_null(SyncRuns::FileSha256, 64))
            .col(boolean(SyncRuns::DryRun))
            .col(boolean(SyncRuns::Forced))
            .col(enum_column(SyncRuns::Status, STATUSES));
        for count in [
            SyncRuns::Added,
            SyncRuns::Updated,
            SyncRuns::Moved,
            SyncRuns::Deactivated,
            SyncRuns::Reactivated,
            SyncRuns::Unchanged,
        ] {
            runs.col(integer(count).default(0));
        }
        runs.col(text_null(SyncRuns::Plan))
            .col(text_null(SyncRuns::Message))
            .col(timestamp_with_time_zone(SyncRuns::StartedAt))
            .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt));
        manager.create_table(runs).await?;
        manager
            .create_index(index(SyncRuns::Table, &["started_at"]))
            .await?;
        manager
            .create_index(index(SyncRuns::Table, &["status", "dry_run"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncRunProblems::Table)
                    .col(pk_auto(SyncRunProblems::Id))
                    .col(integer(SyncRunProblems::SyncRunId))
                    .col(enum_column(
                        SyncRunProblems::Severity,
                        ProblemSeverity::CODES,
                    ))
                    .col(integer_null(SyncRunProblems::RowNumber))
                    .col(string_null(SyncRunProblems::ColumnName))
                    .col(string_len(SyncRunProblems::Code, 40))
                    .col(text(SyncRunProblems::Message))
                    .foreign_key(&mut foreign_key(
                        SyncRunProblems::Table,
                        SyncRunProblems::SyncRunId,
                        SyncRuns::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(SyncRunProblems::Table, &["sync_run_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncRunProblems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SyncRuns::Table).to_owned())
            .await
    }
}
