//! Sessions of the administration console (`/admin`): kept in the database, not in the
//! process, so every replica behind a load balancer knows them and a restart signs no
//! one out. The browser holds a random secret; only its SHA-256 is stored, so a copy of
//! the table opens no session.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsoleSessions {
    Table,
    Id,
    SecretHash,
    TokenName,
    TokenHash,
    CsrfSecret,
    CreatedAt,
    LastSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSessions::Table)
                    .col(pk_auto(ConsoleSessions::Id))
                    .col(
                        string_len_uniq(ConsoleSessions::SecretHash, 64).check(
                            Expr::expr(Func::char_length(Expr::col(ConsoleSessions::SecretHash)))
                                .eq(64),
                        ),
                    )
                    .col(string(ConsoleSessions::TokenName))
                    .col(string_len(ConsoleSessions::TokenHash, 64))
                    .col(string_len(ConsoleSessions::CsrfSecret, 64))
                    .col(timestamp_with_time_zone(ConsoleSessions::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleSessions::LastSeenAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleSessions::Table).to_owned())
            .await
    }
}
