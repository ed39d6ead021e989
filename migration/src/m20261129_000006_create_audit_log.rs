//! The audit log of every write.

use entity::AuditAction;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::{enum_column, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Entity,
    EntityId,
    Action,
    Changes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(string(AuditLog::Actor))
                    .col(string_len(AuditLog::Entity, 40))
                    .col(integer(AuditLog::EntityId))
                    .col(enum_column(AuditLog::Action, AuditAction::CODES))
                    .col(text(AuditLog::Changes))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(AuditLog::Table, &["entity", "entity_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}
