//! `create_group_request` (§10.3), with the app-owner auto-approval of an
//! app-group request (the group, its tags and the owner row made in the same
//! transaction).

use serde_json::{Value, json};

use super::app_group::{approve_app_group, clip};
use super::approvers::{access_admins, app_managers};
use super::audit_json::{ts_json, user_json};
use super::filing::{pending_request_insert, read_back, supersede_pending};
use super::lookups::{TagRef, live_user};
use super::summary::{approvers_text, reason_text, until};
use super::{
    AUTO_APPROVED_GROUP, MAX_REQUESTED_TAGS, NAME_PATTERN, NOT_ALLOWED, SUPERSEDED_GROUP,
    WriteContext, WriteError, WriteSettings, check_reason, random_id,
};
use crate::audit::{AuditEvent, emit};
use crate::bindings::access::directory::requests as rq;
use crate::bindings::access_types as t;
use crate::db::reads::{self, GROUP_REQUEST_SELECT};
use crate::db::rows::{GroupRequestRow, parse_constraints};
use crate::db::time::{from_wit, now};
use crate::db::{Arg, Db, DbError, Query};
use mcp_host::confirm::PlannedWrite;

fn type_name(t: t::GroupType) -> &'static str {
    crate::db::rows::group_type_sql(t)
}

/// The schema-level rules of a group-request body (name pattern and lengths).
pub fn validate_group_request_body(
    input: &rq::GroupRequestInput,
    settings: &WriteSettings,
) -> Result<(), WriteError> {
    let kind = type_name(input.group_type);
    let name = &input.name;
    if name.is_empty() {
        return Err(WriteError::Invalid(format!(
            "{kind}.requested_group_name: String should have at least 1 character"
        )));
    }
    if name.chars().count() > 255 {
        return Err(WriteError::Invalid(format!(
            "{kind}.requested_group_name: String should have at most 255 characters"
        )));
    }
    let mut chars = name.chars();
    let pattern_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !pattern_ok {
        return Err(WriteError::Invalid(format!(
            "{kind}.requested_group_name: String should match pattern '{NAME_PATTERN}'"
        )));
    }
    if input.description.chars().count() > 1024 {
        return Err(WriteError::Invalid(format!(
            "{kind}.requested_group_description: String should have at most 1024 characters"
        )));
    }
    if settings.require_descriptions && input.description.trim().is_empty() {
        return Err(WriteError::Invalid("Description is required.".into()));
    }
    check_reason(&format!("{kind}.request_reason"), &input.reason)?;
    if input.tag_ids.len() > MAX_REQUESTED_TAGS {
        return Err(WriteError::Invalid(format!(
            "{kind}.requested_group_tags: List should have at most {MAX_REQUESTED_TAGS} items after validation, not {}",
            input.tag_ids.len()
        )));
    }
    if input.group_type == t::GroupType::AppGroup
        && input.app_id.as_deref().unwrap_or("").is_empty()
    {
        return Err(WriteError::Invalid(
            "app_group.requested_app_id: Field required".into(),
        ));
    }
    Ok(())
}

pub async fn create_group_request(
    db: &Db,
    w: &WriteContext<'_>,
    input: &rq::GroupRequestInput,
) -> Result<t::GroupRequest, WriteError> {
    validate_group_request_body(input, &w.settings)?;
    let requester = live_user(db, &w.call.caller.user_id)
        .await?
        .ok_or_else(|| WriteError::Denied(NOT_ALLOWED.into()))?;
    let is_app_group = input.group_type == t::GroupType::AppGroup;
    // Extra fields are dropped for non-app types, as Access's schema union does.
    let app_id = if is_app_group {
        input.app_id.clone().filter(|a| !a.is_empty())
    } else {
        None
    };
    let app = match &app_id {
        Some(a) => Some(
            reads::find_app(db, a, false)
                .await?
                .filter(|app| app.id == *a)
                .ok_or_else(|| WriteError::NotFound("App not found".into()))?,
        ),
        None if is_app_group => {
            return Err(WriteError::Invalid(
                "app_id is required for app group requests".into(),
            ));
        }
        None => None,
    };
    let tags = if input.tag_ids.is_empty() {
        Vec::new()
    } else {
        let mut q = Query::new(
            "SELECT tg.id AS id, tg.enabled AS enabled, CAST(tg.constraints AS TEXT) AS constraints FROM tag tg WHERE tg.id IN ",
        );
        let list = q.text_list(&input.tag_ids);
        q.push(&format!("{list} AND tg.deleted_at IS NULL"));
        let found: Vec<TagRef> = db.fetch_all(&q).await?;
        if found.len() != input.tag_ids.len() {
            return Err(WriteError::NotFound("One or more tags not found".into()));
        }
        found
    };
    // The operation's own rules (§10.3): it declines these.
    let name = &input.name;
    let declines = name.ends_with("-Owners")
        || (input.group_type == t::GroupType::RoleGroup) != name.starts_with("Role-")
        || app
            .as_ref()
            .is_some_and(|a| !name.starts_with(&format!("App-{}-", a.name)));
    if declines {
        return Err(WriteError::Invalid(
            "Group request could not be created".into(),
        ));
    }

    let at = now();
    // owner_time_limit of the requested enabled tags, combined by min (§10.3 step 2).
    let limit = tags
        .iter()
        .filter(|t| t.enabled)
        .filter_map(|t| parse_constraints(t.constraints.as_deref()).owner_time_limit)
        .filter(|l| *l > 0)
        .min();
    let requested_end = input.ownership_ending_at.and_then(from_wit);
    let ownership_end = clip(requested_end, limit, at);

    let mut conditions = vec![
        ("requested_group_name", Arg::Text(name.clone())),
        ("requester_user_id", Arg::Text(requester.id.clone())),
    ];
    if let Some(a) = &app_id {
        conditions.push(("requested_app_id", Arg::Text(a.clone())));
    }
    let auto_approve = match &app_id {
        Some(a) => reads::is_app_owner(db, &requester.id, a).await?,
        None => false,
    };
    let name_taken = if auto_approve {
        let mut q = Query::new("SELECT CAST(COUNT(*) AS BIGINT) FROM okta_group g WHERE g.name = ");
        let p = q.text(name.clone());
        q.push(&format!("{p} AND g.deleted_at IS NULL"));
        db.fetch_count(&q).await? > 0
    } else {
        false
    };
    let approvers = match &app_id {
        Some(a) => app_managers(db, a).await?,
        None => access_admins(db).await?,
    };
    w.call.write_gate.check(PlannedWrite {
        kind: "group_request".into(),
        binding: json!({"name": name, "group_type": type_name(input.group_type),
            "description": input.description, "app_id": app_id, "tag_ids": input.tag_ids,
            "reason": input.reason}),
        ending_at: ownership_end,
        summary: format!(
            "File a group request as {}: create the {} \"{}\"{}{}, owned by you {}. {} {}",
            requester.email,
            type_name(input.group_type).replace('_', " "),
            name,
            app.as_ref()
                .map(|a| format!(" in the app \"{}\"", a.name))
                .unwrap_or_default(),
            if input.tag_ids.is_empty() {
                String::new()
            } else {
                format!(" with {} tag(s)", input.tag_ids.len())
            },
            until(ownership_end),
            reason_text(&input.reason),
            if auto_approve {
                "You own the app, so it is approved at once.".to_string()
            } else {
                format!(
                    "{} will be asked to approve it.",
                    approvers_text(&approvers)
                )
            },
        ),
    })?;

    let id = random_id(20, true);
    let tags_json = serde_json::to_string(&input.tag_ids).unwrap_or_else(|_| "[]".into());
    let mut events = Vec::new();
    let mut tx = db.begin().await?;
    let superseded = supersede_pending(
        &mut tx,
        "group_request",
        &conditions,
        &requester.id,
        SUPERSEDED_GROUP,
        at,
    )
    .await?;
    for old in &superseded {
        events.push(
            AuditEvent::new("GROUP_REQUEST_REJECT")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with(
                    "group_request",
                    json!({"id": old, "rejection_reason": SUPERSEDED_GROUP}),
                )
                .with("requester", user_json(&requester)),
        );
    }
    let mut q = Query::default();
    // Filed as asked: each resolved_* column starts as its requested_* twin,
    // both from one bound value.
    let filed = [
        (
            ("requested_group_name", "resolved_group_name"),
            q.text(name.clone()),
        ),
        (
            ("requested_group_description", "resolved_group_description"),
            q.text(input.description.clone()),
        ),
        (
            ("requested_group_type", "resolved_group_type"),
            q.text(type_name(input.group_type)),
        ),
        (
            ("requested_app_id", "resolved_app_id"),
            q.opt_text(app_id.clone()),
        ),
        (
            (
                "requested_ownership_ending_at",
                "resolved_ownership_ending_at",
            ),
            q.opt_timestamp(ownership_end),
        ),
        (
            ("requested_group_tags", "resolved_group_tags"),
            db.json_param(&mut q, tags_json.clone()),
        ),
    ];
    let mut specific: Vec<(&str, String)> = filed
        .into_iter()
        .flat_map(|((requested, resolved), value)| [(requested, value.clone()), (resolved, value)])
        .collect();
    specific.push(("request_reason", q.text(input.reason.clone())));
    specific.push(("approved_group_id", "NULL".into()));
    pending_request_insert(&mut q, "group_request", &id, at, &requester.id, specific);
    tx.execute(&q).await?;

    let request_json = json!({
        "id": id, "requested_group_name": name, "requested_group_type": type_name(input.group_type),
        "requested_app_id": app_id, "requested_ownership_ending_at": ts_json(ownership_end),
        "request_reason": input.reason,
    });
    if auto_approve && !name_taken {
        let app = app
            .as_ref()
            .ok_or_else(|| DbError::Query("app vanished".into()))?;
        let group_id = format!("00g{}", random_id(17, true));
        approve_app_group(
            &mut tx,
            db,
            &requester,
            app,
            &group_id,
            input,
            &tags,
            ownership_end,
            at,
        )
        .await?;
        let mut u = Query::new("UPDATE group_request SET status = 'APPROVED', ");
        let now_p = u.timestamp(at);
        let who = u.text(requester.id.clone());
        let why = u.text(AUTO_APPROVED_GROUP);
        let gid = u.text(group_id.clone());
        let rid = u.text(id.clone());
        u.push(&format!(
            "resolved_at = {now_p}, updated_at = {now_p}, resolver_user_id = {who}, resolution_reason = {why}, \
             approved_group_id = {gid} WHERE id = {rid}"
        ));
        tx.execute(&u).await?;
        events.push(
            AuditEvent::new("GROUP_CREATE")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with(
                    "group",
                    json!({"id": group_id, "name": name, "type": "app_group",
                    "app": {"id": app.id, "name": app.name}}),
                ),
        );
        events.push(
            AuditEvent::new("GROUP_REQUEST_APPROVE")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with("group_request", request_json.clone())
                .with("requester", user_json(&requester))
                .with("approval_reason", json!(AUTO_APPROVED_GROUP)),
        );
    } else {
        if auto_approve {
            tracing::warn!(name = %name, "app-owner auto-approval skipped: a group with this name exists");
        }
        events.push(
            AuditEvent::new("GROUP_REQUEST_CREATE")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with("group_request", request_json)
                .with("requester", user_json(&requester))
                .with(
                    "group_owners",
                    Value::Array(approvers.iter().map(user_json).collect()),
                ),
        );
    }
    let row: GroupRequestRow = read_back(&mut tx, GROUP_REQUEST_SELECT, &id).await?;
    tx.commit().await?;
    emit(&events, w.call);
    tracing::info!(
        request_id = %w.call.request.id,
        "MCP create_group_request id={id} requester={} name={name} type={}",
        requester.id, type_name(input.group_type)
    );
    Ok(row.into())
}
