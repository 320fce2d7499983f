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

/// Create Access's schema in an empty PostgreSQL database (one dedicated
/// connection: the dump clears `search_path` for the session that runs it).
pub async fn create_postgres_schema(url: &str) -> Result<(), DbError> {
    let mut conn = PgConnection::connect(url).await.map_err(|e| DbError::Connect(e.to_string()))?;
    sqlx::raw_sql(POSTGRES_SCHEMA).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Column {
    column_name: String,
    udt_name: String,
}

#[derive(sqlx::FromRow)]
struct TextCell {
    v: Option<String>,
}

/// Copy every row of Access's tables from `from` (SQLite) into `to` (PostgreSQL
/// with an empty Access schema), in one transaction.
pub async fn copy_sqlite_to_postgres(from: &Db, to: &Db) -> Result<u64, DbError> {
    if !matches!(from.pool, Pool::Sqlite(_)) || !matches!(to.pool, Pool::Postgres(_)) {
        return Err(DbError::Schema("copy goes from SQLite to PostgreSQL".into()));
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
            return Err(DbError::Schema(format!("table `{table}` is missing in the target")));
        }
        // Read the source rows as text, one column per query, aligned by rowid.
        let names: Vec<&str> = columns.iter().map(|c| c.column_name.as_str()).collect();
        let mut values: Vec<Vec<Option<String>>> = Vec::new();
        for name in &names {
            let q = Query::new(format!("SELECT CAST({name} AS TEXT) AS v FROM {table} ORDER BY rowid"));
            let cells: Vec<TextCell> = from.fetch_all(&q).await?;
            values.push(cells.into_iter().map(|c| c.v).collect());
        }
        let rows = values.first().map_or(0, Vec::len);
        for r in 0..rows {
            let mut q = Query::new(format!("INSERT INTO {table} ({}) VALUES (", names.join(", ")));
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
