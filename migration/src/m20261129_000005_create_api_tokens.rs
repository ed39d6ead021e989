//! API tokens: stored only as SHA-256 hashes, each with a role and an optional expiry.

use entity::Role;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::columns::enum_column;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_auto(ApiTokens::Id))
                    .col(
                        string_uniq(ApiTokens::Name)
                            .check(Expr::expr(Func::char_length(Expr::col(ApiTokens::Name))).gt(0)),
                    )
                    .col(enum_column(ApiTokens::Role, Role::CODES))
                    .col(string_len_uniq(ApiTokens::TokenHash, 64).check(
                        Expr::expr(Func::char_length(Expr::col(ApiTokens::TokenHash))).eq(64),
                    ))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}
