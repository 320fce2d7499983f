//! Access's schema and the demo organisation on PostgreSQL: the schema exactly
//! as Access's migrations create it, and the demo rows copied from a freshly
//! created embedded SQLite database, column by column with PostgreSQL's own
//! input casts (so booleans, enums, JSON and timestamps land as Access writes them).

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::{Db, DbError, Pool, Query};

/// The schema exactly as Access's migrations create it on PostgreSQL.
pub const POSTGRES_SCHEMA: &str = include_str!("access-schema.postgres.sql");

/// Tables in an order that satisfies their foreign keys (`alembic_version` comes
/// with the schema).
const TABLES: &[&str] = &[
    "okta_user",
    "app",
    "okta_group",
    "role_group",
    "app_group",
    "tag",
    "app_tag_map",
    "okta_group_tag_map",
    "role_group_map",
    "okta_user_group_member",
    "access_request",
    "role_request",
    "group_request",
];

/// Sequences behind the integer ids, reset past the copied rows.
const SEQUENCES: &[(&str, &str)] = &[
    ("app_tag_map", "app_tag_map_id_seq"),
    ("okta_group_tag_map", "okta_group_tag_map_id_seq"),
    ("okta_user_group_member", "okta_user_group_member_id_seq"),
    ("role_group_map", "role_group_map_id_seq"),
];

/// What to load into a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// The demo organisation of the embedded default.
    Demo,
    /// The large synthetic organisation of the scale benchmark.
    Large,
}

/// Create Access's schema and `contents` in an empty database named by an
/// Access `DATABASE_URI` (a new SQLite file, or an empty PostgreSQL database).
pub async fn create(
    uri: &str,
    contents: Contents,
    settings: &crate::config::DirectoryConfig,
) -> Result<(), DbError> {
    match super::DatabaseUrl::parse(uri)? {
        super::DatabaseUrl::Sqlite { path } => {
            if path.exists() {
                return Err(DbError::Schema(format!(
                    "{} already exists; give a new file",
                    path.display()
                )));
            }
            match contents {
                Contents::Demo => {
                    let scratch = crate::config::DatabaseConfig {
                        database_uri: None,
                        demo_db: path,
                        max_connections: 4,
                        sqlite_inline_reads: true,
                    };
                    Db::connect(&scratch, settings).await?;
                }
                Contents::Large => {
                    let db = Db::open_new_sqlite(&path).await?;
                    super::schema::create_sqlite(&db, false).await?;
                    super::synthetic::generate(&db, super::synthetic::Scale::LARGE).await?;
                }
            }
        }
        super::DatabaseUrl::Postgres { url } => {
            create_postgres_schema(&url).await?;
            let cfg = crate::config::DatabaseConfig {
                database_uri: Some(uri.to_string()),
                demo_db: "unused.db".into(),
                max_connections: 4,
                sqlite_inline_reads: true,
            };
            let db = Db::connect(&cfg, settings).await?;
            match contents {
                Contents::Demo => {
                    let dir = tempfile_dir()?;
                    let scratch = crate::config::DatabaseConfig {
                        database_uri: None,
                        demo_db: dir.join("demo.db"),
                        max_connections: 2,
                        sqlite_inline_reads: true,
                    };
                    let source = Db::connect(&scratch, settings).await?;
                    copy_sqlite_to_postgres(&source, &db).await?;
                    let _ = std::fs::remove_dir_all(&dir);
                }
                Contents::Large => {
                    super::synthetic::generate(&db, super::synthetic::Scale::LARGE).await?;
                }
            }
        }
    }
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf, DbError> {
    let dir = std::env::temp_dir().join(format!(
        "access-mcp-demo-{}-{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 4]>())
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| DbError::Connect(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// Create Access's schema in an empty PostgreSQL database (one dedicated
/// connection: the dump clears `search_path` for the session that runs it).
pub async fn create_postgres_schema(url: &str) -> Result<(), DbError> {
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(|e| DbError::Connect(e.to_string()))?;
    sqlx::raw_sql(POSTGRES_SCHEMA).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct Column {
    column_name: String,
    udt_name: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct TextCell {
    v: Option<String>,
}

/// Copy every row of Access's tables from `from` (SQLite) into `to` (PostgreSQL
/// with an empty Access schema), in one transaction.
pub async fn copy_sqlite_to_postgres(from: &Db, to: &Db) -> Result<u64, DbError> {
    if !matches!(from.pool, Pool::Sqlite(_)) || !matches!(to.pool, Pool::Postgres(_)) {
        return Err(DbError::Schema(
            "copy goes from SQLite to PostgreSQL".into(),
        ));
    }
    let mut copied = 0;
    let mut tx = to.begin().await?;
    for table in TABLES {
        let mut cq = Query::new(
            "SELECT CAST(column_name AS TEXT) AS column_name, CAST(udt_name AS TEXT) AS udt_name \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ",
        );
        let t = cq.text(*table);
        cq.push(&format!("{t} ORDER BY ordinal_position"));
        let columns: Vec<Column> = tx.fetch_all(&cq).await?;
        if columns.is_empty() {
            return Err(DbError::Schema(format!(
                "table `{table}` is missing in the target"
            )));
        }
        // Read the source rows as text, one column per query, aligned by rowid.
        let names: Vec<&str> = columns.iter().map(|c| c.column_name.as_str()).collect();
        let mut values: Vec<Vec<Option<String>>> = Vec::new();
        for name in &names {
            let q = Query::new(format!(
                "SELECT CAST({name} AS TEXT) AS v FROM {table} ORDER BY rowid"
            ));
            let cells: Vec<TextCell> = from.fetch_all(&q).await?;
            values.push(cells.into_iter().map(|c| c.v).collect());
        }
        let rows = values.first().map_or(0, Vec::len);
        // Rows are read column by column above, so index across the columns.
        #[allow(clippy::needless_range_loop)]
        for r in 0..rows {
            let mut q = Query::new(format!(
                "INSERT INTO {table} ({}) VALUES (",
                names.join(", ")
            ));
            let mut parts = Vec::with_capacity(columns.len());
            for (c, col) in columns.iter().enumerate() {
                let p = q.opt_text(values[c][r].clone());
                parts.push(format!("CAST({p} AS {})", pg_type(&col.udt_name)));
            }
            q.push(&format!("{})", parts.join(", ")));
            tx.execute(&q).await?;
            copied += 1;
        }
    }
    for (table, seq) in SEQUENCES {
        let q = Query::new(format!(
            "SELECT setval('{seq}', GREATEST(COALESCE((SELECT MAX(id) FROM {table}), 0), 1))"
        ));
        tx.execute(&q).await?;
    }
    tx.commit().await?;
    Ok(copied)
}

/// The cast target for a column's `udt_name` (PostgreSQL's input functions
/// accept SQLite's text forms: '1'/'0' for booleans, ISO timestamps, JSON text).
fn pg_type(udt: &str) -> String {
    match udt {
        "varchar" | "text" => "TEXT".into(),
        "bool" => "BOOLEAN".into(),
        "int4" => "INTEGER".into(),
        "int8" => "BIGINT".into(),
        "timestamp" => "TIMESTAMP".into(),
        "json" => "JSON".into(),
        "jsonb" => "JSONB".into(),
        // User-defined enums, e.g. accessrequeststate.
        other => format!("public.{other}"),
    }
}
