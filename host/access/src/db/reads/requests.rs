//! Access, role and group requests: filters, lists, lookups.

use super::*;

pub(super) fn request_filters(q: &mut Query, f: &r::RequestFilter, name_column: Option<&str>) {
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
