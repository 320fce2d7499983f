//! The Access database: SQLite (embedded default, with a demo organisation) or
//! PostgreSQL, in Access's own schema, unchanged.
//!
//! Queries are written once in the SQL both engines accept and run through
//! [`Query`], which binds the same arguments on either pool. The only dialect
//! difference needed so far is "now" ([`Db::now_sql`]).

pub mod demo;
mod exec;
pub mod indexes;
mod lite;
mod query;
pub mod reads;
pub mod rows;
mod schema;
pub mod synthetic;
pub mod time;
mod trace;
mod tx;
pub mod url;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

pub use query::{AnyRow, Arg, Query};
pub use tx::Tx;
pub use url::DatabaseUrl;

use crate::config::{DatabaseConfig, DirectoryConfig};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("bad DATABASE_URI: {0}")]
    BadUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("the database is missing what access-mcp needs: {0}")]
    Schema(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database query failed: {0}")]
    Query(String),
}

/// How long a statement waits for a pooled connection (or, with the database
/// away, for a new one) before failing with "unavailable; retry later": well
/// inside a plugin's deadline (5 s by default), so a database outage reaches
/// the client as a retryable error rather than as the plugin running out of time.
const POOL_WAIT: Duration = Duration::from_secs(2);

impl DbError {
    /// A word for traces and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            DbError::BadUrl(_) => "bad_url",
            DbError::Connect(_) => "connect",
            DbError::Schema(_) => "schema",
            DbError::Unavailable(_) => "unavailable",
            DbError::Query(_) => "query",
        }
    }
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(e.to_string()),
            // PostgreSQL shutting down, restarting or not yet up (57P01-03)
            // and connection exceptions (class 08): retryable, not a bad query.
            sqlx::Error::Database(ref d)
                if d.code()
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
            {
                DbError::Unavailable(e.to_string())
            }
            other => DbError::Query(other.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle to the Access database, cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: Pool,
    /// SQLite only: reads run in place (see `lite`); sqlx keeps the writes.
    lite: Option<Arc<lite::LitePool>>,
    /// SQLite only, on a handle made by [`Db::for_one_call`]: the call's reads
    /// share one connection and one read transaction.
    call_reads: Option<Arc<lite::CallReads>>,
    settings: Arc<DirectorySettings>,
    queries: Arc<AtomicU64>,
}

/// Directory settings that shape what reads return.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    pub app_name: String,
    pub display_attributes: Vec<String>,
    pub inline_list_limit: u32,
    pub require_descriptions: bool,
}

impl From<&DirectoryConfig> for DirectorySettings {
    fn from(c: &DirectoryConfig) -> Self {
        DirectorySettings {
            app_name: c.app_name.clone(),
            display_attributes: c.display_attributes(),
            inline_list_limit: c.inline_list_limit.clamp(1, 1000),
            require_descriptions: c.require_descriptions,
        }
    }
}

impl Db {
    /// Connect to `DATABASE_URI`, or create/open the embedded demo database.
    pub async fn connect(cfg: &DatabaseConfig, dir: &DirectoryConfig) -> Result<Db, DbError> {
        let settings = Arc::new(DirectorySettings::from(dir));
        let db = match &cfg.database_uri {
            Some(uri) if !uri.trim().is_empty() => match DatabaseUrl::parse(uri)? {
                DatabaseUrl::Sqlite { path } => {
                    if !path.exists() {
                        return Err(DbError::Connect(format!(
                            "SQLite database {} does not exist",
                            path.display()
                        )));
                    }
                    Db::from_pool(
                        Pool::Sqlite(open_sqlite(&path, cfg.max_connections).await?),
                        settings,
                    )
                }
                DatabaseUrl::Postgres { url } => {
                    let pool = PgPoolOptions::new()
                        .max_connections(cfg.max_connections)
                        .acquire_timeout(POOL_WAIT)
                        .test_before_acquire(true)
                        .connect(&url)
                        .await
                        .map_err(|e| DbError::Connect(e.to_string()))?;
                    Db::from_pool(Pool::Postgres(pool), settings)
                }
            },
            _ => {
                let fresh = !cfg.demo_db.exists();
                if let Some(parent) = cfg.demo_db.parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| DbError::Connect(format!("{}: {e}", parent.display())))?;
                }
                let pool = open_sqlite(&cfg.demo_db, cfg.max_connections).await?;
                let db = Db::from_pool(Pool::Sqlite(pool), settings);
                if fresh {
                    schema::create_embedded(&db).await?;
                    tracing::info!(path = %cfg.demo_db.display(), "created the embedded demo database");
                }
                db
            }
        };
        schema::check(&db).await?;
        Ok(db.with_inline_reads(cfg.sqlite_inline_reads))
    }

    /// SQLite: whether reads run in place (see `lite`) or through sqlx's pool.
    pub fn with_inline_reads(mut self, on: bool) -> Db {
        if !on {
            self.lite = None;
        }
        self
    }

    /// Open (creating) a SQLite file without touching its schema.
    pub async fn open_new_sqlite(path: &Path) -> Result<Db, DbError> {
        let pool = open_sqlite(path, 4).await?;
        let settings = DirectorySettings::from(&DirectoryConfig::default());
        Ok(Db::from_pool(Pool::Sqlite(pool), Arc::new(settings)))
    }

    pub fn from_pool(pool: Pool, settings: Arc<DirectorySettings>) -> Db {
        let lite = match &pool {
            Pool::Sqlite(p) => Some(Arc::new(lite::LitePool::new(
                p.connect_options().get_filename(),
                p.options().get_max_connections() as usize,
            ))),
            Pool::Postgres(_) => None,
        };
        Db {
            pool,
            lite,
            call_reads: None,
            settings,
            queries: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A handle for one plugin call: on SQLite its reads see one snapshot (see
    /// [`lite::CallReads`]), which ends when the handle and its clones are
    /// dropped, or at the call's first write.
    pub fn for_one_call(&self) -> Db {
        let mut db = self.clone();
        db.call_reads = self
            .lite
            .as_ref()
            .map(|lite| Arc::new(lite::CallReads::new(lite.clone())));
        db
    }

    /// Run `f` on the connection this handle reads with (SQLite in place).
    async fn read_on<T>(
        &self,
        lite: &Arc<lite::LitePool>,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        match &self.call_reads {
            Some(reads) => reads.with(f).await,
            None => lite.with(f).await,
        }
    }

    /// Stop pinning this call's reads (it is about to write).
    fn stop_pinning_reads(&self) {
        if let Some(reads) = &self.call_reads {
            reads.stop();
        }
    }

    pub fn settings(&self) -> &DirectorySettings {
        &self.settings
    }

    /// Statements run through this handle so far (used to prove reads are not N+1).
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    pub(crate) fn count_query(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    /// SQL for the current naive-UTC time, comparable with stored timestamps.
    pub fn now_sql(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
            Pool::Postgres(_) => "(now() AT TIME ZONE 'UTC')",
        }
    }

    /// Bind `value` as JSON text for a JSON column (PostgreSQL's `jsonb`
    /// columns need the cast; SQLite stores the text).
    pub fn json_param(&self, q: &mut Query, value: impl Into<String>) -> String {
        let p = q.text(value);
        match self.pool {
            Pool::Postgres(_) => format!("CAST({p} AS JSONB)"),
            Pool::Sqlite(_) => p,
        }
    }

    pub fn engine_name(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgresql",
        }
    }

    /// Check the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let q = Query::new("SELECT 1");
        self.execute(&q).await.map(|_| ())
    }
}

/// Whether a connection going back to the pool may be reused. A COMMIT that
/// failed (a full disk, say) can leave sqlx counting a transaction SQLite has
/// already ended; its queued ROLLBACK then fails too, and the connection would
/// refuse every later `BEGIN IMMEDIATE` ("non-zero transaction depth"), so it
/// is closed instead (found by `tests/tests/faults.rs`, the full disk). The
/// ping lets a rollback queued on release finish before the count is read.
async fn closes_if_stuck_in_transaction(
    conn: &mut sqlx::SqliteConnection,
) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection, Database};
    use sqlx_core::transaction::TransactionManager;
    type Manager = <sqlx::Sqlite as Database>::TransactionManager;
    if Manager::get_transaction_depth(conn) == 0 {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(Manager::get_transaction_depth(conn) == 0)
}

async fn open_sqlite(path: &Path, max_connections: u32) -> Result<SqlitePool, DbError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        // sqlx hands rows from its SQLite thread through a bounded channel
        // (50 by default); an inline list of 100+ rows then stalls the thread
        // mid-statement. Room for a whole capped list avoids that round trip.
        .row_buffer_size(1024)
        // Read pages through a memory map (and keep more of them per
        // connection) instead of a pread(2) per page: large organisations
        // otherwise spend most of a call copying pages out of the OS cache.
        .pragma("mmap_size", "1073741824")
        .pragma("cache_size", "-32768");
    SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(POOL_WAIT)
        .after_release(|conn, _| Box::pin(closes_if_stuck_in_transaction(conn)))
        .connect_with(options)
        .await
        .map_err(|e| DbError::Connect(format!("{}: {e}", path.display())))
}
