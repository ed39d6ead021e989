//! The person behind a write or an import (issue 12): with a provider's access token the
//! author is a person, known by the provider's stable subject (`sub`), with the name and
//! e-mail the token carried at the time. Null for writes by API tokens and the roster
//! schedule, and for every row written before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
}

/// The columns added to both tables, with their length (the service bounds values to
/// 256 characters before writing).
const COLUMNS: [(&str, u32); 3] = [
    ("author_subject", 256),
    ("author_name", 256),
    ("author_email", 256),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for table in [AuditLog::Table.into_iden(), SyncRuns::Table.into_iden()] {
            for (column, length) in COLUMNS {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .add_column(string_len_null(Alias::new(column), length))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [AuditLog::Table.into_iden(), SyncRuns::Table.into_iden()] {
            for (column, _) in COLUMNS {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .drop_column(Alias::new(column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
