//! One SQL text, bound and run on either engine.
//!
//! SQL text is assembled only from constants and `$n` placeholders; every value
//! from a plugin or client is a bound argument, which is why `AssertSqlSafe` holds.

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::{Db, DbError, Pool};

/// A bind argument of a type both engines encode the same way.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Bool(bool),
    Int(i64),
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

    /// A parenthesised placeholder list for `IN`, or `(NULL)` when empty
    /// (which matches nothing).
    pub fn text_list<S: AsRef<str>>(&mut self, items: &[S]) -> String {
        if items.is_empty() {
            return "(NULL)".into();
        }
        let parts: Vec<String> = items.iter().map(|s| self.text(s.as_ref())).collect();
        format!("({})", parts.join(", "))
    }

    pub fn int_list(&mut self, items: &[i64]) -> String {
        if items.is_empty() {
            return "(NULL)".into();
        }
        let parts: Vec<String> = items.iter().map(|i| self.int(*i)).collect();
        format!("({})", parts.join(", "))
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Bool(b) => q.bind(*b),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

impl Db {
    pub async fn fetch_all<R>(&self, q: &Query) -> Result<Vec<R>, DbError>
    where
        R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        self.count_query();
        let rows = match &self.pool {
            Pool::Sqlite(p) => {
                bind_all!(
                    sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(q.sql.as_str())),
                    &q.args
                )
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                bind_all!(
                    sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(q.sql.as_str())),
                    &q.args
                )
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows)
    }

    pub async fn fetch_optional<R>(&self, q: &Query) -> Result<Option<R>, DbError>
    where
        R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    /// Run a query returning one BIGINT column of one row.
    pub async fn fetch_count(&self, q: &Query) -> Result<i64, DbError> {
        self.count_query();
        let n: i64 = match &self.pool {
            Pool::Sqlite(p) => {
                bind_all!(
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q.sql.as_str())),
                    &q.args
                )
                .fetch_one(p)
                .await?
            }
            Pool::Postgres(p) => {
                bind_all!(
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q.sql.as_str())),
                    &q.args
                )
                .fetch_one(p)
                .await?
            }
        };
        Ok(n)
    }

    /// Run a statement; returns rows affected.
    pub async fn execute(&self, q: &Query) -> Result<u64, DbError> {
        self.count_query();
        let n = match &self.pool {
            Pool::Sqlite(p) => bind_all!(sqlx::query(sqlx::AssertSqlSafe(q.sql.as_str())), &q.args)
                .execute(p)
                .await?
                .rows_affected(),
            Pool::Postgres(p) => {
                bind_all!(sqlx::query(sqlx::AssertSqlSafe(q.sql.as_str())), &q.args)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
        };
        Ok(n)
    }
}
