//! One counter, incremented by every transaction that changes what the API serves.
//!
//! Every process compares it with the version of its in-memory directory before
//! answering, so no replica ever serves data older than the last committed write. Each
//! version is recorded with what it changed ([`data_change`]), for subscribers.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use crate::{DataChangeKind, Labelled, data_change};

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

/// Increments the data version and records `kind`, what the write changed (see
/// [`data_change`]). Call it inside the transaction that writes, so the new version and
/// its record become visible exactly when the write does.
pub async fn bump(db: &impl ConnectionTrait, kind: DataChangeKind) -> Result<(), DbErr> {
    let update = Query::update()
        .table(Entity)
        .value(Column::Version, Expr::col(Column::Version).add(1))
        .and_where(Column::Id.eq(1))
        .returning_col(Column::Version)
        .to_owned();
    let row = db
        .query_one(&update)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data_version row 1".to_owned()))?;
    let version: i64 = row.try_get("", Column::Version.as_str())?;
    data_change::Entity::insert(data_change::ActiveModel {
        version: Set(version),
        kind: Set(kind.code().to_owned()),
        at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    if version % data_change::PRUNE_EVERY == 0 {
        data_change::Entity::delete_many()
            .filter(data_change::Column::Version.lte(version - data_change::KEEP))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Reads the current data version.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = Entity::find_by_id(1).one(db).await?;
    row.map(|r| r.version)
        .ok_or_else(|| DbErr::RecordNotFound("data_version row 1".to_owned()))
}
