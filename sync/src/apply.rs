//! Applying a plan, inside the caller's transaction: rows change, assignment history is
//! kept (closed rows get `ended_at`, new ones open), every change is audited and the data
//! version is bumped so every process's cache sees the new roster at once.
//!
//! What to write is computed once ([`Writes`]); two executors write it:
//! - [`apply_portable`] (SQLite, and any connection): sea-orm statements, one UPDATE per
//!   person, multi-row INSERTs;
//! - [`apply_postgres`]: a constant number of statements whatever the roster's size —
//!   UPDATEs of every person at once from arrays (`unnest`), new rows and audit entries
//!   streamed with binary `COPY` on the import's own transaction.
//!
//! Both leave exactly the same rows behind (the roster tests run on both databases).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::{DateTime, SubsecRound, Utc};
use entity::audit_log::{self, FieldChange, NewEntry, Person};
use entity::{AuditAction, Labelled, commune, coordinator, coordinator_assignment, data_version};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::sqlx::postgres::PgArguments;
use sea_orm::sqlx::{Arguments, Row};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, QueryFilter,
    QuerySelect,
};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::field::CoordinatorField;
use crate::pg::{PgSession, pg_micros};
use crate::plan::{ChangeKind, CommuneMove, Current, FieldDiff, PersonChange, Plan, Target};
use crate::reference::Reference;

/// The audit log's actor for roster imports (the person who started one, if any, is in
/// the author columns).
pub const AUDIT_ACTOR: &str = "roster-sync";
/// Rows per multi-row statement: far under both databases' bind-parameter limits
/// (12 columns × 500 < SQLite's 32,766).
const CHUNK: usize = 500;

/// Progress callback: `(done, total)`.
pub(crate) type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// What happens to a row besides its changed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Fields only.
    Update,
    /// Leaves the roster: `active` false, `deactivated_at` set.
    Deactivate,
    /// Back in the roster: `active` true, deactivation and erasure dates cleared.
    Reactivate,
}

/// One UPDATE of a coordinator row: the changed fields, `updated_at`, `version + 1`.
#[derive(Debug, Clone, Copy)]
struct RowUpdate<'a> {
    id: i32,
    fields: &'a [FieldDiff],
    mode: Mode,
}

/// One changed field of an audit entry, borrowed from the plan. Serialises exactly as
/// [`FieldChange`] does (`{"field":…,"before":…,"after":…}`), without building JSON
/// values first.
#[derive(Debug, Clone, Copy)]
enum Change<'a> {
    /// A coordinator's field, as planned.
    Field(&'a FieldDiff),
    /// `active`.
    Active { before: bool, after: bool },
    /// The territory numbers (`before` is null for a newcomer).
    Territories {
        before: Option<&'a [i32]>,
        after: &'a [i32],
    },
    /// A commune's territory number.
    Territory { before: i32, after: i32 },
}

impl Serialize for Change<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("FieldChange", 3)?;
        match *self {
            Change::Field(f) => {
                s.serialize_field("field", f.field.api_name())?;
                s.serialize_field("before", &f.before)?;
                s.serialize_field("after", &f.after)?;
            }
            Change::Active { before, after } => {
                s.serialize_field("field", "active")?;
                s.serialize_field("before", &before)?;
                s.serialize_field("after", &after)?;
            }
            Change::Territories { before, after } => {
                s.serialize_field("field", "territories")?;
                s.serialize_field("before", &before)?;
                s.serialize_field("after", after)?;
            }
            Change::Territory { before, after } => {
                s.serialize_field("field", "territory")?;
                s.serialize_field("before", &before)?;
                s.serialize_field("after", &after)?;
            }
        }
        s.end()
    }
}

impl Change<'_> {
    fn to_field_change(self) -> FieldChange {
        match self {
            Change::Field(f) => {
                FieldChange::new(f.field.api_name(), f.before.clone(), f.after.clone())
            }
            Change::Active { before, after } => FieldChange::new("active", before, after),
            Change::Territories { before, after } => FieldChange::new(
                "territories",
                before.map_or(serde_json::Value::Null, |b| b.to_vec().into()),
                after.to_vec(),
            ),
            Change::Territory { before, after } => FieldChange::new("territory", before, after),
        }
    }
}

/// An audit entry to record.
#[derive(Debug, Clone)]
struct Audit<'a> {
    entity: &'static str,
    entity_id: i32,
    action: AuditAction,
    changes: Vec<Change<'a>>,
}

impl Audit<'_> {
    fn coordinator(id: i32, action: AuditAction, changes: Vec<Change<'_>>) -> Audit<'_> {
        Audit {
            entity: "Coordinator",
            entity_id: id,
            action,
            changes,
        }
    }

    fn to_new_entry(&self) -> NewEntry {
        NewEntry {
            entity: self.entity,
            entity_id: self.entity_id,
            action: self.action,
            changes: self.changes.iter().map(|c| c.to_field_change()).collect(),
        }
    }

    /// The `changes` column: what `serde_json::to_string(&Vec<FieldChange>)` gives.
    fn write_changes(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if serde_json::to_writer(&mut *out, &self.changes).is_err() {
            // Unreachable (strings, booleans and numbers only), but never a half entry:
            // `out` is the whole COPY buffer, so only this entry's bytes are dropped.
            out.truncate(start);
            out.extend_from_slice(b"[]");
        }
    }
}

fn fields<'a>(fields: &'a [FieldDiff]) -> Vec<Change<'a>> {
    let mut changes = Vec::with_capacity(fields.len() + 2);
    changes.extend(fields.iter().map(Change::Field));
    changes
}

/// The audit entry of a newcomer, once their id is known.
fn created(change: &PersonChange, id: i32) -> Audit<'_> {
    let mut changes = fields(&change.fields);
    changes.push(Change::Territories {
        before: None,
        after: &change.territories_after,
    });
    Audit::coordinator(id, AuditAction::Create, changes)
}

/// The audit entry of a commune moved to another territory.
fn commune_moved(moved: &CommuneMove) -> Audit<'_> {
    Audit {
        entity: "Commune",
        entity_id: moved.commune_id,
        action: AuditAction::Update,
        changes: vec![Change::Territory {
            before: moved.from_territory,
            after: moved.to_territory,
        }],
    }
}

/// Everything applying a plan writes, in the order it is written.
struct Writes<'a> {
    /// People leaving, and inactive rows giving up an e-mail a newcomer takes: first, so
    /// the e-mails they free are available to the rows written next.
    leaving: Vec<RowUpdate<'a>>,
    /// Staying people whose e-mail another staying person takes: given a placeholder
    /// e-mail first, so the unique key never sees the same e-mail twice mid-way.
    placeholders: Vec<i32>,
    /// Staying people (moved, updated, reactivated).
    staying: Vec<RowUpdate<'a>>,
    /// Open assignments to close: (id, started_at).
    close: Vec<(i32, DateTime<Utc>)>,
    /// Assignments to open for staying people: (coordinator id, territory id).
    open: Vec<(i32, i32)>,
    /// Newcomers.
    added: Vec<&'a PersonChange>,
    /// Audit entries of the leaving and staying people, in order.
    audit: Vec<Audit<'a>>,
}

impl<'a> Writes<'a> {
    fn new(plan: &'a Plan, current: &Current, reference: &Reference) -> Result<Self, DbErr> {
        let stored = |change: &PersonChange| {
            change
                .apply
                .current
                .and_then(|i| current.coordinators.get(i))
        };
        let mut writes = Writes {
            leaving: Vec::new(),
            placeholders: Vec::new(),
            staying: Vec::new(),
            close: Vec::new(),
            open: Vec::new(),
            added: Vec::new(),
            audit: Vec::new(),
        };

        for change in plan.changes.iter().filter(|c| {
            c.kind == ChangeKind::Deactivated
                || (c.kind == ChangeKind::Updated && stored(c).is_some_and(|s| !s.model.active))
        }) {
            let Some(id) = change.coordinator_id else {
                continue;
            };
            writes.close.extend(change.apply.close.iter().copied());
            let deactivate = change.kind == ChangeKind::Deactivated;
            writes.leaving.push(RowUpdate {
                id,
                fields: &change.fields,
                mode: if deactivate {
                    Mode::Deactivate
                } else {
                    Mode::Update
                },
            });
            let mut changes = fields(&change.fields);
            if deactivate {
                changes.push(Change::Active {
                    before: true,
                    after: false,
                });
                changes.push(Change::Territories {
                    before: Some(&change.territories_before),
                    after: &[],
                });
            }
            let action = if deactivate {
                AuditAction::Deactivate
            } else {
                AuditAction::Update
            };
            writes.audit.push(Audit::coordinator(id, action, changes));
        }

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
            .filter_map(|c| {
                stored(c).and_then(|s| s.model.email.as_deref().map(|e| (e, s.model.id)))
            })
            .collect();
        for change in &staying {
            let Some(new_email) = change
                .fields
                .iter()
                .find(|f| f.field == CoordinatorField::Email)
                .and_then(|f| f.after.as_deref())
            else {
                continue;
            };
            if let Some(&holder) = holders.get(new_email)
                && Some(holder) != change.coordinator_id
            {
                writes.placeholders.push(holder);
            }
        }
        for change in staying {
            let Some(id) = change.coordinator_id else {
                continue;
            };
            let reactivate = change.kind == ChangeKind::Reactivated;
            writes.staying.push(RowUpdate {
                id,
                fields: &change.fields,
                mode: if reactivate {
                    Mode::Reactivate
                } else {
                    Mode::Update
                },
            });
            writes.close.extend(change.apply.close.iter().copied());
            for number in &change.apply.open {
                writes.open.push((id, territory_id(reference, *number)?));
            }
            let territories = Change::Territories {
                before: Some(&change.territories_before),
                after: &change.territories_after,
            };
            if reactivate {
                let mut changes = fields(&change.fields);
                changes.push(Change::Active {
                    before: false,
                    after: true,
                });
                changes.push(territories);
                writes
                    .audit
                    .push(Audit::coordinator(id, AuditAction::Reactivate, changes));
            } else {
                if !change.fields.is_empty() {
                    writes.audit.push(Audit::coordinator(
                        id,
                        AuditAction::Update,
                        fields(&change.fields),
                    ));
                }
                if change.territories_changed() {
                    writes
                        .audit
                        .push(Audit::coordinator(id, AuditAction::Move, vec![territories]));
                }
            }
        }

        writes.added = plan
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Added)
            .collect();
        Ok(writes)
    }
}

fn territory_id(reference: &Reference, number: i32) -> Result<i32, DbErr> {
    reference
        .territory_id(number)
        .ok_or_else(|| DbErr::Custom(format!("territory {number} vanished during the import")))
}

fn target(change: &PersonChange) -> Result<&Target, DbErr> {
    change
        .apply
        .target
        .as_ref()
        .ok_or_else(|| DbErr::Custom("a planned newcomer has no values".into()))
}

/// Applies `plan` in `txn` with statements every database understands.
/// `progress(done, total)` is called as people are written.
pub(crate) async fn apply_portable(
    txn: &impl ConnectionTrait,
    plan: &Plan,
    current: &Current,
    reference: &Reference,
    (now, person): (DateTime<Utc>, Option<&Person>),
    progress: ProgressFn<'_>,
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
    data_version::bump(txn).await?;
    progress(total, total);
    Ok(())
}

async fn move_commune(
    txn: &impl ConnectionTrait,
    reference: &Reference,
    moved: &CommuneMove,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    commune::Entity::update_many()
        .col_expr(
            commune::Column::TerritoryId,
            Expr::value(territory_id(reference, moved.to_territory)?),
        )
        .col_expr(commune::Column::UpdatedAt, Expr::value(now))
        .filter(commune::Column::Id.eq(moved.commune_id))
        .exec(txn)
        .await?;
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
fn new_coordinator(target: &Target, now: DateTime<Utc>) -> Result<coordinator::ActiveModel, DbErr> {
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
fn row_update(
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

// PostgreSQL ----------------------------------------------------------------------------

/// The bit of `field` in an UPDATE row's `set` column.
const fn set_bit(field: CoordinatorField) -> i32 {
    1 << field.index()
}

/// Every row of `x` updates its coordinator exactly as [`row_update`] does: the fields
/// whose bit ([`set_bit`]) is set in `x.set`, then the columns its mode changes
/// (0 update, 1 deactivate, 2 reactivate), `updated_at` and `version + 1`. Parameters:
/// `$1` ids, `$2` now, `$3` set bits, `$4` modes, then one text array per field.
static PG_UPDATE: LazyLock<String> = LazyLock::new(|| {
    let mut sql = String::from("UPDATE coordinators AS c SET\n");
    for field in CoordinatorField::ALL {
        let column = field.db_column().as_str();
        let _ = writeln!(
            sql,
            "  {column} = CASE WHEN x.set & {} <> 0 THEN x.{column} ELSE c.{column} END,",
            set_bit(field)
        );
    }
    sql.push_str(
        "  active = CASE x.mode WHEN 1 THEN FALSE WHEN 2 THEN TRUE ELSE c.active END,
  deactivated_at = CASE x.mode WHEN 1 THEN $2 WHEN 2 THEN NULL ELSE c.deactivated_at END,
  contact_erased_at = CASE x.mode WHEN 2 THEN NULL ELSE c.contact_erased_at END,
  updated_at = $2,
  version = c.version + 1
FROM unnest($1::int4[], $3::int4[], $4::int4[]",
    );
    for i in 0..CoordinatorField::COUNT {
        let _ = write!(sql, ", ${}::text[]", i + 5);
    }
    sql.push_str(") AS x(id, set, mode");
    for field in CoordinatorField::ALL {
        let _ = write!(sql, ", {}", field.db_column().as_str());
    }
    sql.push_str(")\nWHERE c.id = x.id");
    sql
});

/// The COPY of new coordinators: the id, every field, then `active`, `created_at`,
/// `updated_at` and `version`.
static PG_COPY_COORDINATORS: LazyLock<String> = LazyLock::new(|| {
    let mut sql = String::from("COPY coordinators (id");
    for field in CoordinatorField::ALL {
        let _ = write!(sql, ", {}", field.db_column().as_str());
    }
    sql.push_str(", active, created_at, updated_at, version) FROM STDIN (FORMAT binary)");
    sql
});

fn add<'q, T>(args: &mut PgArguments, value: T) -> Result<(), DbErr>
where
    T: sea_orm::sqlx::Encode<'q, sea_orm::sqlx::Postgres>
        + sea_orm::sqlx::Type<sea_orm::sqlx::Postgres>
        + 'q,
{
    args.add(value).map_err(crate::pg::bind_err)
}

/// Columns of a COPY row of [`PG_COPY_COORDINATORS`].
const COPY_COORDINATOR_COLUMNS: i16 = 5 + CoordinatorField::COUNT as i16;

/// Updates every row of `updates` in one statement.
async fn pg_update_rows(
    session: &PgSession,
    updates: &[RowUpdate<'_>],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if updates.is_empty() {
        return Ok(());
    }
    let n = updates.len();
    let mut ids = Vec::with_capacity(n);
    let mut sets = Vec::with_capacity(n);
    let mut modes = Vec::with_capacity(n);
    let mut columns: [Vec<Option<&str>>; CoordinatorField::COUNT] =
        std::array::from_fn(|_| Vec::with_capacity(n));
    for update in updates {
        ids.push(update.id);
        modes.push(match update.mode {
            Mode::Update => 0,
            Mode::Deactivate => 1,
            Mode::Reactivate => 2,
        });
        let mut set = 0;
        let mut values: [Option<&str>; CoordinatorField::COUNT] = [None; CoordinatorField::COUNT];
        for diff in update.fields {
            let after = diff.after.as_deref();
            set |= set_bit(diff.field);
            // Never empty in a plan; `row_update` writes "" for a missing name too.
            values[diff.field.index()] = if diff.field.required() {
                Some(after.unwrap_or(""))
            } else {
                after
            };
        }
        sets.push(set);
        for (column, value) in columns.iter_mut().zip(values) {
            column.push(value);
        }
    }
    let mut args = PgArguments::default();
    add(&mut args, ids)?;
    add(&mut args, now)?;
    add(&mut args, sets)?;
    add(&mut args, modes)?;
    for column in columns {
        add(&mut args, column)?;
    }
    session.execute_sqlx(PG_UPDATE.as_str(), args).await?;
    Ok(())
}

/// Applies `plan` on PostgreSQL, in `session`'s transaction: the same rows as
/// [`apply_portable`], in a handful of statements.
pub(crate) async fn apply_postgres(
    session: &PgSession,
    plan: &Plan,
    current: &Current,
    reference: &Reference,
    (now, person): (DateTime<Utc>, Option<&Person>),
    progress: ProgressFn<'_>,
) -> Result<(), DbErr> {
    // PostgreSQL keeps microseconds: every statement and COPY below sends this value.
    let now = now.trunc_subsecs(6);
    let stamp = pg_micros(now)?;
    let total = (plan.changes.len() + plan.commune_moves.len()) as u64;
    let Writes {
        leaving,
        placeholders,
        staying,
        close,
        mut open,
        added,
        mut audit,
    } = Writes::new(plan, current, reference)?;

    // 1. Leaving people.
    pg_update_rows(session, &leaving, now).await?;
    let mut done = leaving.len() as u64;
    progress(done, total);

    // 2. Staying people, after the placeholders.
    if !placeholders.is_empty() {
        let mut args = PgArguments::default();
        add(&mut args, placeholders)?;
        session
            .execute_sqlx(
                "UPDATE coordinators SET email = 'roster-sync-' || id || '@invalid.invalid' \
                 WHERE id = ANY($1)",
                args,
            )
            .await?;
    }
    pg_update_rows(session, &staying, now).await?;
    if !close.is_empty() {
        // `ended_at` as in `close_assignments`: now, or the start of a period that
        // starts later (clock skew).
        let mut args = PgArguments::default();
        add(
            &mut args,
            close.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        )?;
        add(&mut args, now)?;
        session
            .execute_sqlx(
                "UPDATE coordinator_assignments SET ended_at = \
                 CASE WHEN started_at <= $2 THEN $2 ELSE started_at END WHERE id = ANY($1)",
                args,
            )
            .await?;
    }
    done += staying.len() as u64;
    progress(done, total);

    // 3. Newcomers: ids drawn from the table's sequence first (what the column default
    //    would have drawn), then the rows streamed with COPY.
    if !added.is_empty() {
        let targets = added
            .iter()
            .map(|c| target(c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut args = PgArguments::default();
        add(&mut args, i32::try_from(targets.len()).unwrap_or(i32::MAX))?;
        let rows = session
            .fetch_sqlx(
                "SELECT nextval(s.seq)::int4 FROM (SELECT \
                 pg_get_serial_sequence('coordinators', 'id')::regclass AS seq OFFSET 0) s, \
                 generate_series(1, $1)",
                args,
            )
            .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<i32, _>(0))
            .collect::<Result<Vec<i32>, _>>()
            .map_err(crate::pg::query_err)?;
        if ids.len() != targets.len() {
            return Err(DbErr::Custom(
                "the coordinator sequence gave too few ids".into(),
            ));
        }
        let mut rows = ids.iter().zip(&targets);
        session
            .copy_in(PG_COPY_COORDINATORS.as_str(), |buffer| {
                for _ in 0..512 {
                    let Some((id, t)) = rows.next() else {
                        return false;
                    };
                    buffer.row(COPY_COORDINATOR_COLUMNS);
                    buffer.int4(*id);
                    for field in CoordinatorField::ALL {
                        let value = t.text(field);
                        if field.required() {
                            buffer.text(value.unwrap_or(""));
                        } else {
                            buffer.opt_text(value);
                        }
                    }
                    buffer.bool(true);
                    buffer.timestamptz(stamp);
                    buffer.timestamptz(stamp);
                    buffer.int4(1);
                }
                true
            })
            .await?;
        for (change, id) in added.iter().zip(&ids) {
            for number in &change.apply.open {
                open.push((*id, territory_id(reference, *number)?));
            }
            audit.push(created(change, *id));
        }
        done += added.len() as u64;
        progress(done, total);
    }
    if !open.is_empty() {
        let mut rows = open.iter();
        session
            .copy_in(
                "COPY coordinator_assignments (coordinator_id, territory_id, started_at) \
                 FROM STDIN (FORMAT binary)",
                |buffer| {
                    for _ in 0..2048 {
                        let Some((coordinator_id, territory_id)) = rows.next() else {
                            return false;
                        };
                        buffer.row(3);
                        buffer.int4(*coordinator_id);
                        buffer.int4(*territory_id);
                        buffer.timestamptz(stamp);
                    }
                    true
                },
            )
            .await?;
    }

    // 4. Communes listed under another territory.
    for moved in &plan.commune_moves {
        move_commune(session, reference, moved, now).await?;
        audit.push(commune_moved(moved));
    }

    pg_record_audit(session, &audit, now, person).await?;
    data_version::bump(session).await?;
    progress(total, total);
    Ok(())
}

/// The audit entries, streamed with COPY; the same rows as [`audit_log::record`].
async fn pg_record_audit(
    session: &PgSession,
    audit: &[Audit<'_>],
    now: DateTime<Utc>,
    person: Option<&Person>,
) -> Result<(), DbErr> {
    if audit.is_empty() {
        return Ok(());
    }
    let stamp = pg_micros(now)?;
    let mut entries = audit.iter();
    session
        .copy_in(
            "COPY audit_log (at, actor, author_subject, author_name, author_email, entity, \
             entity_id, action, changes) FROM STDIN (FORMAT binary)",
            |buffer| {
                for _ in 0..512 {
                    let Some(entry) = entries.next() else {
                        return false;
                    };
                    buffer.row(9);
                    buffer.timestamptz(stamp);
                    buffer.text(AUDIT_ACTOR);
                    buffer.opt_text(person.map(|p| p.subject.as_str()));
                    buffer.opt_text(person.and_then(|p| p.name.as_deref()));
                    buffer.opt_text(person.and_then(|p| p.email.as_deref()));
                    buffer.text(entry.entity);
                    buffer.int4(entry.entity_id);
                    buffer.text(entry.action.code());
                    buffer.text_with(|out| entry.write_changes(out));
                }
                true
            },
        )
        .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn diff(field: CoordinatorField, before: Option<&str>, after: Option<&str>) -> FieldDiff {
        FieldDiff::new(field, before, after)
    }

    /// Every field reaches both writers: the portable UPDATE and INSERT, and the
    /// PostgreSQL UPDATE from arrays and COPY.
    #[test]
    fn every_field_reaches_every_writer() {
        use sea_orm::{DbBackend, QueryTrait};
        let now = Utc::now();
        for field in CoordinatorField::ALL {
            let column = field.db_column().as_str();
            let diffs = [diff(field, None, Some("x"))];
            let update = RowUpdate {
                id: 1,
                fields: &diffs,
                mode: Mode::Update,
            };
            let sql = row_update(update, now).build(DbBackend::Sqlite).to_string();
            assert!(sql.contains(&format!("\"{column}\" = 'x'")), "{sql}");

            let mut target = Target::default();
            target.set(field, Some("x".into()));
            let model = new_coordinator(&target, now).unwrap();
            assert_eq!(
                model.get(field.db_column()).into_value(),
                Some(Some("x".to_owned()).into()),
                "{field:?}"
            );

            let bit = set_bit(field);
            assert!(
                PG_UPDATE.contains(&format!(
                    "{column} = CASE WHEN x.set & {bit} <> 0 THEN x.{column} ELSE c.{column} END"
                )),
                "{}",
                *PG_UPDATE
            );
            assert!(PG_COPY_COORDINATORS.contains(&format!(", {column}")));
        }
        let bits: Vec<i32> = CoordinatorField::ALL.map(set_bit).to_vec();
        let distinct: std::collections::BTreeSet<i32> = bits.iter().copied().collect();
        assert_eq!(distinct.len(), bits.len());
        let (_, aliases) = PG_UPDATE.split_once("AS x(").unwrap();
        let columns: Vec<&str> = CoordinatorField::ALL
            .iter()
            .map(|f| f.db_column().as_str())
            .collect();
        assert!(aliases.starts_with(&format!("id, set, mode, {})", columns.join(", "))));
        assert_eq!(
            PG_UPDATE.matches("::text[]").count(),
            CoordinatorField::COUNT
        );
    }

    #[test]
    fn audit_json_is_what_the_audit_log_writes() {
        let fields = [
            diff(CoordinatorField::Email, Some("a@x.fr"), None),
            diff(
                CoordinatorField::LastName,
                None,
                Some("D'Artagnan \"Le\" \\ Mousquetaire\u{1}é"),
            ),
            diff(
                CoordinatorField::Phone,
                Some("+33612345678"),
                Some("+33712345678"),
            ),
        ];
        let before = [1, 3];
        let entries = [
            Audit::coordinator(
                7,
                AuditAction::Deactivate,
                vec![
                    Change::Field(&fields[0]),
                    Change::Field(&fields[1]),
                    Change::Active {
                        before: true,
                        after: false,
                    },
                    Change::Territories {
                        before: Some(&before),
                        after: &[],
                    },
                ],
            ),
            Audit::coordinator(
                8,
                AuditAction::Create,
                vec![
                    Change::Field(&fields[2]),
                    Change::Territories {
                        before: None,
                        after: &[2, 7],
                    },
                ],
            ),
            Audit {
                entity: "Commune",
                entity_id: 3,
                action: AuditAction::Update,
                changes: vec![Change::Territory {
                    before: 1,
                    after: -2,
                }],
            },
            Audit::coordinator(9, AuditAction::Update, vec![]),
        ];
        for entry in &entries {
            let mut fast = Vec::new();
            entry.write_changes(&mut fast);
            let expected = serde_json::to_string(&entry.to_new_entry().changes).unwrap();
            assert_eq!(String::from_utf8(fast).unwrap(), expected);
        }
    }
}
