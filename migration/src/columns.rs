//! Column and constraint helpers shared by the migrations, so every table spells
//! timestamps, versions, enums and foreign keys the same way on both databases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `created_at`, `updated_at` and `version`, carried by every editable table.
pub fn audit_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")))
        .col(
            integer(Alias::new("version"))
                .default(1)
                .check(Expr::col(Alias::new("version")).gte(1)),
        )
}

/// A text column restricted to `codes` by a CHECK constraint.
pub fn enum_column(name: impl IntoIden, codes: &[&str]) -> ColumnDef {
    let name = name.into_iden();
    let check = Expr::col(name.clone()).is_in(codes.iter().copied());
    string_len(name, 40).check(check).to_owned()
}

/// Like [`enum_column`], nullable.
pub fn enum_column_null(name: impl IntoIden, codes: &[&str]) -> ColumnDef {
    let name = name.into_iden();
    let check = Expr::col(name.clone())
        .is_null()
        .or(Expr::col(name.clone()).is_in(codes.iter().copied()));
    string_len_null(name, 40).check(check).to_owned()
}

/// A foreign key named after its table and column.
pub fn foreign_key(
    table: impl IntoIden,
    column: impl IntoIden,
    target: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let (table, column) = (table.into_iden(), column.into_iden());
    let name = format!("fk_{table}_{column}");
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(target, Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// A (non-unique) index named after its table and columns.
pub fn index(table: impl IntoIden, columns: &[&str]) -> IndexCreateStatement {
    let table = table.into_iden();
    let name = format!("ix_{table}_{}", columns.join("_"));
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

/// A two-column join table with a composite primary key, a foreign key on each side
/// and an index for the reverse lookup.
pub async fn create_join_table(
    manager: &SchemaManager<'_>,
    table: &str,
    owner: (&str, &str),
    target: (&str, Option<&str>),
    target_column: ColumnDef,
) -> Result<(), DbErr> {
    let (owner_column, owner_table) = owner;
    let (target_name, target_table) = target;
    let mut create = Table::create();
    create
        .table(Alias::new(table))
        .col(integer(Alias::new(owner_column)))
        .col(target_column)
        .primary_key(
            Index::create()
                .col(Alias::new(owner_column))
                .col(Alias::new(target_name)),
        )
        .foreign_key(&mut foreign_key(
            Alias::new(table),
            Alias::new(owner_column),
            Alias::new(owner_table),
            ForeignKeyAction::Cascade,
        ));
    if let Some(target_table) = target_table {
        create.foreign_key(&mut foreign_key(
            Alias::new(table),
            Alias::new(target_name),
            Alias::new(target_table),
            ForeignKeyAction::Restrict,
        ));
    }
    manager.create_table(create).await?;
    manager
        .create_index(index(Alias::new(table), &[target_name]))
        .await
}
