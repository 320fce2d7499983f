//! Users: lists, lookups by id, email or `@me`, and by ids.

use super::*;

pub(super) fn json_attribute(db: &Db, q: &mut Query, column: &str, key: &str) -> String {
    match db.pool {
        crate::db::Pool::Sqlite(_) => {
            let path = q.text(format!("$.\"{}\"", key.replace('"', "")));
            format!("json_extract({column}, {path})")
        }
        crate::db::Pool::Postgres(_) => {
            let k = q.text(key);
            format!("(CAST({column} AS JSON) ->> {k})")
        }
    }
}

pub async fn list_users(
    db: &Db,
    query: &str,
    page: r::PageRequest,
) -> Result<r::UserPage, DbError> {
    let mut q = Query::new("FROM okta_user u WHERE u.deleted_at IS NULL");
    if !query.is_empty() {
        let p = q.text(contains_pattern(query));
        let mut parts = vec![
            format!("LOWER(u.email) LIKE {p} ESCAPE '\\'"),
            format!("LOWER(u.first_name) LIKE {p} ESCAPE '\\'"),
            format!("LOWER(u.last_name) LIKE {p} ESCAPE '\\'"),
            format!("LOWER(u.display_name) LIKE {p} ESCAPE '\\'"),
            format!("LOWER(u.first_name || ' ' || u.last_name) LIKE {p} ESCAPE '\\'"),
        ];
        for key in db.settings().display_attributes.clone() {
            let expr = json_attribute(db, &mut q, "u.profile", &key);
            parts.push(format!("LOWER({expr}) LIKE {p} ESCAPE '\\'"));
        }
        q.push(&format!(" AND ({})", parts.join(" OR ")));
    }
    let select = USER_SELECT.trim_end_matches(" FROM okta_user u");
    let (total, rows) =
        page_of::<UserRow>(db, select, &q, "LOWER(u.email) ASC, u.id ASC", page).await?;
    let display = &db.settings().display_attributes;
    Ok(r::UserPage {
        total,
        items: rows.into_iter().map(|u| u.into_wit(display)).collect(),
    })
}

pub async fn find_user(
    db: &Db,
    id_or_email: &str,
    include_deleted: bool,
) -> Result<Option<t::User>, DbError> {
    // A live user with this id or exactly this email (as given or in lower
    // case) is the answer, and Access's key and email indexes find it at once.
    if let Some(user) = live_user_by_key(db, id_or_email).await? {
        return Ok(Some(user));
    }
    // Otherwise compare emails case-insensitively (a scan of `okta_user`) and
    // prefer a live user over the most recently deleted one.
    let mut q = Query::new(USER_SELECT);
    let id = q.text(id_or_email);
    let email = q.text(id_or_email.to_lowercase());
    q.push(&format!(" WHERE (u.id = {id} OR LOWER(u.email) = {email})"));
    if !include_deleted {
        q.push(" AND u.deleted_at IS NULL");
    }
    q.push(" ORDER BY CASE WHEN u.deleted_at IS NULL THEN 0 ELSE 1 END, u.deleted_at DESC LIMIT 1");
    first_user(db, &q).await
}

/// The live user whose id is `key` or whose email is `key` exactly or in lower
/// case: the indexed first try of the case-insensitive lookups.
pub(super) async fn live_user_by_key(db: &Db, key: &str) -> Result<Option<t::User>, DbError> {
    let mut q = Query::new(USER_SELECT);
    let key_param = q.text(key);
    let lower = q.text(key.to_lowercase());
    q.push(&format!(
        " WHERE (u.id = {key_param} OR u.email = {key_param} OR u.email = {lower}) \
         AND u.deleted_at IS NULL LIMIT 1"
    ));
    first_user(db, &q).await
}

/// The first user row of `q`, with the displayed profile attributes.
pub(super) async fn first_user(db: &Db, q: &Query) -> Result<Option<t::User>, DbError> {
    let display = &db.settings().display_attributes;
    Ok(db
        .fetch_optional::<UserRow>(q)
        .await?
        .map(|u| u.into_wit(display)))
}

pub async fn users_by_id(db: &Db, ids: &[String]) -> Result<Vec<t::User>, DbError> {
    let rows = rows_by_ids::<UserRow>(db, USER_SELECT, "u.id", ids).await?;
    let display = &db.settings().display_attributes;
    Ok(rows.into_iter().map(|u| u.into_wit(display)).collect())
}
