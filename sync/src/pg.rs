//! PostgreSQL: an import runs on one connection, in one transaction, from its first
//! query to its commit.
//!
//! Why one pooled connection held for the whole import: every extra connection costs a
//! backend start and a TLS handshake (tens of milliseconds each), and the pool opens new
//! ones when queries follow each other quickly (a used connection goes back to the pool
//! asynchronously). One connection also lets the import hold its lock as a
//! transaction-level advisory lock — released by the commit, the rollback or the loss of
//! the connection, never left behind — and stream rows with `COPY` inside the same
//! transaction as everything else, which sea-orm's transactions cannot do.
//!
//! [`PgSession`] implements sea-orm's [`ConnectionTrait`], so the entity queries the
//! import shares with SQLite run on it unchanged.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OptionEnum, Value};
use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::postgres::{PgArguments, PgRow};
use sea_orm::sqlx::{self, Arguments, AssertSqlSafe, Postgres, Transaction};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use tokio::sync::Mutex;

use crate::lock::{ADVISORY_KEY, ImportLock};

/// Bytes of `COPY` data sent per message: large enough to amortise the round trip,
/// small enough that PostgreSQL starts inserting while later rows are still encoded.
const COPY_CHUNK: usize = 256 * 1024;

/// Logs a statement's duration (its SQL only, never its values: they hold personal
/// data), at debug level: the import's statements bypass the pool's slow-statement
/// callback.
fn log_statement(sql: &str, started: Instant) {
    let sql: String = sql.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
    tracing::debug!(
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        sql,
        "roster import statement"
    );
}

/// The boxed futures of sea-orm's [`ConnectionTrait`].
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A failed statement, as sea-orm reports it.
pub(crate) fn exec_err(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(error)))
}

/// A value sqlx could not encode as a statement parameter.
pub(crate) fn bind_err(error: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("roster import: cannot bind a value: {error}"))
}

/// A failed query, as sea-orm reports it.
pub(crate) fn query_err(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
}

/// One pooled connection with a transaction open on it.
///
/// Dropped without [`PgSession::commit`] (an error, a cancelled future), the
/// transaction is rolled back before the connection is used again (sqlx's
/// [`Transaction`] does it, as for sea-orm's own transactions).
pub(crate) struct PgSession {
    conn: Mutex<Transaction<'static, Postgres>>,
}

impl PgSession {
    /// Takes a connection from `db`'s pool and begins a transaction on it.
    ///
    /// Read committed whatever the server's default: under repeatable read the snapshot
    /// would be taken by the lock statement itself, before the lock is granted, and an
    /// import committed in between would be invisible to the plan.
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let transaction = db
            .get_postgres_connection_pool()
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(|e| DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))))?;
        Ok(Self {
            conn: Mutex::new(transaction),
        })
    }

    /// With `lock`, takes the import lock for the rest of the transaction (`None` if
    /// another import holds it); without, only looks (a dry run: `None` if busy, else a
    /// guard that holds nothing more than the transaction). In the same round trip, a
    /// server that can compress large values with LZ4 (PostgreSQL 14+ built with it) is
    /// told to for this transaction: several times faster than its default for a plan of
    /// megabytes.
    pub async fn try_lock(&self, lock: bool) -> Result<Option<ImportLock>, DbErr> {
        let mut conn = self.conn.lock().await;
        let locked: bool = sqlx::query_scalar(
            "SELECT CASE WHEN $2 THEN pg_try_advisory_xact_lock($1) ELSE TRUE END, \
             CASE WHEN EXISTS (SELECT 1 FROM pg_settings WHERE name = \
             'default_toast_compression' AND 'lz4' = ANY (enumvals)) \
             THEN set_config('default_toast_compression', 'lz4', true) END",
        )
        .bind(ADVISORY_KEY)
        .bind(lock)
        .fetch_one(&mut **conn)
        .await
        .map_err(query_err)?;
        Ok(locked.then(ImportLock::in_transaction))
    }

    /// Commits the import's transaction, which also releases the advisory lock.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.conn.into_inner().commit().await.map_err(query_err)
    }

    /// Runs a statement built with sqlx directly (arrays, typed binds).
    pub async fn execute_sqlx(&self, sql: &'static str, args: PgArguments) -> Result<u64, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let done = sqlx::query_with(sql, args)
            .execute(&mut **conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(exec_err);
        log_statement(sql, started);
        done
    }

    /// Runs a query built with sqlx directly and returns its rows.
    pub async fn fetch_sqlx(
        &self,
        sql: &'static str,
        args: PgArguments,
    ) -> Result<Vec<PgRow>, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let rows = sqlx::query_with(sql, args)
            .fetch_all(&mut **conn)
            .await
            .map_err(query_err);
        log_statement(sql, started);
        rows
    }

    /// `COPY … FROM STDIN (FORMAT binary)`: `fill` is called with an empty buffer until
    /// it returns `false`; each buffer it fills is sent as it comes, so PostgreSQL
    /// inserts while the next rows are encoded. Returns the rows copied.
    pub async fn copy_in(
        &self,
        statement: &str,
        mut fill: impl FnMut(&mut CopyBuffer) -> bool + Send,
    ) -> Result<u64, DbErr> {
        let started = Instant::now();
        let mut conn = self.conn.lock().await;
        let mut copy = conn.copy_in_raw(statement).await.map_err(exec_err)?;
        let mut buffer = CopyBuffer::with_header();
        loop {
            let more = fill(&mut buffer);
            if !more {
                buffer.trailer();
            }
            if more && buffer.bytes.len() < COPY_CHUNK {
                continue;
            }
            let sent = copy.send(buffer.bytes.as_slice()).await;
            if let Err(error) = sent {
                // The server already failed the COPY (or the connection is gone): say so
                // rather than leave the protocol half-way.
                let _ = copy.abort("roster import: sending rows failed").await;
                return Err(exec_err(error));
            }
            buffer.bytes.clear();
            if !more {
                break;
            }
        }
        let copied = copy.finish().await.map_err(exec_err);
        log_statement(statement, started);
        copied
    }
}

/// Binds sea-query values as sqlx does for sea-orm (same encodings).
fn arguments(values: Option<sea_orm::sea_query::Values>) -> Result<PgArguments, DbErr> {
    let mut args = PgArguments::default();
    let Some(values) = values else {
        return Ok(args);
    };
    for value in values.0 {
        let added = match value {
            Value::Bool(v) => args.add(v),
            Value::TinyInt(v) => args.add(v),
            Value::SmallInt(v) => args.add(v),
            Value::Int(v) => args.add(v),
            Value::BigInt(v) => args.add(v),
            Value::TinyUnsigned(v) => args.add(v.map(i16::from)),
            Value::SmallUnsigned(v) => args.add(v.map(i32::from)),
            Value::Unsigned(v) => args.add(v.map(i64::from)),
            Value::BigUnsigned(v) => args.add(
                v.map(i64::try_from)
                    .transpose()
                    .map_err(|_| DbErr::Custom("roster import: integer out of range".into()))?,
            ),
            Value::Float(v) => args.add(v),
            Value::Double(v) => args.add(v),
            Value::String(v) => args.add(v),
            Value::Char(v) => args.add(v.map(String::from)),
            Value::Enum(v) => args.add(match v {
                OptionEnum::Some(e) => Some(e.value.into_owned()),
                OptionEnum::None(_) => None,
            }),
            Value::Bytes(v) => args.add(v),
            Value::Json(v) => args.add(v.map(|json| *json)),
            Value::ChronoDate(v) => args.add(v),
            Value::ChronoTime(v) => args.add(v),
            Value::ChronoDateTime(v) => args.add(v),
            Value::ChronoDateTimeUtc(v) => args.add(v),
            other => {
                return Err(DbErr::Custom(format!(
                    "roster import: unsupported parameter type {other:?}"
                )));
            }
        };
        added.map_err(bind_err)?;
    }
    Ok(args)
}

impl ConnectionTrait for PgSession {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    fn execute_raw<'a, 'b>(&'a self, stmt: Statement) -> BoxFuture<'b, Result<ExecResult, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            let args = arguments(stmt.values)?;
            let started = Instant::now();
            let mut conn = self.conn.lock().await;
            let result = sqlx::query_with(AssertSqlSafe(stmt.sql.as_str()), args)
                .execute(&mut **conn)
                .await
                .map(Into::into)
                .map_err(exec_err);
            log_statement(&stmt.sql, started);
            result
        })
    }

    fn execute_unprepared<'a, 'b, 'c>(
        &'a self,
        sql: &'b str,
    ) -> BoxFuture<'c, Result<ExecResult, DbErr>>
    where
        'a: 'c,
        'b: 'c,
        Self: 'c,
    {
        Box::pin(async move {
            let started = Instant::now();
            let mut conn = self.conn.lock().await;
            let result = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(&mut **conn)
                .await
                .map(Into::into)
                .map_err(exec_err);
            log_statement(sql, started);
            result
        })
    }

    fn query_one_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> BoxFuture<'b, Result<Option<QueryResult>, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            let args = arguments(stmt.values)?;
            let started = Instant::now();
            let mut conn = self.conn.lock().await;
            let result = sqlx::query_with(AssertSqlSafe(stmt.sql.as_str()), args)
                .fetch_optional(&mut **conn)
                .await
                .map(|row| row.map(Into::into))
                .map_err(query_err);
            log_statement(&stmt.sql, started);
            result
        })
    }

    fn query_all_raw<'a, 'b>(
        &'a self,
        stmt: Statement,
    ) -> BoxFuture<'b, Result<Vec<QueryResult>, DbErr>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(async move {
            let args = arguments(stmt.values)?;
            let started = Instant::now();
            let mut conn = self.conn.lock().await;
            let result = sqlx::query_with(AssertSqlSafe(stmt.sql.as_str()), args)
                .fetch_all(&mut **conn)
                .await
                .map(|rows| rows.into_iter().map(Into::into).collect())
                .map_err(query_err);
            log_statement(&stmt.sql, started);
            result
        })
    }
}

/// PostgreSQL's epoch for binary timestamps, 2000-01-01 00:00 UTC, in Unix microseconds.
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800 * 1_000_000;

/// A `timestamptz` in PostgreSQL's binary form, exactly as sqlx binds one: microseconds
/// since 2000-01-01 UTC, truncated.
pub(crate) fn pg_micros(value: DateTime<Utc>) -> Result<i64, DbErr> {
    value
        .timestamp_micros()
        .checked_sub(PG_EPOCH_UNIX_MICROS)
        .ok_or_else(|| DbErr::Custom("timestamp out of range".into()))
}

/// Rows in PostgreSQL's binary `COPY` format, encoded straight from Rust values (no
/// text escaping, no parsing on the server).
pub(crate) struct CopyBuffer {
    bytes: Vec<u8>,
}

impl CopyBuffer {
    fn with_header() -> Self {
        let mut bytes = Vec::with_capacity(COPY_CHUNK + 64 * 1024);
        bytes.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        bytes.extend_from_slice(&0i32.to_be_bytes()); // flags
        bytes.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        Self { bytes }
    }

    fn trailer(&mut self) {
        self.bytes.extend_from_slice(&(-1i16).to_be_bytes());
    }

    /// Starts a row of `fields` values.
    pub fn row(&mut self, fields: i16) {
        self.bytes.extend_from_slice(&fields.to_be_bytes());
    }

    fn len_prefix(&mut self, len: usize) {
        // Values here are far below 2 GiB (cells are capped, plans are not copied).
        let len = i32::try_from(len).unwrap_or(i32::MAX);
        self.bytes.extend_from_slice(&len.to_be_bytes());
    }

    /// A NULL.
    pub fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1i32).to_be_bytes());
    }

    /// An `integer`.
    pub fn int4(&mut self, value: i32) {
        self.len_prefix(4);
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    /// A `text` or `varchar`.
    pub fn text(&mut self, value: &str) {
        self.len_prefix(value.len());
        self.bytes.extend_from_slice(value.as_bytes());
    }

    /// A nullable `text` or `varchar`.
    pub fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// A `boolean`.
    pub fn bool(&mut self, value: bool) {
        self.len_prefix(1);
        self.bytes.push(u8::from(value));
    }

    /// A `timestamptz`, as [`pg_micros`] encodes it.
    pub fn timestamptz(&mut self, micros: i64) {
        self.len_prefix(8);
        self.bytes.extend_from_slice(&micros.to_be_bytes());
    }

    /// A `text` value written by `write` straight into the buffer (its length is filled
    /// in afterwards).
    pub fn text_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&0i32.to_be_bytes());
        write(&mut self.bytes);
        let written = self.bytes.len().saturating_sub(at + 4);
        let len = i32::try_from(written).unwrap_or(i32::MAX);
        self.bytes[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn binary_copy_encoding() {
        let mut buffer = CopyBuffer::with_header();
        let header_len = buffer.bytes.len();
        assert_eq!(header_len, 19);
        buffer.row(3);
        buffer.int4(7);
        buffer.opt_text(None);
        buffer.text_with(|out| out.extend_from_slice(b"[1]"));
        assert_eq!(
            &buffer.bytes[header_len..],
            &[
                0, 3, // fields
                0, 0, 0, 4, 0, 0, 0, 7, // int4 7
                255, 255, 255, 255, // NULL
                0, 0, 0, 3, b'[', b'1', b']', // text
            ]
        );
        buffer.bytes.truncate(header_len);
        buffer.timestamptz(pg_micros(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap()).unwrap());
        assert_eq!(
            &buffer.bytes[header_len..],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]
        );
    }
}
