//! The request reads: access requests (a user asks for a group or role for
//! themselves), role requests (a role owner asks for the role to be mapped
//! onto a group) and group requests (someone asks for a new group).

use serde_json::{Value, json};

use super::{
    ToolSpec, active_rows, non_empty, object_schema, q_param, required_str, resolve_me, str_param,
    t_bool, t_opt_obj, t_opt_str, t_str, t_str_list,
};
use crate::access::directory::reads::{self, RequestFilter};
use crate::access::directory::types::{
    AccessRequest, GroupRequest, GroupType, RequestStatus, RoleRequest,
};
use crate::args::Args;
use crate::envelope::{self, Paging};
use crate::error::{ToolError, ToolResult};
use crate::wire::{self, Lookup, Obj};

/// Said where a user reading a request's reason or end date would want to know (§15 item 8).
macro_rules! unchecked_note {
    () => {
        " request_reason and request_ending_at are what the requester asked for: they are not \
checked against the target's tag constraints when the request is filed (tag time limits and \
reason rules apply when an owner approves), so a pending request may ask for longer than a tag \
allows or carry no reason where one is required."
    };
}

fn status_param() -> (&'static str, Value) {
    (
        "status",
        json!({"type": "string", "default": "",
        "description": "Exact status, upper case: PENDING, APPROVED or REJECTED; empty for all."}),
    )
}

fn status_arg(args: &Args) -> ToolResult<Option<RequestStatus>> {
    match args.string("status", "")?.as_str() {
        "" => Ok(None),
        "PENDING" => Ok(Some(RequestStatus::Pending)),
        "APPROVED" => Ok(Some(RequestStatus::Approved)),
        "REJECTED" => Ok(Some(RequestStatus::Rejected)),
        _ => Err(ToolError::new(
            "status: Input should be 'PENDING', 'APPROVED' or 'REJECTED'",
        )),
    }
}

fn group_type_arg(args: &Args) -> ToolResult<Option<GroupType>> {
    match args.string("requested_group_type", "")?.as_str() {
        "" => Ok(None),
        "okta_group" => Ok(Some(GroupType::OktaGroup)),
        "role_group" => Ok(Some(GroupType::RoleGroup)),
        "app_group" => Ok(Some(GroupType::AppGroup)),
        _ => Err(ToolError::new(
            "requested_group_type: Input should be 'okta_group', 'role_group' or 'app_group'",
        )),
    }
}

fn user_param(name: &'static str, who: &str) -> (&'static str, Value) {
    str_param(
        name,
        &format!("Exact user id of the {who}, or '@me' for the calling user; empty for all."),
    )
}

fn filter(q: String, status: Option<RequestStatus>) -> RequestFilter {
    RequestFilter {
        query: q,
        status,
        requester_user_id: None,
        resolver_user_id: None,
        requested_group_id: None,
        requester_role_id: None,
        requested_group_type: None,
        requested_app_id: None,
    }
}

fn user_arg(args: &Args, name: &str) -> ToolResult<Option<String>> {
    Ok(non_empty(args.string(name, "")?).map(resolve_me))
}

fn id_arg(args: &Args, name: &str) -> ToolResult<Option<String>> {
    Ok(non_empty(args.string(name, "")?))
}

fn request_schema(extra: Vec<(&'static str, Value)>) -> Value {
    let mut props = vec![
        ("id", t_str()),
        ("requester_user_id", t_opt_str()),
        ("requester_role_id", t_opt_str()),
        ("requested_group_id", t_opt_str()),
        ("request_ownership", t_bool()),
        ("request_reason", t_opt_str()),
        ("request_ending_at", t_opt_str()),
        ("status", t_str()),
        ("resolver_user_id", t_opt_str()),
        ("resolution_reason", t_opt_str()),
        ("resolved_at", t_opt_str()),
        ("approval_ending_at", t_opt_str()),
        ("created_at", t_str()),
        ("updated_at", t_str()),
        ("requester", t_opt_obj()),
    ];
    props.extend(extra);
    props.extend([
        ("requested_group", t_opt_obj()),
        ("active_requested_group", t_opt_obj()),
        ("resolver", t_opt_obj()),
        ("active_resolver", t_opt_obj()),
    ]);
    object_schema(props)
}

// ---------------------------------------------------------------- access requests

fn access_scalars(r: &AccessRequest) -> Obj {
    Obj::new()
        .s("id", &r.id)
        .s("requester_user_id", &r.requester_user_id)
        .s("requested_group_id", &r.requested_group_id)
        .b("request_ownership", r.request_ownership)
        .s("request_reason", &r.request_reason)
        .ot("request_ending_at", r.request_ending_at)
        .s("status", wire::status(r.status))
        .os("resolver_user_id", r.resolver_user_id.as_deref())
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .ot("approval_ending_at", r.approval_ending_at)
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
}

fn need_access(lookup: &mut Lookup, r: &AccessRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
    lookup.need_group(&r.requested_group_id);
}

/// `AccessRequestSummary` / `AccessRequestDetail`, given the `requested_group` to use.
fn access_request(lookup: &Lookup, r: &AccessRequest, requested_group: Value) -> Value {
    access_scalars(r)
        .v("requester", lookup.user_json(Some(&r.requester_user_id)))
        .v(
            "active_requester",
            lookup.live_user_json(Some(&r.requester_user_id)),
        )
        .v("requested_group", requested_group)
        .ov(
            "active_requested_group",
            lookup
                .live_group(&r.requested_group_id)
                .map(wire::request_group_ref),
        )
        .v("resolver", lookup.user_json(r.resolver_user_id.as_deref()))
        .v(
            "active_resolver",
            lookup.live_user_json(r.resolver_user_id.as_deref()),
        )
        .done()
}

pub const LIST_ACCESS_REQUESTS: ToolSpec = ToolSpec {
    name: "list_access_requests",
    title: "List access requests",
    description: concat!(
        "List access requests (a user asking for membership, or ownership when \
request_ownership=true, of one group or role for themselves), newest first. Filters: `status` \
(PENDING, APPROVED or REJECTED, exact and upper case; any other value is an error), \
`requester_user_id` and `resolver_user_id` (exact user id, or '@me' for the caller: e.g. \
requester_user_id='@me', status='PENDING' for my open requests), `requested_group_id` (exact \
group id; look ids up with list_groups). `q` matches the start of the request id or any part of \
request_reason. Each result names requester, requested_group, resolver (active_* variants are \
null when that user or group has since been deleted), resolution_reason and \
approval_ending_at (the end date the approver set).",
        unchecked_note!(),
        " Requires the read_all scope."
    ),
    params: || {
        let mut p = vec![
            q_param("the request reason (and a request id prefix)"),
            status_param(),
            user_param("requester_user_id", "user who filed the request"),
            str_param(
                "requested_group_id",
                "Exact id of the requested group or role; empty for all.",
            ),
            user_param("resolver_user_id", "user who approved or rejected it"),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || envelope::schema(json!({"type": "object", "description": "AccessRequestSummary"})),
    handler: list_access_requests,
};

fn list_access_requests(args: &Args) -> ToolResult<Value> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requested_group_id = id_arg(args, "requested_group_id")?;
    f.resolver_user_id = user_arg(args, "resolver_user_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_access_requests(&f, paging.request())?;

    let mut lookup = Lookup::new();
    for r in &page.items {
        need_access(&mut lookup, r);
    }
    lookup.fetch()?;
    let items = page
        .items
        .iter()
        .map(|r| {
            let group = lookup
                .group(&r.requested_group_id)
                .map(wire::request_group_ref)
                .unwrap_or(Value::Null);
            access_request(&lookup, r, group)
        })
        .collect();
    Ok(paging.envelope(page.total, items))
}

pub const GET_ACCESS_REQUEST: ToolSpec = ToolSpec {
    name: "get_access_request",
    title: "Get access request",
    description: concat!(
        "Detail of one access request by its exact id. Same fields as list_access_requests, with a \
richer requested_group: its active_group_tags (the constraints an approver must respect), for a \
role the groups it grants (active_role_associated_group_member_mappings / _owner_mappings), for \
an app group is_owner and app.",
        unchecked_note!(),
        " Requires the read_all scope."
    ),
    params: || vec![required_str("access_request_id", "The access request id.")],
    required: &["access_request_id"],
    output: || request_schema(vec![("active_requester", t_opt_obj())]),
    handler: get_access_request,
};

fn get_access_request(args: &Args) -> ToolResult<Value> {
    let id = args.required_string("access_request_id")?;
    let r = reads::find_access_request(&id)?.ok_or(ToolError::new("Access request not found"))?;
    let group_ids = [r.requested_group_id.clone()];
    let tag_maps = reads::group_tag_maps(Some(&group_ids), None)?;
    let role_maps = reads::role_mappings_of_roles(&group_ids)?;

    let mut lookup = Lookup::new();
    need_access(&mut lookup, &r);
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    for m in &role_maps {
        lookup.need_role_mapping(m);
    }
    lookup.fetch()?;

    let rich = match lookup.group(&r.requested_group_id) {
        None => Value::Null,
        Some(g) => {
            let mut o = Obj::new()
                .s("id", &g.id)
                .s("type", wire::group_type(g.group_type))
                .s("name", &g.name)
                .ot("deleted_at", g.deleted_at);
            if g.group_type == GroupType::AppGroup {
                o = o
                    .b("is_owner", g.is_owner)
                    .ov("app", g.app.as_ref().map(wire::app_id_ref));
            }
            o = o.v("active_group_tags", lookup.tags_of_group(&tag_maps, &g.id));
            if g.group_type == GroupType::RoleGroup {
                let of_kind = |owner: bool| -> Value {
                    role_maps
                        .iter()
                        .filter(|m| m.is_owner == owner)
                        .map(|m| lookup.role_mapping(m))
                        .collect()
                };
                o = o
                    .v(
                        "active_role_associated_group_member_mappings",
                        of_kind(false),
                    )
                    .v("active_role_associated_group_owner_mappings", of_kind(true));
            }
            o.done()
        }
    };
    Ok(access_request(&lookup, &r, rich))
}

// ---------------------------------------------------------------- role requests

fn role_scalars(r: &RoleRequest) -> Obj {
    Obj::new()
        .s("id", &r.id)
        .s("requester_user_id", &r.requester_user_id)
        .s("requester_role_id", &r.requester_role_id)
        .s("requested_group_id", &r.requested_group_id)
        .b("request_ownership", r.request_ownership)
        .s("request_reason", &r.request_reason)
        .ot("request_ending_at", r.request_ending_at)
        .s("status", wire::status(r.status))
        .os("resolver_user_id", r.resolver_user_id.as_deref())
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .ot("approval_ending_at", r.approval_ending_at)
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
}

fn need_role(lookup: &mut Lookup, r: &RoleRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
    lookup.need_group(&r.requester_role_id);
    lookup.need_group(&r.requested_group_id);
}

/// `RoleRequestSummary` / `RoleRequestDetail`, given `requester_role` and
/// `requested_group`. `active_requester_role` is the role when it is not
/// deleted (upstream returned the requested group there: §15 item 6, fixed).
fn role_request(lookup: &Lookup, r: &RoleRequest, role: Value, group: Value) -> Value {
    role_scalars(r)
        .v("requester", lookup.user_json(Some(&r.requester_user_id)))
        .v("requester_role", role)
        .ov(
            "active_requester_role",
            lookup
                .live_group(&r.requester_role_id)
                .map(wire::request_group_ref),
        )
        .v("requested_group", group)
        .ov(
            "active_requested_group",
            lookup
                .live_group(&r.requested_group_id)
                .map(wire::request_group_ref),
        )
        .v("resolver", lookup.user_json(r.resolver_user_id.as_deref()))
        .v(
            "active_resolver",
            lookup.live_user_json(r.resolver_user_id.as_deref()),
        )
        .done()
}

pub const LIST_ROLE_REQUESTS: ToolSpec = ToolSpec {
    name: "list_role_requests",
    title: "List role requests",
    description: concat!(
        "List role requests, newest first: an owner of a role asking for the role to be mapped onto \
a group or app group, so that every member of the role gets membership (or ownership when \
request_ownership=true) of it. Filters: `status` (PENDING, APPROVED or REJECTED, exact and upper \
case; any other value is an error), `requester_user_id` (exact user id or '@me'), \
`requester_role_id` (exact role id), `requested_group_id` (exact group id). `q` matches the start \
of the request id or any part of request_reason. requester_role / active_requester_role are the \
role (the active_ variant is null once the role is deleted); requested_group / \
active_requested_group the target group.",
        unchecked_note!(),
        " Requires the read_all scope."
    ),
    params: || {
        let mut p = vec![
            q_param("the request reason (and a request id prefix)"),
            status_param(),
            user_param("requester_user_id", "user who filed the request"),
            str_param(
                "requester_role_id",
                "Exact id of the role to be mapped; empty for all.",
            ),
            str_param(
                "requested_group_id",
                "Exact id of the target group; empty for all.",
            ),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || envelope::schema(json!({"type": "object", "description": "RoleRequestSummary"})),
    handler: list_role_requests,
};

fn list_role_requests(args: &Args) -> ToolResult<Value> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requester_role_id = id_arg(args, "requester_role_id")?;
    f.requested_group_id = id_arg(args, "requested_group_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_role_requests(&f, paging.request())?;

    let mut lookup = Lookup::new();
    for r in &page.items {
        need_role(&mut lookup, r);
    }
    lookup.fetch()?;
    let items = page
        .items
        .iter()
        .map(|r| {
            let ref_of = |id: &str| {
                lookup
                    .group(id)
                    .map(wire::request_group_ref)
                    .unwrap_or(Value::Null)
            };
            role_request(
                &lookup,
                r,
                ref_of(&r.requester_role_id),
                ref_of(&r.requested_group_id),
            )
        })
        .collect();
    Ok(paging.envelope(page.total, items))
}

pub const GET_ROLE_REQUEST: ToolSpec = ToolSpec {
    name: "get_role_request",
    title: "Get role request",
    description: concat!(
        "Detail of one role request by its exact id. Same fields as list_role_requests, with \
requester_role.active_user_memberships (the role's current members: everyone who would gain the \
access) and requested_group.active_group_tags (the target's constraints). The member list holds \
at most the server's inline limit of rows (default 100), newest first; when it was cut, \
requester_role.active_user_memberships_total gives the full count (absent otherwise) — use \
list_group_memberships on the role for every member.",
        unchecked_note!(),
        " Requires the read_all scope."
    ),
    params: || vec![required_str("role_request_id", "The role request id.")],
    required: &["role_request_id"],
    output: || {
        request_schema(vec![
            ("requester_role", t_opt_obj()),
            ("active_requester_role", t_opt_obj()),
        ])
    },
    handler: get_role_request,
};

fn get_role_request(args: &Args) -> ToolResult<Value> {
    let id = args.required_string("role_request_id")?;
    let r = reads::find_role_request(&id)?.ok_or(ToolError::new("Role request not found"))?;
    let limit = reads::inline_list_limit();
    let members = active_rows(None, Some(&r.requester_role_id), false, limit)?;
    let tag_maps = reads::group_tag_maps(Some(std::slice::from_ref(&r.requested_group_id)), None)?;

    let mut lookup = Lookup::new();
    need_role(&mut lookup, &r);
    for m in &members.items {
        lookup.need_membership(m);
    }
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    lookup.fetch()?;

    let role = match lookup.group(&r.requester_role_id) {
        None => Value::Null,
        Some(g) => {
            let mut v = wire::request_group_ref(g);
            lookup
                .memberships(&members)
                .insert(&mut v, "active_user_memberships");
            v
        }
    };
    let group = match lookup.group(&r.requested_group_id) {
        None => Value::Null,
        Some(g) => {
            let mut v = wire::request_group_ref(g);
            v["active_group_tags"] = lookup.tags_of_group(&tag_maps, &g.id);
            v
        }
    };
    Ok(role_request(&lookup, &r, role, group))
}

// ---------------------------------------------------------------- group requests

/// `GroupRequestDetail`.
fn group_request(lookup: &Lookup, r: &GroupRequest) -> Value {
    let tags = |t: &[String]| Value::from(t.to_vec());
    Obj::new()
        .s("id", &r.id)
        .s("status", wire::status(r.status))
        .s("requested_group_name", &r.requested_group_name)
        .s(
            "requested_group_description",
            &r.requested_group_description,
        )
        .s(
            "requested_group_type",
            wire::group_type(r.requested_group_type),
        )
        .os("requested_app_id", r.requested_app_id.as_deref())
        .v("requested_group_tags", tags(&r.requested_group_tags))
        .ot(
            "requested_ownership_ending_at",
            r.requested_ownership_ending_at,
        )
        .s("request_reason", &r.request_reason)
        .os("resolved_group_name", r.resolved_group_name.as_deref())
        .os(
            "resolved_group_description",
            r.resolved_group_description.as_deref(),
        )
        .os(
            "resolved_group_type",
            r.resolved_group_type.map(wire::group_type),
        )
        .os("resolved_app_id", r.resolved_app_id.as_deref())
        .v(
            "resolved_group_tags",
            tags(r.resolved_group_tags.as_deref().unwrap_or_default()),
        )
        .ot(
            "resolved_ownership_ending_at",
            r.resolved_ownership_ending_at,
        )
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .os("approved_group_id", r.approved_group_id.as_deref())
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
        .v("requester", lookup.user_json(Some(&r.requester_user_id)))
        .v("resolver", lookup.user_json(r.resolver_user_id.as_deref()))
        .done()
}

fn need_group_request(lookup: &mut Lookup, r: &GroupRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
}

/// What a group request's fields mean, for both group-request tools.
macro_rules! group_request_fields {
    () => {
        " Each request gives requested_group_name, requested_group_description, \
requested_group_type, requested_app_id (app groups), requested_group_tags (tag ids), \
requested_ownership_ending_at and request_reason as filed; the resolved_* fields are what an \
approver settled on (they may edit name, description, type, app, tags and ownership end before \
approving); approved_group_id is the group created on approval, whose owner the requester \
becomes."
    };
}

pub const LIST_GROUP_REQUESTS: ToolSpec = ToolSpec {
    name: "list_group_requests",
    title: "List group requests",
    description: concat!(
        "List group requests, newest first: someone asking for a NEW group, role or app group to \
be created. Filters: `status` (PENDING, APPROVED or REJECTED, exact and upper case; any other \
value is an error), `requester_user_id` (exact user id or '@me'), `requested_group_type` \
(okta_group, role_group or app_group; any other value is an error), `requested_app_id` (exact \
app id). `q` matches the start of the request id, or any part of requested_group_name or \
request_reason. Results are full details.",
        group_request_fields!(),
        " Requires the read_all scope."
    ),
    params: || {
        let mut p = vec![
            q_param("the requested group name and the request reason (and a request id prefix)"),
            status_param(),
            user_param("requester_user_id", "user who filed the request"),
            (
                "requested_group_type",
                json!({"type": "string", "default": "",
                "description": "okta_group, role_group or app_group; empty for all."}),
            ),
            str_param(
                "requested_app_id",
                "Exact app id (app-group requests); empty for all.",
            ),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || envelope::schema(json!({"type": "object", "description": "GroupRequestDetail"})),
    handler: list_group_requests,
};

fn list_group_requests(args: &Args) -> ToolResult<Value> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requested_group_type = group_type_arg(args)?;
    f.requested_app_id = id_arg(args, "requested_app_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_group_requests(&f, paging.request())?;

    let mut lookup = Lookup::new();
    for r in &page.items {
        need_group_request(&mut lookup, r);
    }
    lookup.fetch()?;
    let items = page
        .items
        .iter()
        .map(|r| group_request(&lookup, r))
        .collect();
    Ok(paging.envelope(page.total, items))
}

pub const GET_GROUP_REQUEST: ToolSpec = ToolSpec {
    name: "get_group_request",
    title: "Get group request",
    description: concat!(
        "Detail of one group request (a request to create a new group, role or app group) by its \
exact id.",
        group_request_fields!(),
        " Requires the read_all scope."
    ),
    params: || vec![required_str("group_request_id", "The group request id.")],
    required: &["group_request_id"],
    output: || {
        object_schema(vec![
            ("id", t_str()),
            ("status", t_str()),
            ("requested_group_name", t_str()),
            ("requested_group_description", t_str()),
            ("requested_group_type", t_str()),
            ("requested_app_id", t_opt_str()),
            ("requested_group_tags", t_str_list()),
            ("requested_ownership_ending_at", t_opt_str()),
            ("request_reason", t_str()),
            ("resolved_group_name", t_opt_str()),
            ("resolved_group_description", t_opt_str()),
            ("resolved_group_type", t_opt_str()),
            ("resolved_app_id", t_opt_str()),
            ("resolved_group_tags", t_str_list()),
            ("resolved_ownership_ending_at", t_opt_str()),
            ("resolution_reason", t_str()),
            ("resolved_at", t_opt_str()),
            ("approved_group_id", t_opt_str()),
            ("created_at", t_str()),
            ("updated_at", t_str()),
            ("requester", t_opt_obj()),
            ("resolver", t_opt_obj()),
        ])
    },
    handler: get_group_request,
};

fn get_group_request(args: &Args) -> ToolResult<Value> {
    let id = args.required_string("group_request_id")?;
    let r = reads::find_group_request(&id)?.ok_or(ToolError::new("Group request not found"))?;
    let mut lookup = Lookup::new();
    need_group_request(&mut lookup, &r);
    lookup.fetch()?;
    Ok(group_request(&lookup, &r))
}
