//! Names residents use that the first reference data lacked: the old full names of
//! Clichy ("Clichy-la-Garenne") and the name of a district people give for Meudon
//! ("Meudon-la-Forêt"). Inserted only for communes that exist and only once, so a
//! database whose editors already added them is left as it is.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(insee_code, alias)` pairs.
const ALIASES: [(&str, &str); 2] = [("92024", "Clichy-la-Garenne"), ("92048", "Meudon-la-Forêt")];

fn communes_with_code(code: &str) -> SelectStatement {
    Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("communes"))
        .and_where(Expr::col(Alias::new("insee_code")).eq(code))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (code, alias) in ALIASES {
            let already = Query::select()
                .column(Alias::new("commune_id"))
                .from(Alias::new("commune_aliases"))
                .and_where(Expr::col(Alias::new("alias")).eq(alias))
                .to_owned();
            let select = communes_with_code(code)
                .expr(Expr::val(alias))
                .and_where(Expr::col(Alias::new("id")).not_in_subquery(already))
                .to_owned();
            let insert = Query::insert()
                .into_table(Alias::new("commune_aliases"))
                .columns([Alias::new("commune_id"), Alias::new("alias")])
                .select_from(select)
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (code, alias) in ALIASES {
            let delete = Query::delete()
                .from_table(Alias::new("commune_aliases"))
                .and_where(Expr::col(Alias::new("alias")).eq(alias))
                .and_where(
                    Expr::col(Alias::new("commune_id")).in_subquery(communes_with_code(code)),
                )
                .to_owned();
            manager.exec_stmt(delete).await?;
        }
        Ok(())
    }
}
