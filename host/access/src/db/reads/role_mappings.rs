//! Role mappings: roles granting membership or ownership of groups.

use super::*;

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
