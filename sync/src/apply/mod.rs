//! Applying a plan, inside the caller's transaction: rows change, assignment history is
//! kept (closed rows get `ended_at`, new ones open), every change is audited and the data
//! version is bumped so every process's cache sees the new roster at once.
//!
//! What to write is computed once ([`Writes`]); two writers behind one seam,
//! [`RosterWriter`], write it:
//! - [`portable`] (SQLite, and any connection): sea-orm statements, one UPDATE per
//!   person, multi-row INSERTs;
//! - [`postgres`]: a constant number of statements whatever the roster's size —
//!   UPDATEs of every person at once from arrays (`unnest`), new rows and audit entries
//!   streamed with binary `COPY` on the import's own transaction.
//!
//! Both leave exactly the same rows behind (the roster tests, `tests/tests/roster/bulk.rs`
//! above all, run on both databases).

mod portable;
mod postgres;

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use entity::audit_log::{AuditEntity, FieldChange, NewEntry, Person};
use entity::{AuditAction, commune};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::field::CoordinatorField;
use crate::pg::PgSession;
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
    entity: AuditEntity,
    entity_id: i32,
    action: AuditAction,
    changes: Vec<Change<'a>>,
}

impl Audit<'_> {
    fn coordinator(id: i32, action: AuditAction, changes: Vec<Change<'_>>) -> Audit<'_> {
        Audit {
            entity: AuditEntity::Coordinator,
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
        entity: AuditEntity::Commune,
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

/// What writing a plan needs besides the connection and the plan.
#[derive(Clone, Copy)]
pub(crate) struct ApplyContext<'a> {
    /// The stored roster the plan was made from.
    pub current: &'a Current,
    /// Territories and communes, to turn territory numbers into ids.
    pub reference: &'a Reference,
    /// Every timestamp written.
    pub now: DateTime<Utc>,
    /// Who started the import, for the audit entries' author columns.
    pub person: Option<&'a Person>,
    /// Called with `(done, total)` as people are written.
    pub progress: ProgressFn<'a>,
}

/// Writes a plan inside the caller's transaction: the seam between the two writers,
/// which leave exactly the same rows behind.
pub(crate) trait RosterWriter: ConnectionTrait + Sync {
    /// Writes every change of `plan`, its audit entries and the data version.
    fn write_plan<'a>(
        &'a self,
        plan: &'a Plan,
        context: ApplyContext<'a>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send + 'a;
}

/// SQLite (and any database through sea-orm): the portable statements.
impl RosterWriter for DatabaseTransaction {
    fn write_plan<'a>(
        &'a self,
        plan: &'a Plan,
        context: ApplyContext<'a>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send + 'a {
        portable::write(self, plan, context)
    }
}

/// PostgreSQL, on the import's own connection: arrays and `COPY`.
impl RosterWriter for PgSession {
    fn write_plan<'a>(
        &'a self,
        plan: &'a Plan,
        context: ApplyContext<'a>,
    ) -> impl Future<Output = Result<(), DbErr>> + Send + 'a {
        postgres::write(self, plan, context)
    }
}

/// Moves a commune to another territory.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::portable::{new_coordinator, row_update};
    use super::postgres::{PG_COPY_COORDINATORS, PG_UPDATE, set_bit};
    use super::*;
    use sea_orm::{ActiveModelTrait, IdenStatic};

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
                entity: AuditEntity::Commune,
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
