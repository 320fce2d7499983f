//! Group memberships and ownerships (with the request that granted each), and a group's member ids.

use super::*;

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
pub(super) async fn fill_access_request_ids(
    db: &Db,
    rows: &mut [MembershipRow],
) -> Result<(), DbError> {
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
