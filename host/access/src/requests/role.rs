//! `create_role_request` (§10.2).

use serde_json::{Value, json};

use super::approvers::{group_managers, request_approvers};
use super::audit_json::{group_json, ts_json, user_json};
use super::filing::{pending_request_insert, read_back, supersede_pending};
use super::lookups::{enabled_group_tags, live_group, live_user, role_members};
use super::summary::{closing, kind_of, until};
use super::{
    NOT_ALLOWED, SUPERSEDED_ROLE, UNMANAGED, WriteContext, WriteError, check_reason, random_id,
};
use crate::audit::{AuditEvent, emit};
use crate::bindings::access::directory::requests as rq;
use crate::bindings::access_types as t;
use crate::db::reads::{self, ROLE_REQUEST_SELECT};
use crate::db::rows::{RoleRequestRow, parse_constraints};
use crate::db::time::{from_wit, now};
use crate::db::{Arg, Db, Query};
use mcp_host::confirm::PlannedWrite;

pub async fn create_role_request(
    db: &Db,
    w: &WriteContext<'_>,
    input: &rq::RoleRequestInput,
) -> Result<t::RoleRequest, WriteError> {
    check_reason("reason", &input.reason)?;
    let requester = live_user(db, &w.call.caller.user_id)
        .await?
        .ok_or_else(|| WriteError::Denied(NOT_ALLOWED.into()))?;
    let role = live_group(db, &input.role_id)
        .await?
        .filter(|g| g.group_type == "role_group")
        .ok_or_else(|| WriteError::NotFound("Role not found".into()))?;
    if !reads::can_manage_group(db, &requester.id, &role.id).await? {
        return Err(WriteError::Denied(NOT_ALLOWED.into()));
    }
    let group = live_group(db, &input.group_id)
        .await?
        .ok_or_else(|| WriteError::NotFound("Group not found".into()))?;
    if !group.is_managed {
        return Err(WriteError::Invalid(UNMANAGED.into()));
    }
    if group.group_type == "role_group" {
        return Err(WriteError::Invalid(
            "Role requests may only be made for groups and app groups (not roles).".into(),
        ));
    }
    let ending = input.ending_at.and_then(from_wit);
    let pending_of_kind = [
        ("requester_user_id", Arg::Text(requester.id.clone())),
        ("requester_role_id", Arg::Text(role.id.clone())),
        ("requested_group_id", Arg::Text(group.id.clone())),
        ("request_ownership", Arg::Bool(input.ownership)),
    ];

    // Approvers (§10.2): target managers, minus role members when the target's
    // enabled tags disallow self-add of the requested kind; then the fallbacks.
    let mut managers = group_managers(db, &group.id).await?;
    let tags = enabled_group_tags(db, &group.id).await?;
    let disallowed = tags.iter().any(|t| {
        let c = parse_constraints(t.constraints.as_deref());
        if input.ownership {
            c.disallow_self_add_ownership == Some(true)
        } else {
            c.disallow_self_add_membership == Some(true)
        }
    });
    if disallowed {
        let members = role_members(db, &role.id).await?;
        managers.retain(|m| !members.contains(&m.id));
    }
    let approvers = request_approvers(db, &group, &requester.id, managers).await?;
    w.call.write_gate.check(PlannedWrite {
        kind: "role_request".into(),
        binding: json!({"role_id": role.id, "group_id": group.id, "ownership": input.ownership,
            "reason": input.reason}),
        ending_at: ending,
        summary: format!(
            "File a role request as {}: every member of the role \"{}\" would get {} of the group \"{}\", {}. {}",
            requester.email,
            role.name,
            kind_of(input.ownership),
            group.name,
            until(ending),
            closing(&input.reason, &approvers),
        ),
    })?;

    let at = now();
    let id = random_id(20, false);
    let mut events = Vec::new();
    let mut tx = db.begin().await?;
    let superseded = supersede_pending(
        &mut tx,
        "role_request",
        &pending_of_kind,
        &requester.id,
        SUPERSEDED_ROLE,
        at,
    )
    .await?;
    for old in &superseded {
        events.push(
            AuditEvent::new("ROLE_REQUEST_REJECT")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with("group", group_json(&group))
                .with("role_request", json!({"id": old, "rejection_reason": SUPERSEDED_ROLE,
                    "requester_role": {"id": role.id, "name": role.name}, "request_ownership": input.ownership}))
                .with("requester", user_json(&requester)),
        );
    }
    let mut q = Query::default();
    let specific = vec![
        ("requester_role_id", q.text(role.id.clone())),
        ("requested_group_id", q.text(group.id.clone())),
        ("request_ownership", q.boolean(input.ownership)),
        ("request_reason", q.text(input.reason.clone())),
        ("request_ending_at", q.opt_timestamp(ending)),
        ("approval_ending_at", "NULL".into()),
        ("approved_membership_id", "NULL".into()),
    ];
    pending_request_insert(&mut q, "role_request", &id, at, &requester.id, specific);
    tx.execute(&q).await?;
    let row: RoleRequestRow = read_back(&mut tx, ROLE_REQUEST_SELECT, &id).await?;
    tx.commit().await?;

    events.push(
        AuditEvent::new("ROLE_REQUEST_CREATE")
            .with("current_user_id", json!(requester.id))
            .with("current_user_email", json!(requester.email))
            .with("group", group_json(&group))
            .with(
                "role_request",
                json!({"id": id, "requester_role": {"id": role.id, "name": role.name},
                       "request_reason": input.reason, "request_ending_at": ts_json(ending),
                       "request_ownership": input.ownership}),
            )
            .with("requester", user_json(&requester))
            .with(
                "group_owners",
                Value::Array(approvers.iter().map(user_json).collect()),
            ),
    );
    emit(&events, w.call);
    tracing::info!(
        request_id = %w.call.request.id,
        "MCP create_role_request id={id} requester={} role={} group={}",
        requester.id, role.id, group.id
    );
    Ok(row.into())
}
