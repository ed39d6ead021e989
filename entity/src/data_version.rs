//! One counter, incremented by every transaction that changes what the API serves.
//!
//! Every process compares it with the version of its in-memory directory before
//! answering, so no replica ever serves data older than the last committed write.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};

/// The single row (id 1) holding the current data version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_version")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Incremented by each write.
    pub version: i64,
}

/// The data version has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Increments the data version. Call it inside the transaction that writes, so the new
/// version becomes visible exactly when the write does.
pub async fn bump(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}

/// Reads the current data version.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = Entity::find_by_id(1).one(db).await?;
    row.map(|r| r.version)
        .ok_or_else(|| DbErr::RecordNotFound("data_version row 1".to_owned()))
}
