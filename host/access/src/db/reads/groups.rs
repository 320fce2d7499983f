//! Groups of every type: lists, lookups by id or name, app groups.

use super::*;

pub(super) const GROUP_FROM: &str =
    "FROM okta_group g LEFT JOIN app_group ag ON ag.id = g.id LEFT JOIN app a ON a.id = ag.app_id";

/// `SELECT <group columns>` without its FROM clause (for `page_of`).
pub(super) fn group_columns() -> &'static str {
    GROUP_SELECT.trim_end_matches(GROUP_FROM)
}

/// Rows of `select` whose `column` is one of `ids` (one statement; none for no ids).
pub(super) async fn rows_by_ids<R: AnyRow>(
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
pub(super) async fn rows_by_int_ids<R: AnyRow>(
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
pub(super) async fn row_by_id<R: AnyRow>(
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

pub(super) fn into_all<R: Into<T>, T>(rows: Vec<R>) -> Vec<T> {
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
