//! Access's schema: created (with a demo organisation) for the embedded default,
//! and checked, never changed, on an existing database.

use super::{Db, DbError, Pool, Query};

/// The schema exactly as Access's migrations create it on SQLite.
const SQLITE_SCHEMA: &str = include_str!("access-schema.sqlite.sql");
/// A demo organisation, so the first run shows something real.
const DEMO_SEED: &str = include_str!("demo_seed.sql");

/// Tables and the columns access-mcp reads or writes.
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "okta_user",
        &[
            "id",
            "created_at",
            "updated_at",
            "deleted_at",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "profile",
            "employee_number",
            "manager_id",
        ],
    ),
    (
        "okta_group",
        &[
            "id",
            "type",
            "created_at",
            "updated_at",
            "deleted_at",
            "name",
            "description",
            "is_managed",
            "plugin_data",
            "externally_managed_data",
        ],
    ),
    ("role_group", &["id"]),
    ("app_group", &["id", "app_id", "is_owner"]),
    (
        "app",
        &[
            "id",
            "created_at",
            "updated_at",
            "deleted_at",
            "name",
            "description",
            "app_group_lifecycle_plugin",
            "plugin_data",
        ],
    ),
    (
        "tag",
        &[
            "id",
            "created_at",
            "updated_at",
            "deleted_at",
            "name",
            "description",
            "constraints",
            "enabled",
        ],
    ),
    (
        "okta_group_tag_map",
        &[
            "id",
            "tag_id",
            "group_id",
            "app_tag_map_id",
            "created_at",
            "updated_at",
            "ended_at",
        ],
    ),
    (
        "app_tag_map",
        &[
            "id",
            "tag_id",
            "app_id",
            "created_at",
            "updated_at",
            "ended_at",
        ],
    ),
    (
        "okta_user_group_member",
        &[
            "id",
            "user_id",
            "group_id",
            "role_group_map_id",
            "is_owner",
            "created_at",
            "updated_at",
            "ended_at",
            "created_reason",
            "created_actor_id",
            "ended_actor_id",
            "should_expire",
        ],
    ),
    (
        "role_group_map",
        &[
            "id",
            "role_id",
            "group_id",
            "is_owner",
            "created_at",
            "updated_at",
            "ended_at",
            "created_reason",
            "created_actor_id",
            "ended_actor_id",
            "should_expire",
        ],
    ),
    (
        "access_request",
        &[
            "id",
            "created_at",
            "updated_at",
            "resolved_at",
            "status",
            "requester_user_id",
            "requested_group_id",
            "request_ownership",
            "request_reason",
            "request_ending_at",
            "resolver_user_id",
            "resolution_reason",
            "approval_ending_at",
            "approved_membership_id",
        ],
    ),
    (
        "role_request",
        &[
            "id",
            "created_at",
            "updated_at",
            "resolved_at",
            "status",
            "requester_user_id",
            "requester_role_id",
            "requested_group_id",
            "request_ownership",
            "request_reason",
            "request_ending_at",
            "resolver_user_id",
            "resolution_reason",
            "approval_ending_at",
            "approved_membership_id",
        ],
    ),
    (
        "group_request",
        &[
            "id",
            "created_at",
            "updated_at",
            "resolved_at",
            "status",
            "requester_user_id",
            "requested_group_name",
            "requested_group_description",
            "requested_group_type",
            "requested_app_id",
            "requested_group_tags",
            "requested_ownership_ending_at",
            "request_reason",
            "resolved_group_name",
            "resolved_group_description",
            "resolved_group_type",
            "resolved_app_id",
            "resolved_group_tags",
            "resolved_ownership_ending_at",
            "resolver_user_id",
            "resolution_reason",
            "approved_group_id",
        ],
    ),
];

/// Create Access's schema and the demo organisation in a new SQLite file.
pub(super) async fn create_embedded(db: &Db) -> Result<(), DbError> {
    create_sqlite(db, true).await
}

/// Create Access's schema (and, with `demo`, the demo organisation) in SQLite.
pub(super) async fn create_sqlite(db: &Db, demo: bool) -> Result<(), DbError> {
    let Pool::Sqlite(pool) = &db.pool else {
        return Err(DbError::Schema(
            "the embedded database must be SQLite".into(),
        ));
    };
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(SQLITE_SCHEMA).execute(&mut *tx).await?;
    if demo {
        sqlx::raw_sql(DEMO_SEED).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Check every table and column access-mcp needs exists; name what is missing.
pub(super) async fn check(db: &Db) -> Result<(), DbError> {
    let mut missing = Vec::new();
    for (table, columns) in REQUIRED {
        let q = Query::new(format!(
            "SELECT {} FROM {table} WHERE 1 = 0",
            columns.join(", ")
        ));
        if let Err(e) = db.execute(&q).await {
            match e {
                DbError::Unavailable(m) => return Err(DbError::Unavailable(m)),
                DbError::Query(m) => missing.push(format!(
                    "table `{table}` with columns {} ({m})",
                    columns.join(", ")
                )),
                other => return Err(other),
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DbError::Schema(format!(
            "this does not look like Access's schema: {}",
            missing.join("; ")
        )))
    }
}
