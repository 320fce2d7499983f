//! Running a [`Query`] on the database: reads go to the SQLite read path
//! (`lite`) where there is one, else to sqlx on either engine; statements
//! always to sqlx. Apart from `query`, which only builds the SQL text and its
//! arguments, so `lite` can use those without an arrow back here.

use super::lite;
use super::query::{AnyRow, Arg, Query, bind_all, pg_ts, sqlite_ts_arg};
use super::trace::{System, traced};
use super::{Db, DbError, Pool};

macro_rules! on_engine {
    ($pool:expr, |$p:ident, $ts:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => {
                let $ts = sqlite_ts_arg;
                $body
            }
            Pool::Postgres($p) => {
                let $ts = pg_ts;
                $body
            }
        }
    };
}

impl Db {
    pub async fn fetch_all<R>(&self, q: &Query) -> Result<Vec<R>, DbError>
    where
        R: AnyRow,
    {
        self.count_query();
        traced(self.system(), &q.sql, async {
            if let Some(lite) = &self.lite {
                return self.read_on(lite, |c| lite::fetch_all_on(c, q)).await;
            }
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            let rows = on_engine!(&self.pool, |p, ts| {
                bind_all!(sqlx::query_as::<_, R>(sql), &q.args, ts)
                    .fetch_all(p)
                    .await?
            });
            Ok(rows)
        })
        .await
    }

    pub async fn fetch_optional<R>(&self, q: &Query) -> Result<Option<R>, DbError>
    where
        R: AnyRow,
    {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    /// Run a query returning one BIGINT column of one row.
    pub async fn fetch_count(&self, q: &Query) -> Result<i64, DbError> {
        self.count_query();
        traced(self.system(), &q.sql, async {
            if let Some(lite) = &self.lite {
                return self.read_on(lite, |c| lite::fetch_count_on(c, q)).await;
            }
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            let n: i64 = on_engine!(&self.pool, |p, ts| {
                bind_all!(sqlx::query_scalar::<_, i64>(sql), &q.args, ts)
                    .fetch_one(p)
                    .await?
            });
            Ok(n)
        })
        .await
    }

    /// Run a statement; returns rows affected.
    pub async fn execute(&self, q: &Query) -> Result<u64, DbError> {
        self.count_query();
        self.stop_pinning_reads();
        traced(self.system(), &q.sql, async {
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            let n = on_engine!(&self.pool, |p, ts| {
                bind_all!(sqlx::query(sql), &q.args, ts)
                    .execute(p)
                    .await?
                    .rows_affected()
            });
            Ok(n)
        })
        .await
    }

    /// `db.system.name` of this database.
    pub(super) fn system(&self) -> System {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgresql",
        }
    }
}
