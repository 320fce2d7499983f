//! The indexes this server's queries rely on that Access's schema, as
//! shipped, does not have: one on `okta_user_group_member` leading with
//! `user_id` and one leading with `group_id` (upstream Access added such a
//! pair later). Without them every membership lookup scans the table. The
//! server checks at startup and warns; it never creates them unasked
//! (`access-mcp db indexes --apply` does).

use super::{Db, DbError, Pool};

/// One index the queries rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recommended {
    pub table: &'static str,
    /// Any index on `table` whose first column is this one serves.
    pub leading: &'static str,
    /// The statement that creates it (also serves ordering by `created_at`).
    pub create: &'static str,
}

pub const RECOMMENDED: [Recommended; 2] = [
    Recommended {
        table: "okta_user_group_member",
        leading: "user_id",
        create: "CREATE INDEX idx_ougm_user_owner_created ON okta_user_group_member (user_id, is_owner, created_at, ended_at);",
    },
    Recommended {
        table: "okta_user_group_member",
        leading: "group_id",
        create: "CREATE INDEX idx_ougm_group_owner_created ON okta_user_group_member (group_id, is_owner, created_at, ended_at);",
    },
];

/// What going without them cost, measured over HTTP on the large organisation
/// (`tests/load/run.sh`, docs/performance.md).
pub const COST: &str = "on 10 000 users, 5 000 groups and 200 000 memberships, without them \
get_group of a 3-member group takes 32 ms (p50), of the 5 000-member group 52 ms, get_user of a \
user in 500 groups 49 ms and list_audit_entries for that user 32 ms, each scanning the \
membership table; with them 2.7, 5.3, 3.7 and 1.5 ms";

/// The first column of every index on `table`.
async fn leading_columns(db: &Db, table: &str) -> Result<Vec<String>, DbError> {
    Ok(match &db.pool {
        Pool::Sqlite(p) => {
            sqlx::query_scalar::<_, String>(
                "SELECT ii.name FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii \
                 WHERE ii.seqno = 0",
            )
            .bind(table)
            .fetch_all(p)
            .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_scalar::<_, String>(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
                 WHERE i.indrelid = to_regclass($1)",
            )
            .bind(table)
            .fetch_all(p)
            .await?
        }
    })
}

/// The recommended indexes this database lacks.
pub async fn missing(db: &Db) -> Result<Vec<Recommended>, DbError> {
    let mut out = Vec::new();
    for r in RECOMMENDED {
        let leading = leading_columns(db, r.table).await?;
        if !leading.iter().any(|c| c == r.leading) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Create `indexes` (each in its own statement; an existing one is an error
/// the caller sees).
pub async fn create(db: &Db, indexes: &[Recommended]) -> Result<(), DbError> {
    for r in indexes {
        let sql = sqlx::AssertSqlSafe(r.create);
        match &db.pool {
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ())?,
            Pool::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ())?,
        }
    }
    Ok(())
}

/// The one warning the server logs at startup when some are missing.
pub fn warning(missing: &[Recommended]) -> String {
    let statements: Vec<&str> = missing.iter().map(|r| r.create).collect();
    format!(
        "the database lacks indexes this server's queries rely on; {COST}. Create them (or run \
         `access-mcp db indexes --apply`): {}",
        statements.join(" ")
    )
}
