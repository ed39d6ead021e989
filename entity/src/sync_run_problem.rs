//! A problem found in a roster file: where (row, column as the administrator sees them),
//! a stable code and a French message.

use sea_orm::entity::prelude::*;

use crate::ProblemSeverity;

/// A problem row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_run_problems")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The sync run.
    pub sync_run_id: i32,
    /// Error (blocks) or warning.
    pub severity: ProblemSeverity,
    /// Spreadsheet row number as shown by the spreadsheet program (1-based).
    pub row_number: Option<i32>,
    /// Column header as written in the file.
    pub column_name: Option<String>,
    /// Stable English code, e.g. `INVALID_EMAIL`.
    pub code: String,
    /// French message for the administrator.
    pub message: String,
}

/// Relations of a problem.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The sync run.
    #[sea_orm(
        belongs_to = "super::sync_run::Entity",
        from = "Column::SyncRunId",
        to = "super::sync_run::Column::Id",
        on_delete = "Cascade"
    )]
    SyncRun,
}

impl Related<super::sync_run::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SyncRun.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
