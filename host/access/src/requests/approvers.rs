//! Who is asked to approve a request (§10.1 step 2, §10.2 step 5): the
//! group's owners, else the app's owners for an app group, else Access admins.

use super::lookups::UserRef;
use crate::db::reads;
use crate::db::rows::GroupRow;
use crate::db::{Db, DbError, Query};

/// Users with an active owner row in the group.
pub(super) async fn group_managers(db: &Db, group_id: &str) -> Result<Vec<UserRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT u.id AS id, u.email AS email FROM okta_user_group_member m \
         JOIN okta_user u ON u.id = m.user_id WHERE m.group_id = ",
    );
    let g = q.text(group_id);
    q.push(&format!(
        "{g} AND m.is_owner = TRUE AND u.deleted_at IS NULL AND {} ORDER BY u.id",
        reads::active(db, "m")
    ));
    db.fetch_all(&q).await
}

/// Users with an active row (`owner` or member) in the app's non-deleted owner groups.
pub(super) async fn app_owner_group_users(
    db: &Db,
    app_filter: &str,
    arg: &str,
    owner: bool,
) -> Result<Vec<UserRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT u.id AS id, u.email AS email FROM okta_user_group_member m \
         JOIN okta_user u ON u.id = m.user_id JOIN app_group ag ON ag.id = m.group_id \
         JOIN okta_group og ON og.id = ag.id JOIN app a ON a.id = ag.app_id WHERE ",
    );
    let p = q.text(arg);
    let o = q.boolean(owner);
    q.push(&format!(
        "{app_filter} = {p} AND a.deleted_at IS NULL AND ag.is_owner = TRUE AND og.deleted_at IS NULL \
         AND m.is_owner = {o} AND u.deleted_at IS NULL AND {} ORDER BY u.id",
        reads::active(db, "m")
    ));
    db.fetch_all(&q).await
}

pub(super) async fn app_managers(db: &Db, app_id: &str) -> Result<Vec<UserRef>, DbError> {
    app_owner_group_users(db, "a.id", app_id, true).await
}

pub(super) async fn access_admins(db: &Db) -> Result<Vec<UserRef>, DbError> {
    let name = db.settings().app_name.clone();
    app_owner_group_users(db, "a.name", &name, false).await
}

pub(super) fn only(users: &[UserRef], id: &str) -> bool {
    users.len() == 1 && users[0].id == id
}

/// Approvers of an access or role request (§10.1 step 2, §10.2 step 5).
pub(super) async fn request_approvers(
    db: &Db,
    group: &GroupRow,
    requester: &str,
    mut managers: Vec<UserRef>,
) -> Result<Vec<UserRef>, DbError> {
    let is_app_group = group.group_type == "app_group";
    if is_app_group
        && (managers.is_empty() || only(&managers, requester))
        && let Some(app) = &group.app_id
    {
        managers = app_managers(db, app).await?;
    }
    if managers.is_empty() || only(&managers, requester) {
        managers = access_admins(db).await?;
    }
    Ok(managers)
}
