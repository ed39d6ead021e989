//! Applying a plan, inside the caller's transaction: rows change, assignment history is
//! kept (closed rows get `ended_at`, new ones open), every change is audited and the data
//! version is bumped so every process's cache sees the new roster at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::Labelled;
use entity::audit_log::{self, FieldChange, NewEntry};
use entity::{AuditAction, commune, coordinator, coordinator_assignment, data_version};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use serde_json::{Value, json};

use crate::plan::{ChangeKind, Current, FieldDiff, PersonChange, Plan};
use crate::reference::Reference;

/// The audit log's actor for roster imports.
pub const AUDIT_ACTOR: &str = "roster-sync";
/// Rows per multi-row statement: far under both databases' bind-parameter limits
/// (12 columns × 500 < SQLite's 32,766).
const CHUNK: usize = 500;
/// Rows per JSON-parameter statement on PostgreSQL.
const PG_CHUNK: usize = 5000;

/// Applies `plan` in `txn`. `progress(done, total)` is called as people are written.
pub(crate) async fn apply(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    current: &Current,
    reference: &Reference,
    now: DateTime<Utc>,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), DbErr> {
    let total = (plan.changes.len() + plan.commune_moves.len()) as u64;
    let mut done = 0u64;
    let mut audit = Vec::new();
    let territory_id = |number: i32| {
        reference
            .territory_id(number)
            .ok_or_else(|| DbErr::Custom(format!("territory {number} vanished during the import")))
    };
    let stored = |change: &PersonChange| {
        change
            .apply
            .current
            .and_then(|i| current.coordinators.get(i))
    };

    // 1. People leaving (and inactive rows giving up an e-mail a newcomer takes) go first,
    //    so the e-mails they free are available to the rows written next.
    let leaving: Vec<&PersonChange> = plan
        .changes
        .iter()
        .filter(|c| {
            c.kind == ChangeKind::Deactivated
                || (c.kind == ChangeKind::Updated && stored(c).is_some_and(|s| !s.model.active))
        })
        .collect();
    let mut plain_deactivations = Vec::new();
    let mut to_close = Vec::new();
    for change in &leaving {
        let Some(id) = change.coordinator_id else {
            continue;
        };
        to_close.extend(change.apply.close.iter().copied());
        let deactivate = change.kind == ChangeKind::Deactivated;
        if deactivate && change.fields.is_empty() {
            plain_deactivations.push(id);
        } else {
            let mut update = row_update(id, now, &change.fields);
            if deactivate {
                update = update
                    .col_expr(coordinator::Column::Active, Expr::value(false))
                    .col_expr(coordinator::Column::DeactivatedAt, Expr::value(now));
            }
            update.exec(txn).await?;
        }
        let mut changes = field_changes(&change.fields);
        if deactivate {
            changes.push(FieldChange::new("active", true, false));
            changes.push(FieldChange::new(
                "territories",
                change.territories_before.clone(),
                Vec::<i32>::new(),
            ));
        }
        audit.push(NewEntry {
            entity: "Coordinator",
            entity_id: id,
            action: if deactivate {
                AuditAction::Deactivate
            } else {
                AuditAction::Update
            },
            changes,
        });
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

    // 2. Staying people. An e-mail moving from one staying person to another would
    //    collide with the unique key mid-way: its current holder first gets a placeholder.
    let staying: Vec<&PersonChange> = plan
        .changes
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                ChangeKind::Moved | ChangeKind::Updated | ChangeKind::Reactivated
            ) && stored(c).is_some_and(|s| s.model.active || c.kind == ChangeKind::Reactivated)
        })
        .collect();
    let holders: HashMap<&str, i32> = staying
        .iter()
        .filter_map(|c| stored(c).and_then(|s| s.model.email.as_deref().map(|e| (e, s.model.id))))
        .collect();
    for change in &staying {
        let Some(new_email) = change
            .fields
            .iter()
            .find(|f| f.field == "email")
            .and_then(|f| f.after.as_deref())
        else {
            continue;
        };
        if let Some(&holder) = holders.get(new_email)
            && Some(holder) != change.coordinator_id
        {
            coordinator::Entity::update_many()
                .col_expr(
                    coordinator::Column::Email,
                    Expr::value(format!("roster-sync-{holder}@invalid.invalid")),
                )
                .filter(coordinator::Column::Id.eq(holder))
                .exec(txn)
                .await?;
        }
    }
    let mut to_open: Vec<(i32, i32)> = Vec::new();
    for change in &staying {
        let Some(id) = change.coordinator_id else {
            continue;
        };
        let mut update = row_update(id, now, &change.fields);
        if change.kind == ChangeKind::Reactivated {
            update = update
                .col_expr(coordinator::Column::Active, Expr::value(true))
                .col_expr(
                    coordinator::Column::DeactivatedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    coordinator::Column::ContactErasedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                );
        }
        update.exec(txn).await?;
        to_close.extend(change.apply.close.iter().copied());
        for number in &change.apply.open {
            to_open.push((id, territory_id(*number)?));
        }
        match change.kind {
            ChangeKind::Reactivated => {
                let mut changes = field_changes(&change.fields);
                changes.push(FieldChange::new("active", false, true));
                changes.push(FieldChange::new(
                    "territories",
                    change.territories_before.clone(),
                    change.territories_after.clone(),
                ));
                audit.push(NewEntry {
                    entity: "Coordinator",
                    entity_id: id,
                    action: AuditAction::Reactivate,
                    changes,
                });
            }
            _ => {
                if !change.fields.is_empty() {
                    audit.push(NewEntry {
                        entity: "Coordinator",
                        entity_id: id,
                        action: AuditAction::Update,
                        changes: field_changes(&change.fields),
                    });
                }
                if change.territories_changed() {
                    audit.push(NewEntry {
                        entity: "Coordinator",
                        entity_id: id,
                        action: AuditAction::Move,
                        changes: vec![FieldChange::new(
                            "territories",
                            change.territories_before.clone(),
                            change.territories_after.clone(),
                        )],
                    });
                }
            }
        }
        done += 1;
        if done.is_multiple_of(100) {
            progress(done, total);
        }
    }
    close_assignments(txn, &to_close, now).await?;

    // 3. Newcomers, in multi-row inserts; their ids are read back by e-mail (unique).
    let added: Vec<&PersonChange> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .collect();
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    let chunk_size = if postgres { PG_CHUNK } else { CHUNK };
    for chunk in added.chunks(chunk_size) {
        let targets: Vec<&crate::plan::Target> = chunk
            .iter()
            .filter_map(|c| c.apply.target.as_ref())
            .collect();
        if targets.is_empty() {
            continue;
        }
        let ids = if postgres {
            pg_insert_coordinators(txn, &targets, now).await?
        } else {
            insert_coordinators(txn, &targets, now).await?
        };
        for change in chunk {
            let email = change
                .apply
                .target
                .as_ref()
                .and_then(|t| t.email.as_deref());
            let Some(&id) = email.and_then(|e| ids.get(e)) else {
                return Err(DbErr::Custom(
                    "an inserted coordinator cannot be found again".into(),
                ));
            };
            for number in &change.apply.open {
                to_open.push((id, territory_id(*number)?));
            }
            let mut changes = field_changes(&change.fields);
            changes.push(FieldChange::new(
                "territories",
                Value::Null,
                change.territories_after.clone(),
            ));
            audit.push(NewEntry {
                entity: "Coordinator",
                entity_id: id,
                action: AuditAction::Create,
                changes,
            });
        }
        done += chunk.len() as u64;
        progress(done, total);
    }
    if postgres {
        for chunk in to_open.chunks(PG_CHUNK) {
            let rows: Vec<Value> = chunk
                .iter()
                .map(|(c, t)| json!({"coordinator_id": c, "territory_id": t}))
                .collect();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO coordinator_assignments (coordinator_id, territory_id, started_at) \
                 SELECT coordinator_id, territory_id, $2 FROM json_to_recordset($1::json) \
                 AS x(coordinator_id integer, territory_id integer)",
                [Value::Array(rows).to_string().into(), now.into()],
            ))
            .await?;
        }
        to_open.clear();
    }
    for chunk in to_open.chunks(CHUNK) {
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
        commune::Entity::update_many()
            .col_expr(
                commune::Column::TerritoryId,
                Expr::value(territory_id(moved.to_territory)?),
            )
            .col_expr(commune::Column::UpdatedAt, Expr::value(now))
            .filter(commune::Column::Id.eq(moved.commune_id))
            .exec(txn)
            .await?;
        audit.push(NewEntry {
            entity: "Commune",
            entity_id: moved.commune_id,
            action: AuditAction::Update,
            changes: vec![FieldChange::new(
                "territory",
                moved.from_territory,
                moved.to_territory,
            )],
        });
    }

    if postgres {
        pg_record_audit(txn, now, audit).await?;
    } else {
        audit_log::record(txn, AUDIT_ACTOR, now, audit).await?;
    }
    data_version::bump(txn).await?;
    progress(total, total);
    Ok(())
}

/// Inserts coordinators with multi-row INSERTs; returns their ids by e-mail (unique).
async fn insert_coordinators(
    txn: &impl ConnectionTrait,
    targets: &[&crate::plan::Target],
    now: DateTime<Utc>,
) -> Result<HashMap<String, i32>, DbErr> {
    let models: Vec<coordinator::ActiveModel> = targets
        .iter()
        .map(|t| coordinator::ActiveModel {
            id: NotSet,
            employee_id: Set(t.employee_id.clone()),
            first_name: Set(t.first_name.clone()),
            last_name: Set(t.last_name.clone()),
            title: Set(t.title.clone()),
            email: Set(t.email.clone()),
            phone: Set(t.phone.clone()),
            active: Set(true),
            deactivated_at: Set(None),
            contact_erased_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .collect();
    coordinator::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await?;
    let emails: Vec<String> = targets.iter().filter_map(|t| t.email.clone()).collect();
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

/// PostgreSQL: one statement per few thousand people, the rows sent as one JSON
/// parameter (`json_to_recordset`) — a multi-row VALUES with thousands of bind
/// parameters costs PostgreSQL far more to parse and plan.
async fn pg_insert_coordinators(
    txn: &impl ConnectionTrait,
    targets: &[&crate::plan::Target],
    now: DateTime<Utc>,
) -> Result<HashMap<String, i32>, DbErr> {
    let rows: Vec<Value> = targets
        .iter()
        .map(|t| {
            json!({
                "employee_id": t.employee_id,
                "first_name": t.first_name,
                "last_name": t.last_name,
                "title": t.title,
                "email": t.email,
                "phone": t.phone,
            })
        })
        .collect();
    let returned = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO coordinators (employee_id, first_name, last_name, title, email, phone, \
             active, created_at, updated_at, version) \
             SELECT employee_id, first_name, last_name, title, email, phone, TRUE, $2, $2, 1 \
             FROM json_to_recordset($1::json) AS x(employee_id text, first_name text, \
             last_name text, title text, email text, phone text) \
             RETURNING id, email",
            [Value::Array(rows).to_string().into(), now.into()],
        ))
        .await?;
    let mut ids = HashMap::with_capacity(returned.len());
    for row in returned {
        let id: i32 = row.try_get("", "id")?;
        let email: Option<String> = row.try_get("", "email")?;
        if let Some(email) = email {
            ids.insert(email, id);
        }
    }
    Ok(ids)
}

/// PostgreSQL: the audit entries in a few statements (see [`pg_insert_coordinators`]).
async fn pg_record_audit(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    entries: Vec<NewEntry>,
) -> Result<(), DbErr> {
    for chunk in entries.chunks(PG_CHUNK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|e| {
                json!({
                    "entity": e.entity,
                    "entity_id": e.entity_id,
                    "action": e.action.code(),
                    "changes": serde_json::to_string(&e.changes).unwrap_or_else(|_| "[]".to_owned()),
                })
            })
            .collect();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, changes) \
             SELECT $2, $3, entity, entity_id, action, changes FROM json_to_recordset($1::json) \
             AS x(entity text, entity_id integer, action text, changes text)",
            [
                Value::Array(rows).to_string().into(),
                now.into(),
                AUDIT_ACTOR.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// An UPDATE of one coordinator: the changed fields, `updated_at` and the version.
fn row_update(
    id: i32,
    now: DateTime<Utc>,
    fields: &[FieldDiff],
) -> sea_orm::UpdateMany<coordinator::Entity> {
    let mut update = coordinator::Entity::update_many()
        .col_expr(coordinator::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            coordinator::Column::Version,
            Expr::col(coordinator::Column::Version).add(1),
        )
        .filter(coordinator::Column::Id.eq(id));
    for field in fields {
        let value = field.after.clone();
        update = match field.field.as_str() {
            "employeeId" => update.col_expr(coordinator::Column::EmployeeId, Expr::value(value)),
            "firstName" => update.col_expr(
                coordinator::Column::FirstName,
                Expr::value(value.unwrap_or_default()),
            ),
            "lastName" => update.col_expr(
                coordinator::Column::LastName,
                Expr::value(value.unwrap_or_default()),
            ),
            "title" => update.col_expr(coordinator::Column::Title, Expr::value(value)),
            "email" => update.col_expr(coordinator::Column::Email, Expr::value(value)),
            "phone" => update.col_expr(coordinator::Column::Phone, Expr::value(value)),
            _ => update,
        };
    }
    update
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

fn field_changes(fields: &[FieldDiff]) -> Vec<FieldChange> {
    fields
        .iter()
        .map(|f| FieldChange::new(f.field.clone(), f.before.clone(), f.after.clone()))
        .collect()
}
