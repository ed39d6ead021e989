//! A roster file kept by its SHA-256, so that applying a plan uses the very file the dry
//! run read, and the history can offer each run's file for download.

use sea_orm::entity::prelude::*;

/// A kept roster file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roster_files")]
pub struct Model {
    /// SHA-256 of the content, hex (as on the sync runs that read it).
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    /// The name it was first submitted under (a run's own name is on the run).
    pub file_name: String,
    /// The content, at most `SYNC_MAX_FILE_SIZE` bytes.
    #[sea_orm(column_type = "Blob")]
    pub bytes: Vec<u8>,
    /// Its size in bytes.
    pub size: i64,
    /// When it was last submitted (the retention counts from there).
    pub uploaded_at: DateTimeUtc,
    /// Who last submitted it: a token's name, `schedule` or `cli`.
    pub uploaded_by: String,
}

/// A kept file has no relations (runs name it by its SHA-256).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
