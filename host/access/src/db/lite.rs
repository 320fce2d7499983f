//! SQLite reads run in place on the calling thread (rusqlite), beside sqlx's
//! pool that keeps the writes. Plugin calls run on the sandbox's own threads
//! (`sandbox::runtime`), so a slow read never holds a thread that serves HTTP;
//! the read connections are bounded like sqlx's pool.
//!
//! sqlx runs each SQLite connection on a worker thread and hands every
//! statement and result across threads; a tool call runs about fifteen small
//! statements, so those hand-offs cost more than SQLite itself. A read on a
//! WAL database never waits for a writer, so it runs here, on the tokio thread,
//! on a connection from a small pool, with `query_only` set. Rows decode into
//! the same row types as sqlx's, through serde ([`RowDeserializer`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, StatementStatus};
use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, Visitor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::DbError;
use super::query::{Arg, Query, sqlite_ts_arg};

/// How long a read waits for a free connection before it fails as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The read connections: at most `max` open at once (`ACCESS_MCP_DB_MAX_CONNECTIONS`);
/// a read that finds none free waits, then fails as unavailable.
pub struct LitePool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    max: usize,
}

impl std::fmt::Debug for LitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePool")
            .field("path", &self.path)
            .field("max", &self.max)
            .finish()
    }
}

/// A connection taken from the pool, given back (if its transaction ended) on drop.
pub struct Pooled {
    conn: Option<Connection>,
    pool: Arc<LitePool>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    fn conn(&self) -> Result<&Connection, DbError> {
        self.conn
            .as_ref()
            .ok_or_else(|| DbError::Unavailable("the read connection is gone".into()))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && c.is_autocommit()
        {
            self.pool.put(c);
        }
    }
}

impl LitePool {
    pub fn new(path: &Path, max: usize) -> LitePool {
        let max = max.max(1);
        LitePool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        c.busy_timeout(Duration::from_secs(5))?;
        c.execute_batch(
            "PRAGMA query_only = ON; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;",
        )?;
        // Plans must not depend on bound values: otherwise SQLite compiles a
        // cached statement again whenever a `LIKE` pattern (a search's `q`)
        // changes, which costs more than running it.
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        c.set_prepared_statement_cache_capacity(128);
        Ok(c)
    }

    /// A connection, once one of the `max` is free.
    async fn take(self: &Arc<Self>) -> Result<Pooled, DbError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| {
                    DbError::Unavailable(format!(
                        "all {} SQLite read connections stayed busy for {} s",
                        self.max,
                        ACQUIRE_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(|_| DbError::Unavailable("the read pool is closed".into()))?,
        };
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => self.open().map_err(unavailable)?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: self.clone(),
            _permit: permit,
        })
    }

    fn put(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max {
            idle.push(conn);
        }
    }

    /// Run `f` on a pooled connection, one statement in its own transaction.
    pub async fn with<T>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let pooled = self.take().await?;
        f(pooled.conn()?)
    }
}

/// One tool call's reads: the connection is taken at the call's first read and
/// kept, in one read transaction, until the call ends, so every statement of
/// the call sees the same committed state (a page and its total, a group and
/// its members), and SQLite opens and closes one read transaction per call
/// rather than one per statement. A call that writes stops pinning at its
/// first write ([`CallReads::stop`]): what it reads afterwards includes what it
/// wrote.
pub struct CallReads {
    pool: Arc<LitePool>,
    state: Mutex<Pinned>,
}

enum Pinned {
    NotYet,
    Open(Pooled),
    Stopped,
}

impl std::fmt::Debug for CallReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallReads").finish_non_exhaustive()
    }
}

impl CallReads {
    pub fn new(pool: Arc<LitePool>) -> CallReads {
        CallReads {
            pool,
            state: Mutex::new(Pinned::NotYet),
        }
    }

    pub async fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let stopped = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match &*state {
                Pinned::Open(c) => return f(c.conn()?),
                Pinned::Stopped => true,
                Pinned::NotYet => false,
            }
        };
        if stopped {
            return self.pool.with(f).await;
        }
        let pooled = self.pool.take().await?;
        pooled.conn()?.execute_batch("BEGIN").map_err(unavailable)?;
        let pinned = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Pinned::NotYet = *state {
                *state = Pinned::Open(pooled);
                match &*state {
                    Pinned::Open(c) => Ok(c.conn().and_then(f)),
                    _ => Ok(Err(DbError::Unavailable(
                        "the read snapshot is gone".into(),
                    ))),
                }
            } else {
                // Another read of this call got there first (reads of one
                // call are sequential, so this does not happen; but be correct).
                let _ = pooled.conn()?.execute_batch("ROLLBACK");
                Err(f)
            }
        };
        match pinned {
            Ok(result) => result,
            Err(f) => self.pool.with(f).await,
        }
    }

    /// End the snapshot (if one is open); later reads run statement by
    /// statement. The connection goes back to the pool, or is closed if its
    /// read transaction would not end.
    pub fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Pinned::Open(pooled) = std::mem::replace(&mut *state, Pinned::Stopped)
            && let Ok(c) = pooled.conn()
        {
            let _ = c.execute_batch("ROLLBACK");
        }
    }
}

impl Drop for CallReads {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Run one query on `c` and decode its rows.
pub fn fetch_all_on<R: DeserializeOwned>(c: &Connection, q: &Query) -> Result<Vec<R>, DbError> {
    let started = traced().then(Instant::now);
    let mut st = c.prepare_cached(&q.sql).map_err(query_error)?;
    bind(&mut st, &q.args)?;
    let names: Vec<String> = st.column_names().iter().map(|s| s.to_string()).collect();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(query_error)? {
        let r = R::deserialize(RowDeserializer {
            row,
            names: &names,
            at: 0,
        })
        .map_err(|e| DbError::Query(format!("decoding a row: {e}")))?;
        out.push(r);
    }
    drop(rows);
    if let Some(t) = started {
        trace_statement(q, t, out.len(), st.get_status(StatementStatus::RePrepare));
    }
    Ok(out)
}

/// Run a query returning one integer column of one row on `c`.
pub fn fetch_count_on(c: &Connection, q: &Query) -> Result<i64, DbError> {
    let started = traced().then(Instant::now);
    let mut st = c.prepare_cached(&q.sql).map_err(query_error)?;
    bind(&mut st, &q.args)?;
    let mut rows = st.raw_query();
    let count = match rows.next().map_err(query_error)? {
        Some(row) => row.get::<_, i64>(0).map_err(query_error)?,
        None => return Err(DbError::Query("the count returned no row".into())),
    };
    drop(rows);
    if let Some(t) = started {
        trace_statement(q, t, 1, st.get_status(StatementStatus::RePrepare));
    }
    Ok(count)
}

/// Whether statement timings are logged (`RUST_LOG=access::db=trace`).
fn traced() -> bool {
    tracing::enabled!(tracing::Level::TRACE)
}

/// `reprepared`: how often SQLite compiled this cached statement again
/// (its `SQLITE_STMTSTATUS_REPREPARE`, over the statement's life).
fn trace_statement(q: &Query, started: Instant, rows: usize, reprepared: i32) {
    tracing::trace!(
        micros = started.elapsed().as_micros() as u64,
        rows,
        reprepared,
        sql = %q.sql,
        "sqlite statement"
    );
}

fn unavailable(e: rusqlite::Error) -> DbError {
    DbError::Unavailable(e.to_string())
}

fn query_error(e: rusqlite::Error) -> DbError {
    DbError::Query(e.to_string())
}

/// Bind each `$n` placeholder to `args[n - 1]`. SQLite numbers named
/// parameters by first use, not by their digits, so each placeholder's own
/// name says which argument it takes; one pass over the statement's
/// parameters, without building or looking up any name.
fn bind(st: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> Result<(), DbError> {
    for idx in 1..=st.parameter_count() {
        let arg = st
            .parameter_name(idx)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| args.get(i))
            .ok_or_else(|| {
                DbError::Query(format!(
                    "placeholder {:?} has no argument",
                    st.parameter_name(idx).unwrap_or("?")
                ))
            })?;
        let r = match arg {
            Arg::Text(s) => st.raw_bind_parameter(idx, s),
            Arg::OptText(s) => st.raw_bind_parameter(idx, s),
            Arg::Bool(b) => st.raw_bind_parameter(idx, b),
            Arg::Int(n) => st.raw_bind_parameter(idx, n),
            Arg::Timestamp(t) => st.raw_bind_parameter(idx, sqlite_ts_arg(t)),
            Arg::OptTimestamp(t) => st.raw_bind_parameter(idx, t.as_ref().map(sqlite_ts_arg)),
        };
        r.map_err(query_error)?;
    }
    Ok(())
}

#[derive(Debug)]
struct DecodeError(String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for DecodeError {}
impl de::Error for DecodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DecodeError(msg.to_string())
    }
}

/// One row as a map from column name to value, for a row struct's `Deserialize`.
struct RowDeserializer<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
    at: usize,
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for RowDeserializer<'_, '_> {
    type Error = DecodeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some(name) = self.names.get(self.at) else {
            return Ok(None);
        };
        seed.deserialize(name.as_str().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let value = self
            .row
            .get_ref(self.at)
            .map_err(|e| DecodeError(e.to_string()))?;
        let column = self.names.get(self.at).map(String::as_str).unwrap_or("?");
        self.at += 1;
        seed.deserialize(CellDeserializer { value, column })
    }
}

/// One cell, decoded by what the field asks for: SQLite keeps booleans as
/// integers and timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff]` text.
struct CellDeserializer<'a> {
    value: ValueRef<'a>,
    column: &'a str,
}

impl CellDeserializer<'_> {
    fn text(&self) -> Result<&str, DecodeError> {
        match self.value {
            ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| DecodeError(e.to_string())),
            _ => Err(self.unexpected("text")),
        }
    }

    fn unexpected(&self, wanted: &str) -> DecodeError {
        DecodeError(format!(
            "column {}: expected {wanted}, found {:?}",
            self.column,
            self.value.data_type()
        ))
    }
}

impl<'de> de::Deserializer<'de> for CellDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            ValueRef::Integer(i) => visitor.visit_i64(i),
            ValueRef::Real(f) => visitor.visit_f64(f),
            ValueRef::Text(_) => visitor.visit_string(self.text()?.to_string()),
            ValueRef::Blob(b) => visitor.visit_byte_buf(b.to_vec()),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Integer(i) => visitor.visit_bool(i != 0),
            ValueRef::Text(_) => match self.text()? {
                "1" | "true" | "TRUE" => visitor.visit_bool(true),
                "0" | "false" | "FALSE" => visitor.visit_bool(false),
                _ => Err(self.unexpected("a boolean")),
            },
            _ => Err(self.unexpected("a boolean")),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Integer(i) => visitor.visit_i64(i),
            ValueRef::Text(_) => {
                let t = self.text()?;
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| self.unexpected("an integer"))
                    .and_then(|i| visitor.visit_i64(i))
            }
            _ => Err(self.unexpected("an integer")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// Strings (`String` asks for `string`).
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.value {
            ValueRef::Integer(i) => visitor.visit_string(i.to_string()),
            ValueRef::Real(f) => visitor.visit_string(f.to_string()),
            _ => visitor.visit_string(self.text()?.to_string()),
        }
    }

    /// Borrowed text. Timestamps come this way: row structs read them with
    /// `db::time::stored`, which takes SQLAlchemy's space as well as ISO's `T`.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_str(self.text()?)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::time::stored;
    use chrono::NaiveDateTime;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        id: String,
        n: i64,
        flag: bool,
        maybe: Option<bool>,
        #[serde(deserialize_with = "stored::required")]
        at: NaiveDateTime,
        #[serde(default, deserialize_with = "stored::optional")]
        ended: Option<NaiveDateTime>,
        note: Option<String>,
    }

    #[tokio::test]
    async fn rows_decode_into_row_structs_by_column_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "CREATE TABLE t (id TEXT, n BIGINT, flag BOOLEAN, maybe BOOLEAN, at DATETIME, ended DATETIME, note TEXT);
             INSERT INTO t VALUES ('a', 7, 1, NULL, '2024-05-01 10:20:30.123456', NULL, '2024-05-01 10:20:30 not a date');
             INSERT INTO t VALUES ('b', 8, 0, 0, '2024-05-02T00:00:00', '2024-06-01 00:00:00', NULL);",
        )
        .expect("seed");
        let pool = Arc::new(LitePool::new(&path, 4));
        let mut q = Query::new(
            "SELECT note, ended, at, maybe, flag, n, id FROM t WHERE n >= $2 AND id <> $1 ORDER BY id",
        );
        q.text("zzz");
        q.int(7);
        let rows: Vec<Sample> = pool.with(|c| fetch_all_on(c, &q)).await.expect("fetch");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, "a");
        assert!(rows[0].flag);
        assert_eq!(rows[0].maybe, None);
        assert_eq!(rows[0].at.to_string(), "2024-05-01 10:20:30.123456");
        assert_eq!(
            rows[0].note.as_deref(),
            Some("2024-05-01 10:20:30 not a date")
        );
        assert_eq!(rows[1].maybe, Some(false));
        assert_eq!(
            rows[1].ended.map(|e| e.to_string()).as_deref(),
            Some("2024-06-01 00:00:00")
        );
        let count = pool
            .with(|c| fetch_count_on(c, &Query::new("SELECT COUNT(*) FROM t")))
            .await
            .expect("count");
        assert_eq!(count, 2);
        // Reads only: the connection refuses to write.
        assert!(
            pool.with(|c| fetch_all_on::<Sample>(c, &Query::new("DELETE FROM t RETURNING *")))
                .await
                .is_err()
        );
    }

    #[derive(Deserialize)]
    struct Named {
        name: String,
    }

    #[tokio::test]
    async fn a_search_statement_is_compiled_once_whatever_it_searches_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        Connection::open(&path)
            .expect("open")
            .execute_batch(
                "CREATE TABLE t (name TEXT); CREATE INDEX t_name ON t (name);
                 INSERT INTO t VALUES ('alpha'), ('beta'), ('alphabet');",
            )
            .expect("seed");
        let pool = Arc::new(LitePool::new(&path, 4));
        let search = async |pattern: &str| {
            let mut q =
                Query::new("SELECT name FROM t WHERE name LIKE $1 ESCAPE '\\' ORDER BY name");
            q.text(pattern);
            pool.with(|c| {
                let rows: Vec<Named> = fetch_all_on(c, &q)?;
                let names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
                let st = c.prepare_cached(&q.sql).map_err(query_error)?;
                Ok((names, st.get_status(StatementStatus::RePrepare)))
            })
            .await
            .expect("search")
        };
        assert_eq!(
            search("alpha%").await,
            (vec!["alpha".into(), "alphabet".into()], 0)
        );
        assert_eq!(search("b%").await, (vec!["beta".into()], 0));
        assert_eq!(
            search("%a%").await,
            (vec!["alpha".into(), "alphabet".into(), "beta".into()], 0)
        );
    }

    #[tokio::test]
    async fn a_call_reads_one_snapshot_until_it_ends_or_stops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (n BIGINT); INSERT INTO t VALUES (1);",
            )
            .expect("seed");
        let pool = Arc::new(LitePool::new(&path, 4));
        let count = Query::new("SELECT COUNT(*) FROM t");
        let rows = async |reads: &CallReads| {
            reads
                .with(|c| fetch_count_on(c, &count))
                .await
                .expect("count")
        };
        let insert = || {
            writer
                .execute("INSERT INTO t VALUES (2)", [])
                .expect("insert")
        };

        // Pinned: a commit made after the call's first read is not seen by it.
        let call = CallReads::new(pool.clone());
        assert_eq!(rows(&call).await, 1);
        insert();
        assert_eq!(rows(&call).await, 1);
        // A new call sees it, while the first still holds its snapshot.
        let next = CallReads::new(pool.clone());
        assert_eq!(rows(&next).await, 2);
        drop(next);
        // Stopped (the call writes): every later read is fresh.
        call.stop();
        assert_eq!(rows(&call).await, 2);
        insert();
        assert_eq!(rows(&call).await, 3);
        drop(call);
        // Connections went back to the pool with no transaction open.
        let idle = pool.idle.lock().expect("idle");
        assert!(!idle.is_empty());
        assert!(idle.iter().all(Connection::is_autocommit));
    }
}
