//! `create_access_request` (§10.1).

use serde_json::{Value, json};

use super::approvers::{group_managers, request_approvers};
use super::audit_json::{group_json, ts_json, user_json};
use super::filing::{pending_request_insert, read_back, supersede_pending};
use super::lookups::{live_group, live_user};
use super::summary::{closing, kind_of, until};
use super::{
    NOT_ALLOWED, SUPERSEDED_ACCESS, UNMANAGED, WriteContext, WriteError, check_reason, random_id,
};
use crate::audit::{AuditEvent, emit};
use crate::bindings::access::directory::requests as rq;
use crate::bindings::access_types as t;
use crate::db::reads::ACCESS_REQUEST_SELECT;
use crate::db::rows::AccessRequestRow;
use crate::db::time::{from_wit, now};
use crate::db::{Arg, Db, Query};
use mcp_host::confirm::PlannedWrite;

pub async fn create_access_request(
    db: &Db,
    w: &WriteContext<'_>,
    input: &rq::AccessRequestInput,
) -> Result<t::AccessRequest, WriteError> {
    check_reason("reason", &input.reason)?;
    let requester = live_user(db, &w.call.caller.user_id)
        .await?
        .ok_or_else(|| WriteError::Denied(NOT_ALLOWED.into()))?;
    let group = live_group(db, &input.group_id)
        .await?
        .ok_or_else(|| WriteError::NotFound("Group not found".into()))?;
    if !group.is_managed {
        return Err(WriteError::Invalid(UNMANAGED.into()));
    }
    let ending = input.ending_at.and_then(from_wit);
    let pending_of_kind = [
        ("requester_user_id", Arg::Text(requester.id.clone())),
        ("requested_group_id", Arg::Text(group.id.clone())),
        ("request_ownership", Arg::Bool(input.ownership)),
    ];
    let approvers = request_approvers(
        db,
        &group,
        &requester.id,
        group_managers(db, &group.id).await?,
    )
    .await?;
    w.call.write_gate.check(PlannedWrite {
        kind: "access_request".into(),
        binding: json!({"group_id": group.id, "ownership": input.ownership, "reason": input.reason}),
        ending_at: ending,
        summary: format!(
            "File an access request for {}: {} of the group \"{}\", {}. {}",
            requester.email,
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
        "access_request",
        &pending_of_kind,
        &requester.id,
        SUPERSEDED_ACCESS,
        at,
    )
    .await?;
    for old in &superseded {
        events.push(
            AuditEvent::new("ACCESS_REJECT")
                .with("current_user_id", json!(requester.id))
                .with("current_user_email", json!(requester.email))
                .with("group", group_json(&group))
                .with("request", json!({"id": old, "rejection_reason": SUPERSEDED_ACCESS, "request_ownership": input.ownership}))
                .with("requester", user_json(&requester)),
        );
    }
    let mut q = Query::default();
    let specific = vec![
        ("requested_group_id", q.text(group.id.clone())),
        ("request_ownership", q.boolean(input.ownership)),
        ("request_reason", q.text(input.reason.clone())),
        ("request_ending_at", q.opt_timestamp(ending)),
        ("approved_membership_id", "NULL".into()),
        ("approval_ending_at", "NULL".into()),
    ];
    pending_request_insert(&mut q, "access_request", &id, at, &requester.id, specific);
    tx.execute(&q).await?;
    let row: AccessRequestRow = read_back(&mut tx, ACCESS_REQUEST_SELECT, &id).await?;
    tx.commit().await?;

    events.push(
        AuditEvent::new("ACCESS_CREATE")
            .with("current_user_id", json!(requester.id))
            .with("current_user_email", json!(requester.email))
            .with("group", group_json(&group))
            .with(
                "request",
                json!({"id": id, "request_reason": input.reason, "request_ending_at": ts_json(ending),
                       "request_ownership": input.ownership}),
            )
            .with("requester", user_json(&requester))
            .with("group_owners", Value::Array(approvers.iter().map(user_json).collect())),
    );
    emit(&events, w.call);
    tracing::info!(
        request_id = %w.call.request.id,
        "MCP create_access_request id={id} requester={} group={} ownership={}",
        requester.id, group.id, input.ownership
    );
    Ok(row.into())
}
