//! Access's permission predicates (§4) for a user, and the user of a verified email.

use super::*;

pub(super) async fn exists(db: &Db, q: &Query) -> Result<bool, DbError> {
    Ok(db.fetch_count(q).await? > 0)
}

pub async fn is_group_owner(db: &Db, user_id: &str, group_id: &str) -> Result<bool, DbError> {
    let mut q = Query::new("SELECT CAST(COUNT(*) AS BIGINT) FROM okta_user_group_member m WHERE ");
    let u = q.text(user_id);
    let g = q.text(group_id);
    q.push(&format!(
        "m.user_id = {u} AND m.group_id = {g} AND m.is_owner = TRUE AND {}",
        active(db, "m")
    ));
    exists(db, &q).await
}

pub async fn is_app_owner(db: &Db, user_id: &str, app_id: &str) -> Result<bool, DbError> {
    let mut q = Query::new(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM okta_user_group_member m \
         JOIN app_group ag ON ag.id = m.group_id JOIN okta_group og ON og.id = ag.id WHERE ",
    );
    let u = q.text(user_id);
    let a = q.text(app_id);
    q.push(&format!(
        "ag.app_id = {a} AND ag.is_owner = TRUE AND og.deleted_at IS NULL AND m.user_id = {u} \
         AND m.is_owner = TRUE AND {}",
        active(db, "m")
    ));
    exists(db, &q).await
}

pub(super) fn access_admin_clause(db: &Db, q: &mut Query, user_param: &str) -> String {
    let app = q.text(db.settings().app_name.clone());
    format!(
        "EXISTS (SELECT 1 FROM okta_user_group_member am JOIN app_group aag ON aag.id = am.group_id \
         JOIN okta_group aog ON aog.id = aag.id JOIN app aa ON aa.id = aag.app_id \
         WHERE aa.name = {app} AND aa.deleted_at IS NULL AND aag.is_owner = TRUE \
         AND aog.deleted_at IS NULL AND am.user_id = {user_param} AND am.is_owner = FALSE AND {})",
        active(db, "am")
    )
}

pub async fn is_access_admin(db: &Db, user_id: &str) -> Result<bool, DbError> {
    let mut q = Query::new("SELECT CAST(CASE WHEN ");
    let u = q.text(user_id);
    let clause = access_admin_clause(db, &mut q, &u);
    q.push(&format!("{clause} THEN 1 ELSE 0 END AS BIGINT)"));
    exists(db, &q).await
}

/// `can_manage_group`: group owner, owner of the group's app, or Access admin.
pub async fn can_manage_group(db: &Db, user_id: &str, group_id: &str) -> Result<bool, DbError> {
    let mut q = Query::new("SELECT CAST(CASE WHEN ");
    let u = q.text(user_id);
    let g = q.text(group_id);
    let admin = access_admin_clause(db, &mut q, &u);
    q.push(&format!(
        "EXISTS (SELECT 1 FROM okta_user_group_member m WHERE m.user_id = {u} AND m.group_id = {g} \
         AND m.is_owner = TRUE AND {active_m}) \
         OR EXISTS (SELECT 1 FROM app_group tg JOIN app_group og ON og.app_id = tg.app_id AND og.is_owner = TRUE \
         JOIN okta_group ogg ON ogg.id = og.id AND ogg.deleted_at IS NULL \
         JOIN okta_user_group_member om ON om.group_id = og.id \
         WHERE tg.id = {g} AND om.user_id = {u} AND om.is_owner = TRUE AND {active_om}) \
         OR {admin} THEN 1 ELSE 0 END AS BIGINT)",
        active_m = active(db, "m"),
        active_om = active(db, "om"),
    ));
    exists(db, &q).await
}

/// The non-deleted user with this email (case-insensitive), for binding an identity.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<t::User>, DbError> {
    if let Some(user) = live_user_by_key(db, email).await?
        && user.email.to_lowercase() == email.to_lowercase()
    {
        return Ok(Some(user));
    }
    let mut q = Query::new(USER_SELECT);
    let e = q.text(email.to_lowercase());
    q.push(&format!(
        " WHERE LOWER(u.email) = {e} AND u.deleted_at IS NULL LIMIT 1"
    ));
    first_user(db, &q).await
}
