//! Write transactions, begun the same way by every writer (the API's editors, the roster
//! import, retention, migrations).

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Begins a write transaction. On SQLite it takes the write lock at BEGIN
/// (`BEGIN IMMEDIATE`), not at the first write, so a concurrent writer waits on the busy
/// timeout instead of failing half-way when its read lock cannot be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions::default(),
    };
    db.begin_with_options(options).await
}
