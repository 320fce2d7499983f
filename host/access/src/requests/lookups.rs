//! The rows an operation checks before it writes: the live requester and
//! group, a group's enabled tags, a role's members.

use std::collections::BTreeSet;

use super::plausible_id;
use crate::db::reads::{self, GROUP_SELECT};
use crate::db::rows::GroupRow;
use crate::db::{Db, DbError, Query};

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct UserRef {
    pub(super) id: String,
    pub(super) email: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct IdRow {
    pub(super) id: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct TagRef {
    pub(super) id: String,
    pub(super) enabled: bool,
    pub(super) constraints: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct AppTagRef {
    pub(super) id: i64,
    pub(super) tag_id: String,
}

pub(super) async fn live_user(db: &Db, id: &str) -> Result<Option<UserRef>, DbError> {
    let mut q = Query::new("SELECT u.id AS id, u.email AS email FROM okta_user u WHERE u.id = ");
    let p = q.text(id);
    q.push(&format!("{p} AND u.deleted_at IS NULL"));
    db.fetch_optional(&q).await
}

pub(super) async fn live_group(db: &Db, id: &str) -> Result<Option<GroupRow>, DbError> {
    if !plausible_id(id) {
        return Ok(None);
    }
    let mut q = Query::new(GROUP_SELECT);
    let p = q.text(id);
    q.push(&format!(" WHERE g.id = {p} AND g.deleted_at IS NULL"));
    db.fetch_optional(&q).await
}

/// Enabled, active tags attached to a group (constraints that apply to it).
pub(super) async fn enabled_group_tags(db: &Db, group_id: &str) -> Result<Vec<TagRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT tg.id AS id, tg.enabled AS enabled, CAST(tg.constraints AS TEXT) AS constraints \
         FROM okta_group_tag_map gt JOIN tag tg ON tg.id = gt.tag_id WHERE gt.group_id = ",
    );
    let g = q.text(group_id);
    q.push(&format!(
        "{g} AND tg.deleted_at IS NULL AND tg.enabled = TRUE AND {}",
        reads::active(db, "gt")
    ));
    db.fetch_all(&q).await
}

pub(super) async fn role_members(db: &Db, role_id: &str) -> Result<BTreeSet<String>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT m.user_id AS id FROM okta_user_group_member m WHERE m.group_id = ",
    );
    let r = q.text(role_id);
    q.push(&format!(
        "{r} AND m.is_owner = FALSE AND {}",
        reads::active(db, "m")
    ));
    ids(db, &q).await
}

/// The `id` column of every row `q` selects, collected as the caller needs.
pub(super) async fn ids<C: FromIterator<String>>(db: &Db, q: &Query) -> Result<C, DbError> {
    Ok(db
        .fetch_all::<IdRow>(q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
