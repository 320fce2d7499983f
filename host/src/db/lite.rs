//! SQLite reads run in place on the calling thread (rusqlite), beside sqlx's
//! pool that keeps the writes.
//!
//! sqlx runs each SQLite connection on a worker thread and hands every
//! statement and result across threads; a tool call runs about fifteen small
//! statements, so those hand-offs cost more than SQLite itself. A read on a
//! WAL database never waits for a writer, so it runs here, on the tokio thread,
//! on a connection from a small pool, with `query_only` set. Rows decode into
//! the same row types as sqlx's, through serde ([`RowDeserializer`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, StatementStatus};
use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, Visitor};

use super::DbError;
use super::query::{Arg, Query, sqlite_ts_arg};

/// Connections kept for reuse (more may exist while busy; extras are closed).
const KEEP: usize = 8;

pub struct LitePool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for LitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePool")
            .field("path", &self.path)
            .finish()
    }
}

impl LitePool {
    pub fn new(path: &Path) -> LitePool {
        LitePool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
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
        c.set_prepared_statement_cache_capacity(128);
        Ok(c)
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        let conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => self.open().map_err(unavailable)?,
        };
        let out = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
        out
    }

    pub fn fetch_all<R: DeserializeOwned>(&self, q: &Query) -> Result<Vec<R>, DbError> {
        let started = traced().then(Instant::now);
        let out = self.with(|c| {
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
            Ok((out, st.get_status(StatementStatus::RePrepare)))
        });
        let (rows, reprepared) = out?;
        if let Some(t) = started {
            trace_statement(q, t, rows.len(), reprepared);
        }
        Ok(rows)
    }

    pub fn fetch_count(&self, q: &Query) -> Result<i64, DbError> {
        let started = traced().then(Instant::now);
        let out = self.with(|c| {
            let mut st = c.prepare_cached(&q.sql).map_err(query_error)?;
            bind(&mut st, &q.args)?;
            let mut rows = st.raw_query();
            let count = match rows.next().map_err(query_error)? {
                Some(row) => row.get::<_, i64>(0).map_err(query_error)?,
                None => return Err(DbError::Query("the count returned no row".into())),
            };
            drop(rows);
            Ok((count, st.get_status(StatementStatus::RePrepare)))
        });
        let (count, reprepared) = out?;
        if let Some(t) = started {
            trace_statement(q, t, 1, reprepared);
        }
        Ok(count)
    }
}

/// Whether statement timings are logged (`RUST_LOG=access_mcp::db=trace`).
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

/// Bind `$n` placeholders (SQLite numbers named parameters by first use, so
/// each is looked up by name).
fn bind(st: &mut rusqlite::CachedStatement<'_>, args: &[Arg]) -> Result<(), DbError> {
    for (i, a) in args.iter().enumerate() {
        let name = format!("${}", i + 1);
        let Some(idx) = st.parameter_index(&name).map_err(query_error)? else {
            continue; // not used by the text (e.g. an optional clause left out)
        };
        let r = match a {
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

    /// chrono's `NaiveDateTime` asks for `str` and parses ISO 8601 with a `T`;
    /// SQLAlchemy stores a space there.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let t = self.text()?;
        if t.len() >= 19 && t.as_bytes()[10] == b' ' {
            let mut iso = t.to_string();
            iso.replace_range(10..11, "T");
            return visitor.visit_string(iso);
        }
        visitor.visit_str(t)
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
    use chrono::NaiveDateTime;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Sample {
        id: String,
        n: i64,
        flag: bool,
        maybe: Option<bool>,
        at: NaiveDateTime,
        ended: Option<NaiveDateTime>,
        note: Option<String>,
    }

    #[test]
    fn rows_decode_into_row_structs_by_column_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let c = Connection::open(&path).expect("open");
        c.execute_batch(
            "CREATE TABLE t (id TEXT, n BIGINT, flag BOOLEAN, maybe BOOLEAN, at DATETIME, ended DATETIME, note TEXT);
             INSERT INTO t VALUES ('a', 7, 1, NULL, '2024-05-01 10:20:30.123456', NULL, '2024-05-01 10:20:30 not a date');
             INSERT INTO t VALUES ('b', 8, 0, 0, '2024-05-02T00:00:00', '2024-06-01 00:00:00', NULL);",
        )
        .expect("seed");
        let pool = LitePool::new(&path);
        let mut q = Query::new(
            "SELECT note, ended, at, maybe, flag, n, id FROM t WHERE n >= $2 AND id <> $1 ORDER BY id",
        );
        q.text("zzz");
        q.int(7);
        let rows: Vec<Sample> = pool.fetch_all(&q).expect("fetch");
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
            .fetch_count(&Query::new("SELECT COUNT(*) FROM t"))
            .expect("count");
        assert_eq!(count, 2);
        // Reads only: the connection refuses to write.
        assert!(
            pool.fetch_all::<Sample>(&Query::new("DELETE FROM t RETURNING *"))
                .is_err()
        );
    }
}
