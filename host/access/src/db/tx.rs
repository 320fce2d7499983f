//! One write transaction on either engine, with the same query API as [`Db`].

use sqlx::{Postgres, Sqlite, Transaction};

use super::query::{AnyRow, Arg, Query, bind_all, pg_ts, sqlite_ts_arg};
use super::trace::{System, traced};
use super::{Db, DbError, Pool};

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! on_tx {
    ($tx:expr, |$c:ident, $ts:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $c = &mut **t;
                let $ts = sqlite_ts_arg;
                $body
            }
            Tx::Postgres(t) => {
                let $c = &mut **t;
                let $ts = pg_ts;
                $body
            }
        }
    };
}

impl Db {
    /// Begin a write transaction (`BEGIN IMMEDIATE` on SQLite, so concurrent
    /// writers queue on the busy timeout instead of failing at upgrade).
    /// A call that writes stops pinning its reads here, so what it reads after
    /// the commit includes what it wrote.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        self.count_query();
        self.stop_pinning_reads();
        Ok(match &self.pool {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}

impl Tx {
    pub async fn fetch_all<R>(&mut self, q: &Query) -> Result<Vec<R>, DbError>
    where
        R: AnyRow,
    {
        let system = self.system();
        traced(system, &q.sql, async {
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            Ok(on_tx!(self, |c, ts| {
                bind_all!(sqlx::query_as::<_, R>(sql), &q.args, ts)
                    .fetch_all(c)
                    .await?
            }))
        })
        .await
    }

    pub async fn fetch_optional<R>(&mut self, q: &Query) -> Result<Option<R>, DbError>
    where
        R: AnyRow,
    {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    pub async fn fetch_count(&mut self, q: &Query) -> Result<i64, DbError> {
        let system = self.system();
        traced(system, &q.sql, async {
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            Ok(on_tx!(self, |c, ts| {
                bind_all!(sqlx::query_scalar::<_, i64>(sql), &q.args, ts)
                    .fetch_one(c)
                    .await?
            }))
        })
        .await
    }

    pub async fn execute(&mut self, q: &Query) -> Result<u64, DbError> {
        let system = self.system();
        traced(system, &q.sql, async {
            let sql = sqlx::AssertSqlSafe(q.sql.as_str());
            Ok(on_tx!(self, |c, ts| {
                bind_all!(sqlx::query(sql), &q.args, ts)
                    .execute(c)
                    .await?
                    .rows_affected()
            }))
        })
        .await
    }

    /// Queue behind any other transaction holding `key` until this one ends
    /// (PostgreSQL: a transaction-scoped advisory lock). On SQLite, where
    /// `BEGIN IMMEDIATE` already admits one writer at a time, nothing to do.
    pub async fn lock(&mut self, key: &str) -> Result<(), DbError> {
        if let Tx::Postgres(_) = self {
            let mut q = Query::new("SELECT pg_advisory_xact_lock(hashtextextended(");
            let k = q.text(key);
            q.push(&format!("{k}, 0))"));
            self.execute(&q).await?;
        }
        Ok(())
    }

    fn system(&self) -> System {
        match self {
            Tx::Sqlite(_) => "sqlite",
            Tx::Postgres(_) => "postgresql",
        }
    }

    pub async fn commit(self) -> Result<(), DbError> {
        traced(self.system(), "COMMIT", async {
            match self {
                Tx::Sqlite(t) => t.commit().await?,
                Tx::Postgres(t) => t.commit().await?,
            }
            Ok(())
        })
        .await
    }
}
