//! Roster files kept by their SHA-256. Every file an import reads (upload, console,
//! drop folder, command line) is kept once, so that:
//! - applying the plan of a console dry run uses the file the dry run read, named by its
//!   SHA-256, not a second upload that could differ;
//! - a refused night can be forced again from its history entry;
//! - the history offers each run's file for download.
//!
//! Files over `SYNC_MAX_FILE_SIZE` are rejected unread and never kept. Kept files hold
//! personal data: the nightly job deletes those not submitted again for
//! `SYNC_ARCHIVE_DAYS`, like the archive folder.

use chrono::{DateTime, Duration, Utc};
use entity::roster_file;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// Keeps `bytes` (whose SHA-256 is `sha`) submitted as `file_name` by `actor` at `now`.
/// A file kept already is not sent again: only its submission time and author move.
pub async fn keep_file(
    db: &impl ConnectionTrait,
    sha: &str,
    file_name: &str,
    bytes: &[u8],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if is_kept(db, sha).await? {
        roster_file::Entity::update_many()
            .col_expr(roster_file::Column::UploadedAt, Expr::value(now))
            .col_expr(roster_file::Column::UploadedBy, Expr::value(actor))
            .filter(roster_file::Column::Sha256.eq(sha))
            .exec(db)
            .await?;
        return Ok(());
    }
    let model = roster_file::ActiveModel {
        sha256: Set(sha.to_owned()),
        file_name: Set(file_name.to_owned()),
        bytes: Set(bytes.to_vec()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        uploaded_at: Set(now),
        uploaded_by: Set(actor.to_owned()),
    };
    // Two imports of the same new file at once: the second finds the first's row.
    roster_file::Entity::insert(model)
        .on_conflict(
            OnConflict::column(roster_file::Column::Sha256)
                .update_columns([
                    roster_file::Column::UploadedAt,
                    roster_file::Column::UploadedBy,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Whether the file with SHA-256 `sha` is kept (its content is not read).
pub async fn is_kept(db: &impl ConnectionTrait, sha: &str) -> Result<bool, DbErr> {
    let found = roster_file::Entity::find()
        .select_only()
        .column(roster_file::Column::Sha256)
        .filter(roster_file::Column::Sha256.eq(sha))
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// The kept file with SHA-256 `sha`, content included.
pub async fn kept_file(
    db: &impl ConnectionTrait,
    sha: &str,
) -> Result<Option<roster_file::Model>, DbErr> {
    roster_file::Entity::find_by_id(sha.to_owned())
        .one(db)
        .await
}

/// Deletes the files not submitted again for `days` days before `now`; returns how many.
pub async fn purge_kept_files(
    db: &impl ConnectionTrait,
    days: u32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let before = now - Duration::days(i64::from(days));
    let deleted = roster_file::Entity::delete_many()
        .filter(roster_file::Column::UploadedAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
