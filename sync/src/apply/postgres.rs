//! The PostgreSQL writer: a constant number of statements whatever the roster's size —
//! UPDATEs of every person at once from arrays (`unnest`), new rows and audit entries
//! streamed with binary `COPY` on the import's own transaction.

use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::{DateTime, SubsecRound, Utc};
use entity::audit_log::Person;
use entity::{DataChangeKind, Labelled, data_version};
use sea_orm::sqlx::postgres::PgArguments;
use sea_orm::sqlx::{Arguments, Row};
use sea_orm::{DbErr, IdenStatic};

use super::{
    AUDIT_ACTOR, ApplyContext, Audit, Mode, RowUpdate, Writes, commune_moved, created,
    move_commune, target, territory_id,
};
use crate::field::CoordinatorField;
use crate::pg::{PgSession, pg_micros};
use crate::plan::Plan;

/// The bit of `field` in an UPDATE row's `set` column.
/// The bit of `field` in an UPDATE row's `set` column.
pub(super) const fn set_bit(field: CoordinatorField) -> i32 {
    1 << field.index()
}

/// Every row of `x` updates its coordinator exactly as the portable writer's `row_update` does: the fields
/// whose bit ([`set_bit`]) is set in `x.set`, then the columns its mode changes
/// (0 update, 1 deactivate, 2 reactivate), `updated_at` and `version + 1`. Parameters:
/// `$1` ids, `$2` now, `$3` set bits, `$4` modes, then one text array per field.
pub(super) static PG_UPDATE: LazyLock<String> = LazyLock::new(|| {
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
pub(super) static PG_COPY_COORDINATORS: LazyLock<String> = LazyLock::new(|| {
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

/// Writes the plan on PostgreSQL, in `session`'s transaction: the same rows as the
/// portable writer, in a handful of statements.
pub(super) async fn write(
    session: &PgSession,
    plan: &Plan,
    ApplyContext {
        current,
        reference,
        now,
        person,
        progress,
    }: ApplyContext<'_>,
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
    data_version::bump(session, DataChangeKind::Roster).await?;
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
                    buffer.text(entry.entity.code());
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
