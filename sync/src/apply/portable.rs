//! The portable writer (SQLite, and any connection): sea-orm statements, one UPDATE per
//! person, multi-row INSERTs whose ids are read back by e-mail (unique).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{DataChangeKind, audit_log, coordinator, coordinator_assignment, data_version};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::{
    AUDIT_ACTOR, ApplyContext, Audit, CHUNK, Mode, RowUpdate, Writes, commune_moved, created,
    move_commune, target, territory_id,
};
use crate::field::CoordinatorField;
use crate::plan::Plan;
use crate::plan::Target;

/// Writes the plan in `txn` with statements every database understands;
/// `progress(done, total)` is called as people are written.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    ApplyContext {
        current,
        reference,
        now,
        person,
        progress,
    }: ApplyContext<'_>,
) -> Result<(), DbErr> {
    let total = (plan.changes.len() + plan.commune_moves.len()) as u64;
    let mut done = 0u64;
    let Writes {
        leaving,
        placeholders,
        staying,
        close,
        mut open,
        added,
        mut audit,
    } = Writes::new(plan, current, reference)?;

    // 1. Leaving people; plain deactivations (no field changes) batched.
    let mut plain_deactivations = Vec::new();
    for update in &leaving {
        if update.mode == Mode::Deactivate && update.fields.is_empty() {
            plain_deactivations.push(update.id);
        } else {
            row_update(*update, now).exec(txn).await?;
        }
    }
    for chunk in plain_deactivations.chunks(CHUNK) {
        coordinator::Entity::update_many()
            .col_expr(coordinator::Column::Active, Expr::value(false))
            .col_expr(coordinator::Column::DeactivatedAt, Expr::value(now))
            .col_expr(coordinator::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                coordinator::Column::Version,
                Expr::col(coordinator::Column::Version).add(1),
            )
            .filter(coordinator::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    done += leaving.len() as u64;
    progress(done, total);

    // 2. Staying people, after the placeholders.
    for holder in placeholders {
        coordinator::Entity::update_many()
            .col_expr(
                coordinator::Column::Email,
                Expr::value(format!("roster-sync-{holder}@invalid.invalid")),
            )
            .filter(coordinator::Column::Id.eq(holder))
            .exec(txn)
            .await?;
    }
    for update in &staying {
        row_update(*update, now).exec(txn).await?;
        done += 1;
        if done.is_multiple_of(100) {
            progress(done, total);
        }
    }
    close_assignments(txn, &close, now).await?;

    // 3. Newcomers, in multi-row inserts; their ids are read back by e-mail (unique).
    for chunk in added.chunks(CHUNK) {
        let targets = chunk
            .iter()
            .map(|c| target(c))
            .collect::<Result<Vec<_>, _>>()?;
        let ids = insert_coordinators(txn, &targets, now).await?;
        for (change, target) in chunk.iter().zip(&targets) {
            let Some(&id) = target
                .text(CoordinatorField::Email)
                .and_then(|e| ids.get(e))
            else {
                return Err(DbErr::Custom(
                    "an inserted coordinator cannot be found again".into(),
                ));
            };
            for number in &change.apply.open {
                open.push((id, territory_id(reference, *number)?));
            }
            audit.push(created(change, id));
        }
        done += chunk.len() as u64;
        progress(done, total);
    }
    for chunk in open.chunks(CHUNK) {
        let models = chunk.iter().map(|(coordinator_id, territory_id)| {
            coordinator_assignment::ActiveModel {
                id: NotSet,
                coordinator_id: Set(*coordinator_id),
                territory_id: Set(*territory_id),
                started_at: Set(now),
                ended_at: Set(None),
            }
        });
        coordinator_assignment::Entity::insert_many(models)
            .exec_without_returning(txn)
            .await?;
    }

    // 4. Communes listed under another territory.
    for moved in &plan.commune_moves {
        move_commune(txn, reference, moved, now).await?;
        audit.push(commune_moved(moved));
    }

    let entries = audit.iter().map(Audit::to_new_entry).collect();
    audit_log::record(txn, AUDIT_ACTOR, person, now, entries).await?;
    data_version::bump(txn, DataChangeKind::Roster).await?;
    progress(total, total);
    Ok(())
}

/// Inserts coordinators with multi-row INSERTs; returns their ids by e-mail (unique).
async fn insert_coordinators(
    txn: &impl ConnectionTrait,
    targets: &[&Target],
    now: DateTime<Utc>,
) -> Result<HashMap<String, i32>, DbErr> {
    let models = targets
        .iter()
        .map(|t| new_coordinator(t, now))
        .collect::<Result<Vec<_>, DbErr>>()?;
    coordinator::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await?;
    let emails: Vec<String> = targets
        .iter()
        .filter_map(|t| t.get(CoordinatorField::Email).clone())
        .collect();
    Ok(coordinator::Entity::find()
        .select_only()
        .column(coordinator::Column::Email)
        .column(coordinator::Column::Id)
        .filter(coordinator::Column::Email.is_in(emails))
        .into_tuple::<(Option<String>, i32)>()
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|(email, id)| email.map(|e| (e, id)))
        .collect())
}

/// A newcomer's row: every field of `target`, active, version 1.
pub(super) fn new_coordinator(
    target: &Target,
    now: DateTime<Utc>,
) -> Result<coordinator::ActiveModel, DbErr> {
    let mut model = coordinator::ActiveModel {
        id: NotSet,
        active: Set(true),
        deactivated_at: Set(None),
        contact_erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    for field in CoordinatorField::ALL {
        model.try_set(
            field.db_column(),
            field_value(field, target.get(field).clone()),
        )?;
    }
    Ok(model)
}

/// The value written in `field`'s column: a NOT NULL column gets "" for nothing (never
/// the case in a plan: names are required).
fn field_value(field: CoordinatorField, value: Option<String>) -> sea_orm::Value {
    if field.required() {
        value.unwrap_or_default().into()
    } else {
        value.into()
    }
}

/// An UPDATE of one coordinator: the changed fields, `updated_at`, the version, and the
/// columns its mode changes.
pub(super) fn row_update(
    update: RowUpdate<'_>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<coordinator::Entity> {
    let mut query = coordinator::Entity::update_many()
        .col_expr(coordinator::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            coordinator::Column::Version,
            Expr::col(coordinator::Column::Version).add(1),
        )
        .filter(coordinator::Column::Id.eq(update.id));
    for field in update.fields {
        query = query.col_expr(
            field.field.db_column(),
            Expr::value(field_value(field.field, field.after.clone())),
        );
    }
    match update.mode {
        Mode::Update => query,
        Mode::Deactivate => query
            .col_expr(coordinator::Column::Active, Expr::value(false))
            .col_expr(coordinator::Column::DeactivatedAt, Expr::value(now)),
        Mode::Reactivate => query
            .col_expr(coordinator::Column::Active, Expr::value(true))
            .col_expr(
                coordinator::Column::DeactivatedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                coordinator::Column::ContactErasedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
    }
}

/// Ends assignment periods. An assignment started "in the future" (clock skew between
/// machines) ends when it started, never before (a CHECK constraint).
async fn close_assignments(
    txn: &impl ConnectionTrait,
    assignments: &[(i32, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let now_ids: Vec<i32> = assignments
        .iter()
        .filter(|(_, started)| *started <= now)
        .map(|(id, _)| *id)
        .collect();
    let later = assignments.iter().filter(|(_, started)| *started > now);
    for chunk in now_ids.chunks(CHUNK) {
        coordinator_assignment::Entity::update_many()
            .col_expr(coordinator_assignment::Column::EndedAt, Expr::value(now))
            .filter(coordinator_assignment::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    for (id, started) in later {
        coordinator_assignment::Entity::update_many()
            .col_expr(
                coordinator_assignment::Column::EndedAt,
                Expr::value(*started),
            )
            .filter(coordinator_assignment::Column::Id.eq(*id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
