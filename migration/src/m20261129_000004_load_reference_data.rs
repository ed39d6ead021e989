//! Loads the reference data into a new database: 7 territories, 36 communes (postal
//! codes, aliases), the 7 coordinators as the Département publishes them, the 98 public
//! collèges and the themes.
//!
//! A migration runs once per database, so restarts never load it twice and never
//! overwrite what roster imports and editors changed since. It writes with plain
//! statements, not today's entities, so later entity changes cannot break it.

use std::collections::HashMap;

use chrono::Utc;
use entity::normalize::{normalize_email, normalize_phone};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::reference;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows per INSERT, far under SQLite's bind-parameter limit.
const CHUNK: usize = 200;

fn custom(error: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(error.to_string())
}

/// Inserts `rows` into `table` in chunks.
async fn insert_all(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for row in chunk {
            insert.values(row.iter().cloned()).map_err(custom)?;
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}

/// `key column → id` for every row of `table`.
async fn ids_by(
    manager: &SchemaManager<'_>,
    table: &str,
    key: &str,
) -> Result<HashMap<String, i32>, DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .column(Alias::new("id"))
        .expr_as(Expr::cust(format!("CAST({key} AS TEXT)")), Alias::new("k"))
        .from(Alias::new(table))
        .to_owned();
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "k")?,
                row.try_get::<i32>("", "id")?,
            ))
        })
        .collect()
}

fn lookup(ids: &HashMap<String, i32>, key: &str, what: &str) -> Result<i32, DbErr> {
    ids.get(key)
        .copied()
        .ok_or_else(|| DbErr::Custom(format!("reference data: unknown {what} {key}")))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let now = Utc::now();
        let commune_territories = reference::commune_territories()?;
        let mut numbers: Vec<i32> = commune_territories.iter().map(|(_, t)| *t).collect();
        numbers.sort_unstable();
        numbers.dedup();
        insert_all(
            manager,
            "territories",
            &["number", "name"],
            numbers
                .iter()
                .map(|n| vec![(*n).into(), format!("Territoire {n}").into()])
                .collect(),
        )
        .await?;
        let territory_ids = ids_by(manager, "territories", "number").await?;

        let territory_of: HashMap<&str, i32> = commune_territories.into_iter().collect();
        let communes = reference::communes()?;
        let mut rows = Vec::new();
        for commune in &communes {
            let number = territory_of.get(commune.insee_code).ok_or_else(|| {
                custom(format!("no territory for commune {}", commune.insee_code))
            })?;
            rows.push(vec![
                commune.insee_code.into(),
                commune.name.into(),
                lookup(&territory_ids, &number.to_string(), "territory")?.into(),
                now.into(),
            ]);
        }
        insert_all(
            manager,
            "communes",
            &["insee_code", "name", "territory_id", "updated_at"],
            rows,
        )
        .await?;
        let commune_ids = ids_by(manager, "communes", "insee_code").await?;

        let mut postal_codes = Vec::new();
        for commune in &communes {
            let id = lookup(&commune_ids, commune.insee_code, "commune")?;
            for code in &commune.postal_codes {
                postal_codes.push(vec![id.into(), (*code).into()]);
            }
        }
        insert_all(
            manager,
            "commune_postal_codes",
            &["commune_id", "postal_code"],
            postal_codes,
        )
        .await?;

        let aliases = reference::commune_aliases()?
            .into_iter()
            .map(|(code, alias)| {
                Ok(vec![
                    lookup(&commune_ids, code, "commune")?.into(),
                    alias.into(),
                ])
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        insert_all(
            manager,
            "commune_aliases",
            &["commune_id", "alias"],
            aliases,
        )
        .await?;

        let coordinators = reference::coordinators()?;
        let mut rows = Vec::new();
        for c in &coordinators {
            rows.push(vec![
                c.first_name.into(),
                c.last_name.into(),
                c.title.into(),
                normalize_email(c.email).map_err(custom)?.into(),
                normalize_phone(c.phone).map_err(custom)?.into(),
                true.into(),
                now.into(),
                now.into(),
            ]);
        }
        insert_all(
            manager,
            "coordinators",
            &[
                "first_name",
                "last_name",
                "title",
                "email",
                "phone",
                "active",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        .await?;
        let coordinator_ids = ids_by(manager, "coordinators", "email").await?;
        let mut assignments = Vec::new();
        for c in &coordinators {
            let email = normalize_email(c.email).map_err(custom)?;
            assignments.push(vec![
                lookup(&coordinator_ids, &email, "coordinator")?.into(),
                lookup(&territory_ids, &c.territory.to_string(), "territory")?.into(),
                now.into(),
            ]);
        }
        insert_all(
            manager,
            "coordinator_assignments",
            &["coordinator_id", "territory_id", "started_at"],
            assignments,
        )
        .await?;

        let colleges = reference::colleges()?
            .iter()
            .map(|c| {
                Ok(vec![
                    c.uai.into(),
                    c.name.into(),
                    lookup(&commune_ids, c.commune_insee, "commune")?.into(),
                    now.into(),
                    now.into(),
                ])
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        insert_all(
            manager,
            "colleges",
            &["uai", "name", "commune_id", "created_at", "updated_at"],
            colleges,
        )
        .await?;

        let themes = reference::themes()?
            .into_iter()
            .zip(1..)
            .map(|((code, label), position): ((&str, &str), i32)| {
                vec![
                    code.into(),
                    label.into(),
                    position.into(),
                    now.into(),
                    now.into(),
                ]
            })
            .collect();
        insert_all(
            manager,
            "themes",
            &["code", "label", "position", "created_at", "updated_at"],
            themes,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "themes",
            "colleges",
            "coordinator_assignments",
            "coordinators",
            "commune_aliases",
            "commune_postal_codes",
            "communes",
            "territories",
        ] {
            manager
                .exec_stmt(Query::delete().from_table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
