//! One SQL text and its arguments, for either engine (run by `exec`, or in a
//! transaction by `tx`).
//!
//! SQL text is assembled only from constants and `$n` placeholders; every value
//! from a plugin or client is a bound argument, which is why `AssertSqlSafe` holds.

use std::fmt::Write as _;

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

/// A row type both engines can decode (what every fetch needs): sqlx's
/// `FromRow` for PostgreSQL and SQLite transactions, serde for SQLite reads.
pub trait AnyRow:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + DeserializeOwned + Send + Unpin
{
}
impl<R> AnyRow for R where
    R: for<'r> FromRow<'r, SqliteRow>
        + for<'r> FromRow<'r, PgRow>
        + DeserializeOwned
        + Send
        + Unpin
{
}

/// A bind argument of a type both engines encode the same way.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Int(i64),
    /// A naive-UTC timestamp: bound as SQLAlchemy's text form on SQLite and as
    /// `timestamp without time zone` on PostgreSQL, so either program reads it.
    Timestamp(NaiveDateTime),
    OptTimestamp(Option<NaiveDateTime>),
}

/// SQL text with `$n` placeholders and its arguments, built incrementally.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Query {
    pub fn new(sql: impl Into<String>) -> Self {
        Query {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Append SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Add an argument and return its placeholder.
    pub fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub fn text(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }

    pub fn boolean(&mut self, b: bool) -> String {
        self.arg(Arg::Bool(b))
    }

    pub fn int(&mut self, i: i64) -> String {
        self.arg(Arg::Int(i))
    }

    pub fn opt_text(&mut self, s: Option<String>) -> String {
        self.arg(Arg::OptText(s))
    }

    pub fn timestamp(&mut self, t: NaiveDateTime) -> String {
        self.arg(Arg::Timestamp(t))
    }

    pub fn opt_timestamp(&mut self, t: Option<NaiveDateTime>) -> String {
        self.arg(Arg::OptTimestamp(t))
    }

    /// A parenthesised placeholder list for `IN`, or `(NULL)` when empty
    /// (which matches nothing).
    pub fn text_list<S: AsRef<str>>(&mut self, items: &[S]) -> String {
        self.list(items.iter().map(|s| Arg::Text(s.as_ref().to_string())))
    }

    pub fn int_list(&mut self, items: &[i64]) -> String {
        self.list(items.iter().map(|i| Arg::Int(*i)))
    }

    fn list(&mut self, items: impl ExactSizeIterator<Item = Arg>) -> String {
        if items.len() == 0 {
            return "(NULL)".into();
        }
        let mut out = String::with_capacity(2 + 6 * items.len());
        out.push('(');
        for (k, arg) in items.enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            self.args.push(arg);
            let _ = write!(out, "${}", self.args.len());
        }
        out.push(')');
        out
    }
}

/// Bind every argument; `$ts` maps a timestamp to the engine's bound form.
macro_rules! bind_all {
    ($q:expr, $args:expr, $ts:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::OptText(s) => q.bind(s.clone()),
                Arg::Bool(b) => q.bind(*b),
                Arg::Int(i) => q.bind(*i),
                Arg::Timestamp(t) => q.bind($ts(t)),
                Arg::OptTimestamp(t) => q.bind(t.as_ref().map($ts)),
            };
        }
        q
    }};
}
pub(super) use bind_all; // also used by `tx`

pub(super) fn pg_ts(t: &NaiveDateTime) -> NaiveDateTime {
    *t
}

/// SQLAlchemy's text form of a naive-UTC timestamp, as SQLite stores it.
pub(super) fn sqlite_ts_arg(t: &NaiveDateTime) -> String {
    t.format(super::time::SQLITE_FORMAT).to_string()
}
