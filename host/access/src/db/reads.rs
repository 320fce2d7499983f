//! The read side behind the `access:directory/reads` and `permissions` imports.
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
/// run (`reprepared` at `RUST_LOG=access_mcp::db=trace`); a bound OFFSET is
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

// ---------------------------------------------------------------- groups

const GROUP_FROM: &str =
    "FROM okta_group g LEFT JOIN app_group ag ON ag.id = g.id LEFT JOIN app a ON a.id = ag.app_id";

/// `SELECT <group columns>` without its FROM clause (for `page_of`).
fn group_columns() -> &'static str {
    GROUP_SELECT.trim_end_matches(GROUP_FROM)
}

/// Rows of `select` whose `column` is one of `ids` (one statement; none for no ids).
async fn rows_by_ids<R: AnyRow>(
    db: &Db,
    select: &str,
    column: &str,
    ids: &[String],
) -> Result<Vec<R>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(select);
    let list = q.text_list(ids);
    q.push(&format!(" WHERE {column} IN {list}"));
    db.fetch_all(&q).await
}

/// The same for integer ids.
async fn rows_by_int_ids<R: AnyRow>(
    db: &Db,
    select: &str,
    column: &str,
    ids: &[i64],
) -> Result<Vec<R>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(select);
    let list = q.int_list(ids);
    q.push(&format!(" WHERE {column} IN {list}"));
    db.fetch_all(&q).await
}

/// The row of `select` whose `column` equals `id`, if any.
async fn row_by_id<R: AnyRow>(
    db: &Db,
    select: &str,
    column: &str,
    id: &str,
) -> Result<Option<R>, DbError> {
    Ok(rows_by_ids(db, select, column, &[id.to_string()])
        .await?
        .into_iter()
        .next())
}

fn into_all<R: Into<T>, T>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(Into::into).collect()
}

pub async fn list_groups(
    db: &Db,
    f: &r::GroupFilter,
    page: r::PageRequest,
) -> Result<r::GroupPage, DbError> {
    let mut q = Query::new(format!("{GROUP_FROM} WHERE g.deleted_at IS NULL"));
    if !f.query.is_empty() {
        let p = q.text(contains_pattern(&f.query));
        q.push(&format!(
            " AND (LOWER(g.name) LIKE {p} ESCAPE '\\' OR LOWER(g.description) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(managed) = f.managed {
        let p = q.boolean(managed);
        q.push(&format!(" AND g.is_managed = {p}"));
    }
    if let Some(gt) = f.group_type {
        let p = q.text(group_type_sql(gt));
        q.push(&format!(" AND g.type = {p}"));
    }
    if let Some(owner) = &f.owner_user_id {
        let p = q.text(owner.clone());
        q.push(&format!(
            " AND g.id IN (SELECT m.group_id FROM okta_user_group_member m WHERE m.user_id = {p} \
             AND m.is_owner = TRUE AND {})",
            active(db, "m")
        ));
    }
    let (total, rows) =
        page_of::<GroupRow>(db, group_columns(), &q, "LOWER(g.name) ASC, g.id ASC", page).await?;
    Ok(r::GroupPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_group(
    db: &Db,
    id_or_name: &str,
    group_type: Option<t::GroupType>,
    include_deleted: bool,
) -> Result<Option<t::Group>, DbError> {
    let mut q = Query::new(GROUP_SELECT);
    let p = q.text(id_or_name);
    q.push(&format!(" WHERE (g.id = {p} OR g.name = {p})"));
    if let Some(gt) = group_type {
        let p = q.text(group_type_sql(gt));
        q.push(&format!(" AND g.type = {p}"));
    }
    if !include_deleted {
        q.push(" AND g.deleted_at IS NULL");
    }
    q.push(" ORDER BY CASE WHEN g.deleted_at IS NULL THEN 0 ELSE 1 END, g.deleted_at DESC LIMIT 1");
    Ok(db.fetch_optional::<GroupRow>(&q).await?.map(Into::into))
}

pub async fn groups_by_id(db: &Db, ids: &[String]) -> Result<Vec<t::Group>, DbError> {
    Ok(into_all(
        rows_by_ids::<GroupRow>(db, GROUP_SELECT, "g.id", ids).await?,
    ))
}

pub async fn app_groups(db: &Db, app_ids: &[String]) -> Result<Vec<t::Group>, DbError> {
    if app_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(GROUP_SELECT);
    let list = q.text_list(app_ids);
    q.push(&format!(
        " WHERE ag.app_id IN {list} AND g.deleted_at IS NULL ORDER BY LOWER(g.name) ASC, g.id ASC"
    ));
    Ok(db
        .fetch_all::<GroupRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

// ---------------------------------------------------------------- users

fn json_attribute(db: &Db, q: &mut Query, column: &str, key: &str) -> String {
    match db.pool {
        super::Pool::Sqlite(_) => {
            let path = q.text(format!("$.\"{}\"", key.replace('"', "")));
            format!("json_extract({column}, {path})")
        }
        super::Pool::Postgres(_) => {
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
async fn live_user_by_key(db: &Db, key: &str) -> Result<Option<t::User>, DbError> {
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
async fn first_user(db: &Db, q: &Query) -> Result<Option<t::User>, DbError> {
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

// ---------------------------------------------------------------- apps

pub async fn list_apps(db: &Db, query: &str, page: r::PageRequest) -> Result<r::AppPage, DbError> {
    let mut q = Query::new("FROM app a WHERE a.deleted_at IS NULL");
    if !query.is_empty() {
        let p = q.text(contains_pattern(query));
        q.push(&format!(
            " AND (LOWER(a.name) LIKE {p} ESCAPE '\\' OR LOWER(a.description) LIKE {p} ESCAPE '\\')"
        ));
    }
    let select = APP_SELECT.trim_end_matches(" FROM app a");
    let (total, rows) =
        page_of::<AppRow>(db, select, &q, "LOWER(a.name) ASC, a.id ASC", page).await?;
    Ok(r::AppPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_app(
    db: &Db,
    id_or_name: &str,
    include_deleted: bool,
) -> Result<Option<t::App>, DbError> {
    let mut q = Query::new(APP_SELECT);
    let p = q.text(id_or_name);
    q.push(&format!(" WHERE (a.id = {p} OR a.name = {p})"));
    if !include_deleted {
        q.push(" AND a.deleted_at IS NULL");
    }
    q.push(" ORDER BY CASE WHEN a.deleted_at IS NULL THEN 0 ELSE 1 END, a.deleted_at DESC LIMIT 1");
    Ok(db.fetch_optional::<AppRow>(&q).await?.map(Into::into))
}

pub async fn apps_by_id(db: &Db, ids: &[String]) -> Result<Vec<t::App>, DbError> {
    Ok(into_all(
        rows_by_ids::<AppRow>(db, APP_SELECT, "a.id", ids).await?,
    ))
}

// ---------------------------------------------------------------- tags

pub async fn list_tags(db: &Db, query: &str, page: r::PageRequest) -> Result<r::TagPage, DbError> {
    let mut q = Query::new("FROM tag tg WHERE tg.deleted_at IS NULL");
    if !query.is_empty() {
        let p = q.text(contains_pattern(query));
        q.push(&format!(
            " AND (LOWER(tg.name) LIKE {p} ESCAPE '\\' OR LOWER(tg.description) LIKE {p} ESCAPE '\\')"
        ));
    }
    let select = TAG_SELECT.trim_end_matches(" FROM tag tg");
    let (total, rows) =
        page_of::<TagRow>(db, select, &q, "LOWER(tg.name) ASC, tg.id ASC", page).await?;
    Ok(r::TagPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_tag(
    db: &Db,
    id_or_name: &str,
    include_deleted: bool,
) -> Result<Option<t::Tag>, DbError> {
    let mut q = Query::new(TAG_SELECT);
    let p = q.text(id_or_name);
    q.push(&format!(" WHERE (tg.id = {p} OR tg.name = {p})"));
    if !include_deleted {
        q.push(" AND tg.deleted_at IS NULL");
    }
    q.push(
        " ORDER BY CASE WHEN tg.deleted_at IS NULL THEN 0 ELSE 1 END, tg.deleted_at DESC LIMIT 1",
    );
    Ok(db.fetch_optional::<TagRow>(&q).await?.map(Into::into))
}

pub async fn tags_by_id(db: &Db, ids: &[String]) -> Result<Vec<t::Tag>, DbError> {
    Ok(into_all(
        rows_by_ids::<TagRow>(db, TAG_SELECT, "tg.id", ids).await?,
    ))
}

pub async fn group_tag_maps(
    db: &Db,
    group_ids: Option<&[String]>,
    tag_ids: Option<&[String]>,
) -> Result<Vec<t::GroupTagMap>, DbError> {
    let mut q = Query::new(GROUP_TAG_MAP_SELECT);
    q.push(&format!(" WHERE {}", active(db, "gt")));
    if let Some(ids) = group_ids {
        let list = q.text_list(ids);
        q.push(&format!(" AND gt.group_id IN {list}"));
    }
    if let Some(ids) = tag_ids {
        let list = q.text_list(ids);
        q.push(&format!(" AND gt.tag_id IN {list}"));
    }
    q.push(" ORDER BY gt.created_at ASC, gt.id ASC");
    Ok(db
        .fetch_all::<GroupTagMapRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn app_tag_maps(
    db: &Db,
    app_ids: Option<&[String]>,
    tag_ids: Option<&[String]>,
) -> Result<Vec<t::AppTagMap>, DbError> {
    let mut q = Query::new(APP_TAG_MAP_SELECT);
    q.push(&format!(" WHERE {}", active(db, "at")));
    if let Some(ids) = app_ids {
        let list = q.text_list(ids);
        q.push(&format!(" AND at.app_id IN {list}"));
    }
    if let Some(ids) = tag_ids {
        let list = q.text_list(ids);
        q.push(&format!(" AND at.tag_id IN {list}"));
    }
    q.push(" ORDER BY at.created_at ASC, at.id ASC");
    Ok(db
        .fetch_all::<AppTagMapRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn app_tag_maps_by_id(db: &Db, ids: &[i64]) -> Result<Vec<t::AppTagMap>, DbError> {
    Ok(into_all(
        rows_by_int_ids::<AppTagMapRow>(db, APP_TAG_MAP_SELECT, "at.id", ids).await?,
    ))
}

// ---------------------------------------------------------------- memberships

pub async fn list_memberships(
    db: &Db,
    f: &r::MembershipFilter,
    page: r::PageRequest,
) -> Result<r::MembershipPage, DbError> {
    let mut q = Query::new("FROM okta_user_group_member m");
    if f.live_groups_only {
        q.push(" JOIN okta_group lg ON lg.id = m.group_id AND lg.deleted_at IS NULL");
    }
    q.push(" WHERE 1 = 1");
    if let Some(u) = &f.user_id {
        let p = q.text(u.clone());
        q.push(&format!(" AND m.user_id = {p}"));
    }
    if let Some(g) = &f.group_id {
        let p = q.text(g.clone());
        q.push(&format!(" AND m.group_id = {p}"));
    }
    if let Some(o) = f.is_owner {
        let p = q.boolean(o);
        q.push(&format!(" AND m.is_owner = {p}"));
    }
    if f.active_only {
        q.push(&format!(" AND {}", active(db, "m")));
    }
    let (total, mut rows) = page_of::<MembershipRow>(
        db,
        &format!("SELECT {MEMBERSHIP_COLUMNS}, CAST(NULL AS TEXT) AS access_request_id"),
        &q,
        "m.created_at DESC, m.id DESC",
        page,
    )
    .await?;
    fill_access_request_ids(db, &mut rows).await?;
    Ok(r::MembershipPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

/// Fill `access_request_id` from the approving request of each row: one query.
async fn fill_access_request_ids(db: &Db, rows: &mut [MembershipRow]) -> Result<(), DbError> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut aq = Query::new(
        "SELECT CAST(approved_membership_id AS BIGINT) AS membership_id, MIN(id) AS request_id \
         FROM access_request WHERE approved_membership_id IN ",
    );
    let list = aq.int_list(&ids);
    aq.push(&format!("{list} GROUP BY approved_membership_id"));
    let links = db.fetch_all::<ApprovalLink>(&aq).await?;
    for row in rows.iter_mut() {
        row.access_request_id = links
            .iter()
            .find(|l| l.membership_id == row.id)
            .map(|l| l.request_id.clone());
    }
    Ok(())
}

pub async fn memberships_of_groups(
    db: &Db,
    group_ids: &[String],
    is_owner: bool,
    limit_per_group: u32,
) -> Result<Vec<r::GroupMembershipSlice>, DbError> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(format!(
        "SELECT * FROM (SELECT {MEMBERSHIP_COLUMNS}, CAST(NULL AS TEXT) AS access_request_id, \
         ROW_NUMBER() OVER (PARTITION BY m.group_id ORDER BY m.created_at DESC, m.id DESC) AS rn, \
         CAST(COUNT(*) OVER (PARTITION BY m.group_id) AS BIGINT) AS group_total \
         FROM okta_user_group_member m WHERE m.group_id IN "
    ));
    let list = q.text_list(group_ids);
    let owner = q.boolean(is_owner);
    let limit = q.int(i64::from(limit_per_group.min(MAX_PAGE)));
    q.push(&format!(
        "{list} AND m.is_owner = {owner} AND {}) ranked WHERE rn <= {limit} ORDER BY group_id, rn",
        active(db, "m")
    ));
    let mut rows: Vec<MembershipRow> = db.fetch_all(&q).await?;
    let totals: std::collections::HashMap<String, i64> = rows
        .iter()
        .map(|r| (r.group_id.clone(), r.group_total.unwrap_or(0)))
        .collect();
    fill_access_request_ids(db, &mut rows).await?;
    Ok(group_ids
        .iter()
        .map(|g| r::GroupMembershipSlice {
            group_id: g.clone(),
            total: totals.get(g).copied().unwrap_or(0).max(0) as u64,
            items: rows
                .iter()
                .filter(|m| &m.group_id == g)
                .map(|m| t::Membership::from(m.clone()))
                .collect(),
        })
        .collect())
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct ApprovalLink {
    membership_id: i64,
    request_id: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct MemberPair {
    user_id: String,
    is_owner: bool,
}

pub async fn group_members(db: &Db, group_id: &str) -> Result<r::GroupMemberIds, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT m.user_id AS user_id, m.is_owner AS is_owner FROM okta_user_group_member m WHERE m.group_id = ",
    );
    let p = q.text(group_id);
    q.push(&format!("{p} AND {} ORDER BY m.user_id", active(db, "m")));
    let pairs = db.fetch_all::<MemberPair>(&q).await?;
    let (owners, members): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|p| p.is_owner);
    Ok(r::GroupMemberIds {
        members: members.into_iter().map(|p| p.user_id).collect(),
        owners: owners.into_iter().map(|p| p.user_id).collect(),
    })
}

// ---------------------------------------------------------------- role mappings

pub async fn list_role_mappings(
    db: &Db,
    f: &r::RoleMappingFilter,
    page: r::PageRequest,
) -> Result<r::RoleMappingPage, DbError> {
    let mut q = Query::new("FROM role_group_map rm WHERE 1 = 1");
    if let Some(role) = &f.role_id {
        let p = q.text(role.clone());
        q.push(&format!(" AND rm.role_id = {p}"));
    }
    if let Some(g) = &f.group_id {
        let p = q.text(g.clone());
        q.push(&format!(" AND rm.group_id = {p}"));
    }
    if let Some(o) = f.is_owner {
        let p = q.boolean(o);
        q.push(&format!(" AND rm.is_owner = {p}"));
    }
    if f.active_only {
        q.push(&format!(" AND {}", active(db, "rm")));
    }
    let select = ROLE_MAPPING_SELECT.trim_end_matches(" FROM role_group_map rm");
    let (total, rows) =
        page_of::<RoleMappingRow>(db, select, &q, "rm.created_at DESC, rm.id DESC", page).await?;
    Ok(r::RoleMappingPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn role_mappings_of_roles(
    db: &Db,
    role_ids: &[String],
) -> Result<Vec<t::RoleMapping>, DbError> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(ROLE_MAPPING_SELECT);
    let list = q.text_list(role_ids);
    q.push(&format!(
        " WHERE rm.role_id IN {list} AND {} ORDER BY rm.created_at ASC, rm.id ASC",
        active(db, "rm")
    ));
    Ok(db
        .fetch_all::<RoleMappingRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn role_mappings_by_id(db: &Db, ids: &[i64]) -> Result<Vec<t::RoleMapping>, DbError> {
    Ok(into_all(
        rows_by_int_ids::<RoleMappingRow>(db, ROLE_MAPPING_SELECT, "rm.id", ids).await?,
    ))
}

// ---------------------------------------------------------------- requests

fn request_filters(q: &mut Query, f: &r::RequestFilter, name_column: Option<&str>) {
    if !f.query.is_empty() {
        let prefix = q.text(prefix_pattern(&f.query));
        let contains = q.text(contains_pattern(&f.query));
        let mut parts = vec![
            format!("rq.id LIKE {prefix} ESCAPE '\\'"),
            format!("LOWER(rq.request_reason) LIKE {contains} ESCAPE '\\'"),
        ];
        if let Some(col) = name_column {
            parts.push(format!("LOWER({col}) LIKE {contains} ESCAPE '\\'"));
        }
        q.push(&format!(" AND ({})", parts.join(" OR ")));
    }
    if let Some(s) = f.status {
        let p = q.text(status_sql(s));
        q.push(&format!(" AND CAST(rq.status AS TEXT) = {p}"));
    }
    let exact = [
        ("rq.requester_user_id", &f.requester_user_id),
        ("rq.resolver_user_id", &f.resolver_user_id),
    ];
    for (col, value) in exact {
        if let Some(v) = value {
            let p = q.text(v.clone());
            q.push(&format!(" AND {col} = {p}"));
        }
    }
}

pub async fn list_access_requests(
    db: &Db,
    f: &r::RequestFilter,
    page: r::PageRequest,
) -> Result<r::AccessRequestPage, DbError> {
    let mut q = Query::new("FROM access_request rq WHERE 1 = 1");
    request_filters(&mut q, f, None);
    if let Some(g) = &f.requested_group_id {
        let p = q.text(g.clone());
        q.push(&format!(" AND rq.requested_group_id = {p}"));
    }
    let select = ACCESS_REQUEST_SELECT.trim_end_matches(" FROM access_request rq");
    let (total, rows) =
        page_of::<AccessRequestRow>(db, select, &q, "rq.created_at DESC, rq.id DESC", page).await?;
    Ok(r::AccessRequestPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_access_request(db: &Db, id: &str) -> Result<Option<t::AccessRequest>, DbError> {
    Ok(
        row_by_id::<AccessRequestRow>(db, ACCESS_REQUEST_SELECT, "rq.id", id)
            .await?
            .map(Into::into),
    )
}

pub async fn list_role_requests(
    db: &Db,
    f: &r::RequestFilter,
    page: r::PageRequest,
) -> Result<r::RoleRequestPage, DbError> {
    let mut q = Query::new("FROM role_request rq WHERE 1 = 1");
    request_filters(&mut q, f, None);
    if let Some(g) = &f.requested_group_id {
        let p = q.text(g.clone());
        q.push(&format!(" AND rq.requested_group_id = {p}"));
    }
    if let Some(role) = &f.requester_role_id {
        let p = q.text(role.clone());
        q.push(&format!(" AND rq.requester_role_id = {p}"));
    }
    let select = ROLE_REQUEST_SELECT.trim_end_matches(" FROM role_request rq");
    let (total, rows) =
        page_of::<RoleRequestRow>(db, select, &q, "rq.created_at DESC, rq.id DESC", page).await?;
    Ok(r::RoleRequestPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_role_request(db: &Db, id: &str) -> Result<Option<t::RoleRequest>, DbError> {
    Ok(
        row_by_id::<RoleRequestRow>(db, ROLE_REQUEST_SELECT, "rq.id", id)
            .await?
            .map(Into::into),
    )
}

pub async fn list_group_requests(
    db: &Db,
    f: &r::RequestFilter,
    page: r::PageRequest,
) -> Result<r::GroupRequestPage, DbError> {
    let mut q = Query::new("FROM group_request rq WHERE 1 = 1");
    request_filters(&mut q, f, Some("rq.requested_group_name"));
    if let Some(gt) = f.requested_group_type {
        let p = q.text(group_type_sql(gt));
        q.push(&format!(" AND CAST(rq.requested_group_type AS TEXT) = {p}"));
    }
    if let Some(app) = &f.requested_app_id {
        let p = q.text(app.clone());
        q.push(&format!(" AND rq.requested_app_id = {p}"));
    }
    let select = GROUP_REQUEST_SELECT.trim_end_matches(" FROM group_request rq");
    let (total, rows) =
        page_of::<GroupRequestRow>(db, select, &q, "rq.created_at DESC, rq.id DESC", page).await?;
    Ok(r::GroupRequestPage {
        total,
        items: rows.into_iter().map(Into::into).collect(),
    })
}

pub async fn find_group_request(db: &Db, id: &str) -> Result<Option<t::GroupRequest>, DbError> {
    Ok(
        row_by_id::<GroupRequestRow>(db, GROUP_REQUEST_SELECT, "rq.id", id)
            .await?
            .map(Into::into),
    )
}

// ---------------------------------------------------------------- permissions (§4)

async fn exists(db: &Db, q: &Query) -> Result<bool, DbError> {
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

fn access_admin_clause(db: &Db, q: &mut Query, user_param: &str) -> String {
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
