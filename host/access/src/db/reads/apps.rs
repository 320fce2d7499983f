//! Apps: lists and lookups.

use super::*;

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
