//! Partner kinds for the schemes the coordinators link to and for the Département's own
//! professionals: `CITY_POLICY` (politique de la ville), `CHILD_PROTECTION` (protection
//! de l'enfance), `DEPARTMENT_SOCIAL_WORK` (travailleurs sociaux, médiateurs éducatifs,
//! chargés de prévention du Département) and `YOUTH_SERVICE_DEPARTMENT` (services
//! jeunesse du Département). Existing partners keep their kind.
//!
//! PostgreSQL replaces the CHECK constraint of `partners.kind`. SQLite cannot alter a
//! constraint: `partners` is rebuilt from its own `CREATE TABLE` text with the new list,
//! its two child tables (`partner_expectations`, which cascades on delete, and
//! `project_partners`, which restricts it) set aside first and restored after, so
//! dropping the old table neither deletes nor refuses anything. Going down, partners of
//! the new kinds become `OTHER`, as they were before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261129_000002_create_territory_work::PARTNER_KINDS;
use crate::m20261203_000022_sync_status_planned::{quoted, sqlite_schema};

/// The partner kinds this migration allows: frozen, as later migrations may change them.
const PARTNER_KINDS_WITH_SCHEMES: &[&str] = &[
    "COLLEGE",
    "YOUTH_SERVICE",
    "SPECIALISED_PREVENTION",
    "PROJECT_LEADER",
    "ASSOCIATION",
    "MUNICIPALITY",
    "CITY_POLICY",
    "CHILD_PROTECTION",
    "DEPARTMENT_SOCIAL_WORK",
    "YOUTH_SERVICE_DEPARTMENT",
    "OTHER",
];

/// The tables whose foreign keys point at `partners`.
const CHILDREN: &[&str] = &["partner_expectations", "project_partners"];

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Replaces the CHECK of `partners.kind` on PostgreSQL (named as PostgreSQL names a
/// column's constraint).
async fn postgres_check(manager: &SchemaManager<'_>, codes: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("ALTER TABLE partners DROP CONSTRAINT IF EXISTS partners_kind_check")
        .await?;
    db.execute_unprepared(&format!(
        "ALTER TABLE partners ADD CONSTRAINT partners_kind_check CHECK (kind IN ({}))",
        quoted(codes)
    ))
    .await?;
    Ok(())
}

/// Rebuilds `partners` on SQLite with `codes` allowed instead of `from`.
async fn sqlite_rebuild(
    manager: &SchemaManager<'_>,
    from: &[&str],
    codes: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let partners = sqlite_schema(manager, "partners").await?;
    let Some(create_partners) = partners.first() else {
        return Err(DbErr::Migration("the table partners is missing".into()));
    };
    let (old_list, new_list) = (quoted(from), quoted(codes));
    if create_partners.matches(&old_list).count() != 1 {
        return Err(DbErr::Migration(format!(
            "the kind constraint of partners is not the expected one: {create_partners}"
        )));
    }
    let Some(rest) = create_partners
        .strip_prefix("CREATE TABLE \"partners\"")
        .or_else(|| create_partners.strip_prefix("CREATE TABLE partners"))
    else {
        return Err(DbErr::Migration(format!(
            "unexpected definition of partners: {create_partners}"
        )));
    };
    let mut children = Vec::with_capacity(CHILDREN.len());
    for child in CHILDREN {
        let schema = sqlite_schema(manager, child).await?;
        if schema.is_empty() {
            return Err(DbErr::Migration(format!("the table {child} is missing")));
        }
        db.execute_unprepared(&format!(
            "CREATE TABLE {child}_kept AS SELECT * FROM {child}"
        ))
        .await?;
        db.execute_unprepared(&format!("DROP TABLE {child}"))
            .await?;
        children.push((child, schema));
    }
    let create_new = format!(
        "CREATE TABLE \"partners_new\"{}",
        rest.replace(&old_list, &new_list)
    );
    for statement in [
        create_new.as_str(),
        "INSERT INTO partners_new SELECT * FROM partners",
        "DROP TABLE partners",
        "ALTER TABLE partners_new RENAME TO partners",
    ] {
        db.execute_unprepared(statement).await?;
    }
    for index in partners.iter().skip(1) {
        db.execute_unprepared(index).await?;
    }
    for (child, schema) in children {
        for statement in &schema {
            db.execute_unprepared(statement).await?;
        }
        db.execute_unprepared(&format!("INSERT INTO {child} SELECT * FROM {child}_kept"))
            .await?;
        db.execute_unprepared(&format!("DROP TABLE {child}_kept"))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm wraps only PostgreSQL's by default): a
    /// failure halfway through the rebuild must not leave the child tables set aside.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                sqlite_rebuild(manager, PARTNER_KINDS, PARTNER_KINDS_WITH_SCHEMES).await
            }
            _ => postgres_check(manager, PARTNER_KINDS_WITH_SCHEMES).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let new_kinds: Vec<&str> = PARTNER_KINDS_WITH_SCHEMES
            .iter()
            .copied()
            .filter(|kind| !PARTNER_KINDS.contains(kind))
            .collect();
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE partners SET kind = 'OTHER' WHERE kind IN ({})",
                quoted(&new_kinds)
            ))
            .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                sqlite_rebuild(manager, PARTNER_KINDS_WITH_SCHEMES, PARTNER_KINDS).await
            }
            _ => postgres_check(manager, PARTNER_KINDS).await,
        }
    }
}
