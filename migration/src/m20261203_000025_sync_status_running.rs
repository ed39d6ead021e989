//! Imports are recorded when they start: the status `RUNNING`, the progress of the run
//! (`phase`, `progress_done`, `progress_total`), its heartbeat (`progress_at`) and the
//! process running it (`holder`), so that a run whose process is gone can be told from a
//! slow one and marked `FAILED`.
//!
//! The CHECK constraint of `sync_runs.status` changes as in
//! `m20261203_000022_sync_status_planned` (PostgreSQL replaces it; SQLite rebuilds the
//! table, keeping its problems). On PostgreSQL, triggers on `data_version` and
//! `sync_runs` raise `NOTIFY` events on commit (`territoires_data_version` with the new
//! version, `territoires_sync_runs` with the run's id): the API's subscriptions listen to
//! them, so changes made by any process — another replica, the command line — reach
//! every subscriber.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::enum_column_null;
use crate::m20261203_000022_sync_status_planned::{
    STATUSES_WITH_PLANNED, postgres_check, sqlite_rebuild,
};

/// The statuses this migration allows: frozen, as later migrations may change them.
const STATUSES_WITH_RUNNING: &[&str] = &[
    "RUNNING",
    "APPLIED",
    "PLANNED",
    "UNCHANGED",
    "SKIPPED",
    "REJECTED",
    "REFUSED",
    "BUSY",
    "FAILED",
];

/// The phases of an import, frozen likewise.
const PHASES: &[&str] = &["READING", "VALIDATING", "APPLYING"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Phase,
    ProgressDone,
    ProgressTotal,
    ProgressAt,
    Holder,
}

/// The PostgreSQL notifications, one statement each.
const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION territoires_notify_data_version() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     PERFORM pg_notify('territoires_data_version', NEW.version::text); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS data_version_notify ON data_version",
    "CREATE TRIGGER data_version_notify AFTER UPDATE ON data_version \
     FOR EACH ROW EXECUTE FUNCTION territoires_notify_data_version()",
    "CREATE OR REPLACE FUNCTION territoires_notify_sync_run() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     PERFORM pg_notify('territoires_sync_runs', NEW.id::text); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS sync_runs_notify ON sync_runs",
    "CREATE TRIGGER sync_runs_notify AFTER INSERT OR UPDATE ON sync_runs \
     FOR EACH ROW EXECUTE FUNCTION territoires_notify_sync_run()",
];

const POSTGRES_DROP_TRIGGERS: &[&str] = &[
    "DROP TRIGGER IF EXISTS sync_runs_notify ON sync_runs",
    "DROP FUNCTION IF EXISTS territoires_notify_sync_run()",
    "DROP TRIGGER IF EXISTS data_version_notify ON data_version",
    "DROP FUNCTION IF EXISTS territoires_notify_data_version()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        match backend {
            DbBackend::Sqlite => {
                sqlite_rebuild(manager, STATUSES_WITH_PLANNED, STATUSES_WITH_RUNNING).await?;
            }
            _ => postgres_check(manager, STATUSES_WITH_RUNNING).await?,
        }
        // One column per statement: SQLite adds one at a time.
        for column in [
            enum_column_null(SyncRuns::Phase, PHASES),
            big_integer_null(SyncRuns::ProgressDone),
            big_integer_null(SyncRuns::ProgressTotal),
            timestamp_with_time_zone_null(SyncRuns::ProgressAt),
            string_len_null(SyncRuns::Holder, 80),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncRuns::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        if backend == DbBackend::Postgres {
            let db = manager.get_connection();
            for statement in POSTGRES_TRIGGERS {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DbBackend::Postgres {
            for statement in POSTGRES_DROP_TRIGGERS {
                db.execute_unprepared(statement).await?;
            }
        }
        db.execute_unprepared("UPDATE sync_runs SET status = 'FAILED' WHERE status = 'RUNNING'")
            .await?;
        // The constraint first: on SQLite the rebuild keeps the columns added above,
        // which are then dropped one by one.
        match backend {
            DbBackend::Sqlite => {
                sqlite_rebuild(manager, STATUSES_WITH_RUNNING, STATUSES_WITH_PLANNED).await?;
            }
            _ => postgres_check(manager, STATUSES_WITH_PLANNED).await?,
        }
        for column in [
            SyncRuns::Phase,
            SyncRuns::ProgressDone,
            SyncRuns::ProgressTotal,
            SyncRuns::ProgressAt,
            SyncRuns::Holder,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
