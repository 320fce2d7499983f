//! The app-owner auto-approval of an app-group request (§10.3 step 4), inside
//! the request's transaction: the group, its app-group row, the requested and
//! the app's tags, and the requester as owner until the tag-clipped end.

use chrono::{Duration, NaiveDateTime};

use super::AUTO_APPROVED_GROUP;
use super::lookups::{AppTagRef, TagRef, UserRef};
use crate::bindings::access::directory::requests as rq;
use crate::bindings::access_types as t;
use crate::db::reads;
use crate::db::rows::parse_constraints;
use crate::db::{Db, DbError, Query, Tx};

/// `min(now + limit, requested)`, or `now + limit` when nothing was requested.
pub(super) fn clip(
    requested: Option<NaiveDateTime>,
    limit_secs: Option<i64>,
    at: NaiveDateTime,
) -> Option<NaiveDateTime> {
    match limit_secs {
        None => requested,
        Some(l) => {
            let cap = at + Duration::seconds(l);
            Some(requested.map_or(cap, |r| r.min(cap)))
        }
    }
}

/// Approve an app-group request inside the caller's transaction: create the
/// group and its app-group row, attach the requested tags and the app's tags,
/// and add the requester as owner with the (tag-clipped) ownership end.
#[allow(clippy::too_many_arguments)]
pub(super) async fn approve_app_group(
    tx: &mut Tx,
    db: &Db,
    requester: &UserRef,
    app: &t::App,
    group_id: &str,
    input: &rq::GroupRequestInput,
    tags: &[TagRef],
    ownership_end: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let mut g = Query::new(
        "INSERT INTO okta_group (id, type, created_at, updated_at, deleted_at, name, description, is_managed, \
         plugin_data, externally_managed_data) VALUES (",
    );
    let vals = [
        g.text(group_id),
        "'app_group'".into(),
        g.timestamp(at),
        g.timestamp(at),
        "NULL".into(),
        g.text(input.name.clone()),
        g.text(input.description.clone()),
        "TRUE".into(),
        "'{}'".into(),
        "'{}'".into(),
    ];
    g.push(&format!("{})", vals.join(", ")));
    tx.execute(&g).await?;
    let mut ag = Query::new("INSERT INTO app_group (id, app_id, is_owner) VALUES (");
    let (a, b) = (ag.text(group_id), ag.text(app.id.clone()));
    ag.push(&format!("{a}, {b}, FALSE)"));
    tx.execute(&ag).await?;

    // The app's active tags propagate to its new group.
    let mut atq = Query::new(
        "SELECT CAST(at.id AS BIGINT) AS id, at.tag_id AS tag_id FROM app_tag_map at WHERE at.app_id = ",
    );
    let p = atq.text(app.id.clone());
    atq.push(&format!("{p} AND {}", reads::active(db, "at")));
    let app_tags: Vec<AppTagRef> = tx.fetch_all(&atq).await?;
    let mut attach: Vec<(String, Option<i64>)> =
        tags.iter().map(|t| (t.id.clone(), None)).collect();
    attach.extend(app_tags.iter().map(|m| (m.tag_id.clone(), Some(m.id))));
    for (tag_id, app_tag_map_id) in &attach {
        let mut m = Query::new(
            "INSERT INTO okta_group_tag_map (tag_id, group_id, app_tag_map_id, created_at, updated_at, ended_at) VALUES (",
        );
        let vals = [
            m.text(tag_id.clone()),
            m.text(group_id),
            app_tag_map_id.map_or_else(|| "NULL".to_string(), |id| m.int(id)),
            m.timestamp(at),
            m.timestamp(at),
            "NULL".into(),
        ];
        m.push(&format!("{})", vals.join(", ")));
        tx.execute(&m).await?;
    }
    // Owner time limit of every enabled tag now on the group (requested + app tags).
    let app_tag_ids: Vec<String> = app_tags.iter().map(|m| m.tag_id.clone()).collect();
    let mut limit = tags
        .iter()
        .filter(|t| t.enabled)
        .filter_map(|t| parse_constraints(t.constraints.as_deref()).owner_time_limit)
        .min();
    if !app_tag_ids.is_empty() {
        let mut tq = Query::new(
            "SELECT tg.id AS id, tg.enabled AS enabled, CAST(tg.constraints AS TEXT) AS constraints FROM tag tg WHERE tg.id IN ",
        );
        let list = tq.text_list(&app_tag_ids);
        tq.push(&format!(
            "{list} AND tg.deleted_at IS NULL AND tg.enabled = TRUE"
        ));
        let more: Vec<TagRef> = tx.fetch_all(&tq).await?;
        let more_limit = more
            .iter()
            .filter_map(|t| parse_constraints(t.constraints.as_deref()).owner_time_limit)
            .min();
        limit = match (limit, more_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let end = clip(ownership_end, limit.filter(|l| *l > 0), at);
    let mut m = Query::new(
        "INSERT INTO okta_user_group_member (user_id, group_id, role_group_map_id, is_owner, created_at, \
         updated_at, ended_at, created_reason, created_actor_id, ended_actor_id, should_expire) VALUES (",
    );
    let vals = [
        m.text(requester.id.clone()),
        m.text(group_id),
        "NULL".into(),
        "TRUE".into(),
        m.timestamp(at),
        m.timestamp(at),
        m.opt_timestamp(end),
        m.text(AUTO_APPROVED_GROUP),
        m.text(requester.id.clone()),
        "NULL".into(),
        "FALSE".into(),
    ];
    m.push(&format!("{})", vals.join(", ")));
    tx.execute(&m).await?;
    Ok(())
}
