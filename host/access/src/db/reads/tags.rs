//! Tags, and their maps onto groups and apps.

use super::*;

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
