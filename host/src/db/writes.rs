//! The three request operations of Access (§10), each a whole host operation:
//! every check of the upstream operation, then supersede + insert (+ the
//! app-owner auto-approval of app-group requests) in ONE transaction, then the
//! audit events. Unlike upstream, a failure leaves nothing half-done.
//!
//! Each operation checks the caller's `create_requests` scope and the
//! permission the operation needs itself, whatever the calling plugin did.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use serde_json::{Value, json};

use super::reads::{
    self, ACCESS_REQUEST_SELECT, GROUP_REQUEST_SELECT, GROUP_SELECT, ROLE_REQUEST_SELECT,
};
use super::rows::{AccessRequestRow, GroupRequestRow, GroupRow, RoleRequestRow, parse_constraints};
use super::time::{from_wit, now};
use super::{AnyRow, Arg, Db, DbError, Query, Tx};
use crate::audit::{AuditContext, AuditEvent, emit};
use crate::bindings::access::directory::requests as rq;
use crate::bindings::access_types as t;
use crate::caller::{Caller, SCOPE_CREATE_REQUESTS};
use crate::confirm::{GateRefusal, PlannedWrite, WriteGate};

pub const NOT_ALLOWED: &str = "Current user is not allowed to perform this action";
pub const UNMANAGED: &str = "Groups not managed by Access cannot be modified";
pub const SUPERSEDED_ACCESS: &str = "Superseded by a newer request from the same user";
pub const SUPERSEDED_ROLE: &str = "Closed due to duplicate role request creation";
pub const SUPERSEDED_GROUP: &str = "Closed due to duplicate group request creation";
pub const AUTO_APPROVED_GROUP: &str = "Requester owns parent app and can create app groups";
/// Access's default `NAME_VALIDATION_PATTERN` for group-request names.
pub const NAME_PATTERN: &str = "^[A-Z][A-Za-z0-9-]*$";
/// Access's `request_reason` column: `VARCHAR(1024)`.
pub const MAX_REASON_CHARS: usize = 1024;
/// Tags one group request may ask to attach.
pub const MAX_REQUESTED_TAGS: usize = 100;
/// Longest id looked up (Access's ids are at most 50 characters); a longer
/// one cannot match and is answered as not found without a query.
pub const MAX_ID_CHARS: usize = 64;

/// A request reason within Access's column, in Pydantic's words at `loc`.
fn check_reason(loc: &str, reason: &str) -> Result<(), WriteError> {
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(WriteError::Invalid(format!(
            "{loc}: String should have at most {MAX_REASON_CHARS} characters"
        )));
    }
    Ok(())
}

/// Whether `id` could be an Access id at all.
fn plausible_id(id: &str) -> bool {
    id.len() <= MAX_ID_CHARS
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Held back by the confirmation gate (planning, or not what was confirmed).
    #[error(transparent)]
    Unconfirmed(#[from] GateRefusal),
}

/// Settings of the write operations (Access's config).
#[derive(Debug, Clone, Default)]
pub struct WriteSettings {
    pub require_descriptions: bool,
}

/// Who writes, from where, and whether the write was confirmed. Bound by the host.
pub struct WriteContext<'a> {
    pub caller: &'a Caller,
    pub audit: AuditContext,
    pub settings: WriteSettings,
    pub gate: &'a WriteGate,
}

fn until(end: Option<NaiveDateTime>) -> String {
    end.map_or("with no end date".into(), |e| {
        format!("until {} UTC", e.format("%Y-%m-%d %H:%M"))
    })
}

fn reason_text(reason: &str) -> String {
    if reason.trim().is_empty() {
        "No reason given.".into()
    } else {
        format!("Reason: \"{}\".", reason.trim())
    }
}

/// "alice@x, bob@y and 3 more" (or "The approvers" when none is known).
fn approvers_text(approvers: &[UserRef]) -> String {
    match approvers.len() {
        0 => "The approvers".into(),
        n if n <= 3 => approvers
            .iter()
            .map(|u| u.email.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        n => format!(
            "{} and {} more",
            approvers[..3]
                .iter()
                .map(|u| u.email.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            n - 3
        ),
    }
}

/// The reason and who approves, closing a summary.
fn closing(reason: &str, approvers: &[UserRef]) -> String {
    format!(
        "{} {} will be asked to approve it.",
        reason_text(reason),
        approvers_text(approvers)
    )
}

fn kind_of(ownership: bool) -> &'static str {
    if ownership { "ownership" } else { "membership" }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct UserRef {
    id: String,
    email: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct IdRow {
    id: String,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct TagRef {
    id: String,
    enabled: bool,
    constraints: Option<String>,
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct AppTagRef {
    id: i64,
    tag_id: String,
}

fn random_id(len: usize, digits: bool) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let set = if digits { ALNUM } else { LETTERS };
    let mut rng = rand::rng();
    (0..len)
        .map(|_| set[rng.random_range(0..set.len())] as char)
        .collect()
}

fn check_scope(w: &WriteContext<'_>) -> Result<(), WriteError> {
    if w.caller.has_scope(SCOPE_CREATE_REQUESTS) {
        Ok(())
    } else {
        Err(WriteError::Denied(crate::capabilities::scope_error(
            SCOPE_CREATE_REQUESTS,
        )))
    }
}

fn user_json(u: &UserRef) -> Value {
    json!({"id": u.id, "email": u.email})
}

fn ts_json(t: Option<NaiveDateTime>) -> Value {
    t.map(|t| json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
        .unwrap_or(Value::Null)
}

fn group_json(g: &GroupRow) -> Value {
    json!({
        "id": g.id, "name": g.name, "type": g.group_type,
        "app": g.app_id.as_ref().map(|id| json!({"id": id, "name": g.app_name})),
        "plugin_data": g.plugin_data.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()),
    })
}

async fn live_user(db: &Db, id: &str) -> Result<Option<UserRef>, DbError> {
    let mut q = Query::new("SELECT u.id AS id, u.email AS email FROM okta_user u WHERE u.id = ");
    let p = q.text(id);
    q.push(&format!("{p} AND u.deleted_at IS NULL"));
    db.fetch_optional(&q).await
}

async fn live_group(db: &Db, id: &str) -> Result<Option<GroupRow>, DbError> {
    if !plausible_id(id) {
        return Ok(None);
    }
    let mut q = Query::new(GROUP_SELECT);
    let p = q.text(id);
    q.push(&format!(" WHERE g.id = {p} AND g.deleted_at IS NULL"));
    db.fetch_optional(&q).await
}

/// Users with an active owner row in the group.
async fn group_managers(db: &Db, group_id: &str) -> Result<Vec<UserRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT u.id AS id, u.email AS email FROM okta_user_group_member m \
         JOIN okta_user u ON u.id = m.user_id WHERE m.group_id = ",
    );
    let g = q.text(group_id);
    q.push(&format!(
        "{g} AND m.is_owner = TRUE AND u.deleted_at IS NULL AND {} ORDER BY u.id",
        reads::active(db, "m")
    ));
    db.fetch_all(&q).await
}

/// Users with an active row (`owner` or member) in the app's non-deleted owner groups.
async fn app_owner_group_users(
    db: &Db,
    app_filter: &str,
    arg: &str,
    owner: bool,
) -> Result<Vec<UserRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT u.id AS id, u.email AS email FROM okta_user_group_member m \
         JOIN okta_user u ON u.id = m.user_id JOIN app_group ag ON ag.id = m.group_id \
         JOIN okta_group og ON og.id = ag.id JOIN app a ON a.id = ag.app_id WHERE ",
    );
    let p = q.text(arg);
    let o = q.boolean(owner);
    q.push(&format!(
        "{app_filter} = {p} AND a.deleted_at IS NULL AND ag.is_owner = TRUE AND og.deleted_at IS NULL \
         AND m.is_owner = {o} AND u.deleted_at IS NULL AND {} ORDER BY u.id",
        reads::active(db, "m")
    ));
    db.fetch_all(&q).await
}

async fn app_managers(db: &Db, app_id: &str) -> Result<Vec<UserRef>, DbError> {
    app_owner_group_users(db, "a.id", app_id, true).await
}

async fn access_admins(db: &Db) -> Result<Vec<UserRef>, DbError> {
    let name = db.settings().app_name.clone();
    app_owner_group_users(db, "a.name", &name, false).await
}

fn only(users: &[UserRef], id: &str) -> bool {
    users.len() == 1 && users[0].id == id
}

/// Approvers of an access or role request (§10.1 step 2, §10.2 step 5).
async fn request_approvers(
    db: &Db,
    group: &GroupRow,
    requester: &str,
    mut managers: Vec<UserRef>,
) -> Result<Vec<UserRef>, DbError> {
    let is_app_group = group.group_type == "app_group";
    if is_app_group
        && (managers.is_empty() || only(&managers, requester))
        && let Some(app) = &group.app_id
    {
        managers = app_managers(db, app).await?;
    }
    if managers.is_empty() || only(&managers, requester) {
        managers = access_admins(db).await?;
    }
    Ok(managers)
}

/// Enabled, active tags attached to a group (constraints that apply to it).
async fn enabled_group_tags(db: &Db, group_id: &str) -> Result<Vec<TagRef>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT tg.id AS id, tg.enabled AS enabled, CAST(tg.constraints AS TEXT) AS constraints \
         FROM okta_group_tag_map gt JOIN tag tg ON tg.id = gt.tag_id WHERE gt.group_id = ",
    );
    let g = q.text(group_id);
    q.push(&format!(
        "{g} AND tg.deleted_at IS NULL AND tg.enabled = TRUE AND {}",
        reads::active(db, "gt")
    ));
    db.fetch_all(&q).await
}

async fn role_members(db: &Db, role_id: &str) -> Result<BTreeSet<String>, DbError> {
    let mut q = Query::new(
        "SELECT DISTINCT m.user_id AS id FROM okta_user_group_member m WHERE m.group_id = ",
    );
    let r = q.text(role_id);
    q.push(&format!(
        "{r} AND m.is_owner = FALSE AND {}",
        reads::active(db, "m")
    ));
    Ok(db
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Reject the given pending requests of `table` with `reason` (the supersede step).
async fn reject_pending(
    tx: &mut Tx,
    table: &str,
    ids: &[String],
    resolver: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut q = Query::new(format!("UPDATE {table} SET status = 'REJECTED', "));
    let now = q.timestamp(at);
    let who = q.text(resolver);
    let why = q.text(reason);
    let list = q.text_list(ids);
    q.push(&format!(
        "resolved_at = {now}, updated_at = {now}, resolver_user_id = {who}, resolution_reason = {why} \
         WHERE id IN {list} AND status = 'PENDING' AND resolved_at IS NULL"
    ));
    tx.execute(&q).await?;
    Ok(())
}

async fn pending_ids(
    db: &Db,
    table: &str,
    conditions: &[(&str, Arg)],
) -> Result<Vec<String>, DbError> {
    let mut q = Query::new(format!(
        "SELECT rq.id AS id FROM {table} rq WHERE rq.status = 'PENDING' AND rq.resolved_at IS NULL"
    ));
    for (col, v) in conditions {
        let p = q.arg(v.clone());
        q.push(&format!(" AND rq.{col} = {p}"));
    }
    q.push(" ORDER BY rq.created_at");
    Ok(db
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Make `q` the `INSERT` of a new PENDING request into `table`: the columns
/// every request table shares, then `specific` (column and its placeholder or
/// SQL literal, bound on `q` by the caller).
fn pending_request_insert(
    q: &mut Query,
    table: &str,
    id: &str,
    at: NaiveDateTime,
    requester_id: &str,
    specific: Vec<(&str, String)>,
) {
    let shared = vec![
        ("id", q.text(id)),
        ("created_at", q.timestamp(at)),
        ("updated_at", q.timestamp(at)),
        ("resolved_at", "NULL".into()),
        ("status", "'PENDING'".into()),
        ("requester_user_id", q.text(requester_id)),
        ("resolver_user_id", "NULL".into()),
        ("resolution_reason", "''".into()),
    ];
    let (columns, values): (Vec<&str>, Vec<String>) = shared.into_iter().chain(specific).unzip();
    q.sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    );
}

/// The request just inserted, re-read inside the transaction.
async fn read_back<R: AnyRow>(tx: &mut Tx, select: &str, id: &str) -> Result<R, DbError> {
    let mut q = Query::new(select);
    let p = q.text(id);
    q.push(&format!(" WHERE rq.id = {p}"));
    tx.fetch_optional(&q)
        .await?
        .ok_or_else(|| DbError::Query(format!("the new request {id} was not found")))
}

// ------------------------------------------------------------ access requests

pub async fn create_access_request(
    db: &Db,
    w: &WriteContext<'_>,
    input: &rq::AccessRequestInput,
) -> Result<t::AccessRequest, WriteError> {
    check_scope(w)?;
    check_reason("reason", &input.reason)?;
    let requester = live_user(db, &w.caller.user_id)
        .await?
        .ok_or_else(|| WriteError::Denied(NOT_ALLOWED.into()))?;
    let group = live_group(db, &input.group_id)
        .await?
        .ok_or_else(|| WriteError::NotFound("Group not found".into()))?;
    if !group.is_managed {
        return Err(WriteError::Invalid(UNMANAGED.into()));
    }
    let ending = input.ending_at.and_then(from_wit);
    let superseded = pending_ids(
        db,
        "access_request",
        &[
            ("requester_user_id", Arg::Text(requester.id.clone())),
            ("requested_group_id", Arg::Text(group.id.clone())),
            ("request_ownership", Arg::Bool(input.ownership)),
        ],
    )
    .await?;
    let approvers = request_approvers(
        db,
        &group,
        &requester.id,
        group_managers(db, &group.id).await?,
    )
    .await?;
    w.gate.check(PlannedWrite {
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
    reject_pending(
        &mut tx,
        "access_request",
        &superseded,
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
    emit(&events, &w.audit);
    tracing::info!(
        request_id = %w.audit.request_id,
        "MCP create_access_request id={id} requester={} group={} ownership={}",
        requester.id, group.id, input.ownership
    );
    Ok(row.into())
}

// ------------------------------------------------------------ role requests

pub async fn create_role_request(
    db: &Db,
    w: &WriteContext<'_>,
    input: &rq::RoleRequestInput,
) -> Result<t::RoleRequest, WriteError> {
    check_scope(w)?;
    check_reason("reason", &input.reason)?;
    let requester = live_user(db, &w.caller.user_id)
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
    let superseded = pending_ids(
        db,
        "role_request",
        &[
            ("requester_user_id", Arg::Text(requester.id.clone())),
            ("requester_role_id", Arg::Text(role.id.clone())),
            ("requested_group_id", Arg::Text(group.id.clone())),
            ("request_ownership", Arg::Bool(input.ownership)),
        ],
    )
    .await?;

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
    w.gate.check(PlannedWrite {
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
    reject_pending(
        &mut tx,
        "role_request",
        &superseded,
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
    emit(&events, &w.audit);
    tracing::info!(
        request_id = %w.audit.request_id,
        "MCP create_role_request id={id} requester={} role={} group={}",
        requester.id, role.id, group.id
    );
    Ok(row.into())
}

// ------------------------------------------------------------ group requests

fn type_name(t: t::GroupType) -> &'static str {
    super::rows::group_type_sql(t)
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
    check_scope(w)?;
    validate_group_request_body(input, &w.settings)?;
    let requester = live_user(db, &w.caller.user_id)
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
    let superseded = pending_ids(db, "group_request", &conditions).await?;
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
    w.gate.check(PlannedWrite {
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
    reject_pending(
        &mut tx,
        "group_request",
        &superseded,
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
    emit(&events, &w.audit);
    tracing::info!(
        request_id = %w.audit.request_id,
        "MCP create_group_request id={id} requester={} name={name} type={}",
        requester.id, type_name(input.group_type)
    );
    Ok(row.into())
}

/// `min(now + limit, requested)`, or `now + limit` when nothing was requested.
fn clip(
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
async fn approve_app_group(
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
