//! The console signs in through the identity provider (issue 12): a session then belongs
//! to a person (the provider's `sub`, name and e-mail, the author of its actions) and
//! keeps, on the server only, the refresh token that renews it and the ID token that
//! names it to the provider at sign-out. A sign-in in progress (authorization code flow)
//! keeps its `state` (hashed), `nonce` and PKCE verifier until the provider sends the
//! browser back, once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsoleSessions {
    Table,
    PersonSubject,
    PersonName,
    PersonEmail,
    RefreshToken,
    IdToken,
    AccessExpiresAt,
}

#[derive(DeriveIden)]
enum ConsoleSignIns {
    Table,
    Id,
    StateHash,
    Nonce,
    CodeVerifier,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            string_len_null(ConsoleSessions::PersonSubject, 256),
            string_len_null(ConsoleSessions::PersonName, 256),
            string_len_null(ConsoleSessions::PersonEmail, 256),
            text_null(ConsoleSessions::RefreshToken),
            text_null(ConsoleSessions::IdToken),
            timestamp_with_time_zone_null(ConsoleSessions::AccessExpiresAt),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ConsoleSessions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSignIns::Table)
                    .col(pk_auto(ConsoleSignIns::Id))
                    .col(string_len_uniq(ConsoleSignIns::StateHash, 64))
                    .col(string_len(ConsoleSignIns::Nonce, 64))
                    .col(string_len(ConsoleSignIns::CodeVerifier, 64))
                    .col(timestamp_with_time_zone(ConsoleSignIns::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleSignIns::Table).to_owned())
            .await?;
        for column in [
            ConsoleSessions::PersonSubject,
            ConsoleSessions::PersonName,
            ConsoleSessions::PersonEmail,
            ConsoleSessions::RefreshToken,
            ConsoleSessions::IdToken,
            ConsoleSessions::AccessExpiresAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ConsoleSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
