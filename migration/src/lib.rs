//! Territoires database migrations and reference data.
//!
//! The schema is portable across SQLite and PostgreSQL: enums are text columns with a
//! CHECK constraint, lists are join tables, search keys are computed in Rust.
//! Reference data (territories, communes, coordinators, collèges, themes) is embedded
//! from `data/` and loaded once, by a migration, so restarts never duplicate it nor
//! overwrite what imports and editors changed later.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261129_000001_create_directory;
mod m20261129_000002_create_territory_work;
mod m20261129_000003_create_sync_runs;
mod m20261129_000004_load_reference_data;
mod m20261129_000005_create_api_tokens;
mod m20261129_000006_create_audit_log;
mod m20261129_000010_create_sync_lock;
mod m20261129_000011_archive_partner_expectations;
mod m20261203_000020_add_coordinator_landline;
mod m20261203_000021_add_commune_aliases;
mod m20261203_000022_sync_status_planned;
mod m20261203_000023_create_console_sessions;
mod m20261203_000024_create_roster_files;
mod m20261203_000025_sync_status_running;
mod m20261203_000026_add_author_identity;
mod m20261203_000027_partner_kinds;
mod m20261203_000029_console_sign_in_with_provider;
mod m20261203_000030_sync_run_sheet;
mod m20261203_000031_data_change_kinds;
mod reference;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_directory::Migration),
            Box::new(m20261129_000002_create_territory_work::Migration),
            Box::new(m20261129_000003_create_sync_runs::Migration),
            Box::new(m20261129_000004_load_reference_data::Migration),
            Box::new(m20261129_000005_create_api_tokens::Migration),
            Box::new(m20261129_000006_create_audit_log::Migration),
            Box::new(m20261129_000010_create_sync_lock::Migration),
            Box::new(m20261129_000011_archive_partner_expectations::Migration),
            Box::new(m20261203_000020_add_coordinator_landline::Migration),
            Box::new(m20261203_000021_add_commune_aliases::Migration),
            Box::new(m20261203_000022_sync_status_planned::Migration),
            Box::new(m20261203_000023_create_console_sessions::Migration),
            Box::new(m20261203_000024_create_roster_files::Migration),
            Box::new(m20261203_000025_sync_status_running::Migration),
            Box::new(m20261203_000026_add_author_identity::Migration),
            Box::new(m20261203_000027_partner_kinds::Migration),
            Box::new(m20261203_000029_console_sign_in_with_provider::Migration),
            Box::new(m20261203_000030_sync_run_sheet::Migration),
            Box::new(m20261203_000031_data_change_kinds::Migration),
        ]
    }
}
