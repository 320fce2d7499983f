//! The read side behind the `access:directory/reads` and `permissions` imports,
//! one file per entity; this file holds the SELECT lists and the helpers they share.
//! Search, filters, ordering and pagination are done in SQL; every function runs
//! a fixed number of statements whatever the row counts (no N+1).

use super::rows::{
    AccessRequestRow, AppRow, AppTagMapRow, GroupRequestRow, GroupRow, GroupTagMapRow,
    MembershipRow, RoleMappingRow, RoleRequestRow, TagRow, UserRow, group_type_sql, status_sql,
};
use super::{AnyRow, Db, DbError, Query};
use crate::bindings::access::directory::reads as r;
use crate::bindings::access_types as t;

/// Largest page the host returns, whatever a plugin asks for.
pub const MAX_PAGE: u32 = 1000;

pub(crate) const GROUP_SELECT: &str = "SELECT g.id AS id, g.type AS group_type, g.name AS name, \
    g.description AS description, g.is_managed AS is_managed, \
    CAST(g.externally_managed_data AS TEXT) AS externally_managed_data, \
    CAST(g.plugin_data AS TEXT) AS plugin_data, g.created_at AS created_at, \
    g.updated_at AS updated_at, g.deleted_at AS deleted_at, ag.app_id AS app_id, \
    ag.is_owner AS app_is_owner, a.name AS app_name, a.deleted_at AS app_deleted_at, \
    a.app_group_lifecycle_plugin AS app_lifecycle_plugin \
    FROM okta_group g LEFT JOIN app_group ag ON ag.id = g.id LEFT JOIN app a ON a.id = ag.app_id";

pub(crate) const USER_SELECT: &str = "SELECT u.id AS id, u.created_at AS created_at, u.updated_at AS updated_at, \
    u.deleted_at AS deleted_at, u.email AS email, u.first_name AS first_name, u.last_name AS last_name, \
    u.display_name AS display_name, u.employee_number AS employee_number, u.manager_id AS manager_id, \
    CAST(u.profile AS TEXT) AS profile FROM okta_user u";

const APP_SELECT: &str = "SELECT a.id AS id, a.name AS name, a.description AS description, \
    a.created_at AS created_at, a.updated_at AS updated_at, a.deleted_at AS deleted_at, \
    a.app_group_lifecycle_plugin AS app_group_lifecycle_plugin, \
    CAST(a.plugin_data AS TEXT) AS plugin_data FROM app a";

const TAG_SELECT: &str = "SELECT tg.id AS id, tg.name AS name, tg.description AS description, \
    CAST(tg.constraints AS TEXT) AS constraints, tg.enabled AS enabled, tg.created_at AS created_at, \
    tg.updated_at AS updated_at, tg.deleted_at AS deleted_at FROM tag tg";

const MEMBERSHIP_COLUMNS: &str = "CAST(m.id AS BIGINT) AS id, m.user_id AS user_id, m.group_id AS group_id, \
    CAST(m.role_group_map_id AS BIGINT) AS role_group_map_id, m.is_owner AS is_owner, \
    m.created_at AS created_at, m.updated_at AS updated_at, m.ended_at AS ended_at, \
    m.created_actor_id AS created_actor_id, m.ended_actor_id AS ended_actor_id, \
    m.created_reason AS created_reason, m.should_expire AS should_expire";

const ROLE_MAPPING_SELECT: &str = "SELECT CAST(rm.id AS BIGINT) AS id, rm.role_id AS role_id, \
    rm.group_id AS group_id, rm.is_owner AS is_owner, rm.created_at AS created_at, \
    rm.updated_at AS updated_at, rm.ended_at AS ended_at, rm.created_actor_id AS created_actor_id, \
    rm.ended_actor_id AS ended_actor_id, rm.created_reason AS created_reason, \
    rm.should_expire AS should_expire FROM role_group_map rm";

const GROUP_TAG_MAP_SELECT: &str = "SELECT CAST(gt.id AS BIGINT) AS id, gt.tag_id AS tag_id, \
    gt.group_id AS group_id, CAST(gt.app_tag_map_id AS BIGINT) AS app_tag_map_id, \
    gt.created_at AS created_at, gt.updated_at AS updated_at, gt.ended_at AS ended_at \
    FROM okta_group_tag_map gt";

const APP_TAG_MAP_SELECT: &str = "SELECT CAST(at.id AS BIGINT) AS id, at.tag_id AS tag_id, \
    at.app_id AS app_id, at.created_at AS created_at, at.updated_at AS updated_at, \
    at.ended_at AS ended_at FROM app_tag_map at";

pub(crate) const ACCESS_REQUEST_SELECT: &str = "SELECT rq.id AS id, CAST(rq.status AS TEXT) AS status, \
    rq.created_at AS created_at, rq.updated_at AS updated_at, rq.resolved_at AS resolved_at, \
    rq.requester_user_id AS requester_user_id, rq.requested_group_id AS requested_group_id, \
    rq.request_ownership AS request_ownership, rq.request_reason AS request_reason, \
    rq.request_ending_at AS request_ending_at, rq.resolver_user_id AS resolver_user_id, \
    rq.resolution_reason AS resolution_reason, rq.approval_ending_at AS approval_ending_at, \
    CAST(rq.approved_membership_id AS BIGINT) AS approved_membership_id FROM access_request rq";

pub(crate) const ROLE_REQUEST_SELECT: &str = "SELECT rq.id AS id, CAST(rq.status AS TEXT) AS status, \
    rq.created_at AS created_at, rq.updated_at AS updated_at, rq.resolved_at AS resolved_at, \
    rq.requester_user_id AS requester_user_id, rq.requester_role_id AS requester_role_id, \
    rq.requested_group_id AS requested_group_id, rq.request_ownership AS request_ownership, \
    rq.request_reason AS request_reason, rq.request_ending_at AS request_ending_at, \
    rq.resolver_user_id AS resolver_user_id, rq.resolution_reason AS resolution_reason, \
    rq.approval_ending_at AS approval_ending_at, \
    CAST(rq.approved_membership_id AS BIGINT) AS approved_membership_id FROM role_request rq";

pub(crate) const GROUP_REQUEST_SELECT: &str = "SELECT rq.id AS id, CAST(rq.status AS TEXT) AS status, \
    rq.created_at AS created_at, rq.updated_at AS updated_at, rq.resolved_at AS resolved_at, \
    rq.requester_user_id AS requester_user_id, rq.requested_group_name AS requested_group_name, \
    rq.requested_group_description AS requested_group_description, \
    CAST(rq.requested_group_type AS TEXT) AS requested_group_type, \
    rq.requested_app_id AS requested_app_id, \
    CAST(rq.requested_group_tags AS TEXT) AS requested_group_tags, \
    rq.requested_ownership_ending_at AS requested_ownership_ending_at, \
    rq.request_reason AS request_reason, rq.resolved_group_name AS resolved_group_name, \
    rq.resolved_group_description AS resolved_group_description, \
    CAST(rq.resolved_group_type AS TEXT) AS resolved_group_type, \
    rq.resolved_app_id AS resolved_app_id, CAST(rq.resolved_group_tags AS TEXT) AS resolved_group_tags, \
    rq.resolved_ownership_ending_at AS resolved_ownership_ending_at, \
    rq.resolver_user_id AS resolver_user_id, rq.resolution_reason AS resolution_reason, \
    rq.approved_group_id AS approved_group_id FROM group_request rq";

/// `%q%` for a case-insensitive LIKE, with `%`, `_` and `\` escaped.
pub fn contains_pattern(q: &str) -> String {
    format!("%{}%", escape_like(&q.to_lowercase()))
}

fn prefix_pattern(q: &str) -> String {
    format!("{}%", escape_like(q))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn limits(page: r::PageRequest) -> (i64, i64) {
    (i64::from(page.limit.min(MAX_PAGE)), i64::from(page.offset))
}

/// Append `ORDER BY … LIMIT … OFFSET …`. The limit is written into the SQL
/// (an integer of at most `MAX_PAGE`, so a handful of texts): SQLite plans with
/// a bound LIMIT's value and so compiled a cached statement again on every
/// run (`reprepared` at `RUST_LOG=access::db=trace`); a bound OFFSET is
/// not used in planning.
fn paginate(q: &mut Query, order: &str, page: r::PageRequest) {
    let (limit, offset) = limits(page);
    let o = q.int(offset);
    q.push(&format!(" ORDER BY {order} LIMIT {limit} OFFSET {o}"));
}

/// One page of a `FROM … WHERE …` and the `total` of its rows. The count is a
/// second statement, run only when the page cannot tell: a short page that
/// starts at 0 or holds rows ended the results, so its total is known.
async fn page_of<R: AnyRow>(
    db: &Db,
    select: &str,
    from_where: &Query,
    order: &str,
    page: r::PageRequest,
) -> Result<(u64, Vec<R>), DbError> {
    let mut items = from_where.clone();
    items.sql = format!("{select} {}", from_where.sql);
    paginate(&mut items, order, page);
    let rows = db.fetch_all::<R>(&items).await?;
    let (limit, offset) = limits(page);
    let fetched = rows.len() as i64;
    if fetched < limit && (offset == 0 || fetched > 0) {
        return Ok((u64::try_from(offset + fetched).unwrap_or(0), rows));
    }
    let mut count = from_where.clone();
    count.sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 {}) counted",
        from_where.sql
    );
    let total = db.fetch_count(&count).await?;
    Ok((u64::try_from(total).unwrap_or(0), rows))
}

pub(crate) fn active(db: &Db, alias: &str) -> String {
    format!(
        "({alias}.ended_at IS NULL OR {alias}.ended_at > {})",
        db.now_sql()
    )
}

mod apps;
mod groups;
mod memberships;
mod permissions;
mod requests;
mod role_mappings;
mod tags;
mod users;

pub use apps::*;
pub use groups::*;
pub use memberships::*;
pub use permissions::*;
pub use requests::*;
pub use role_mappings::*;
pub use tags::*;
pub use users::*;
