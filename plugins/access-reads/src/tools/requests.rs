//! The request reads: access requests (a user asks for a group or role for
//! themselves), role requests (a role owner asks for the role to be mapped
//! onto a group) and group requests (someone asks for a new group).

use serde_json::{Value, json};

use super::{ToolSpec, active_rows, non_empty, q_param, required_str, resolve_me, str_param};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads::{self, RequestFilter};
use access_kit::access::directory::types::{GroupType, RequestStatus};
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::shapes;
use access_kit::wire::{self, Json, Lookup, Obj};

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

// ---------------------------------------------------------------- access requests

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

fn list_access_requests(args: &Args) -> ToolResult<Json> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requested_group_id = id_arg(args, "requested_group_id")?;
    f.resolver_user_id = user_arg(args, "resolver_user_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_access_requests(&f, paging.request())?;

    summarized_page(
        paging,
        page.total,
        &page.items,
        shapes::need_access,
        shapes::access_request_summary,
    )
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
    output: shapes::access_request_schema,
    handler: get_access_request,
};

fn get_access_request(args: &Args) -> ToolResult<Json> {
    let id = args.required_string("access_request_id")?;
    let r = reads::find_access_request(&id)?.ok_or(ToolError::new("Access request not found"))?;
    let group_ids = [r.requested_group_id.clone()];
    let tag_maps = reads::group_tag_maps(Some(&group_ids), None)?;
    let role_maps = reads::role_mappings_of_roles(&group_ids)?;

    let mut lookup = Lookup::new();
    shapes::need_access(&mut lookup, &r);
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    for m in &role_maps {
        lookup.need_role_mapping(m);
    }
    lookup.fetch()?;

    let rich = lookup.group(&r.requested_group_id).map(|g| {
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
            let of_kind = |owner: bool| -> Json {
                Json::array(
                    role_maps
                        .iter()
                        .filter(|m| m.is_owner == owner)
                        .map(|m| lookup.role_mapping(m)),
                )
            };
            o = o
                .v(
                    "active_role_associated_group_member_mappings",
                    of_kind(false),
                )
                .v("active_role_associated_group_owner_mappings", of_kind(true));
        }
        o.done()
    });
    Ok(shapes::access_request(&lookup, &r, rich.as_ref()))
}

// ---------------------------------------------------------------- role requests

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

fn list_role_requests(args: &Args) -> ToolResult<Json> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requester_role_id = id_arg(args, "requester_role_id")?;
    f.requested_group_id = id_arg(args, "requested_group_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_role_requests(&f, paging.request())?;

    summarized_page(
        paging,
        page.total,
        &page.items,
        shapes::need_role,
        shapes::role_request_summary,
    )
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
    output: shapes::role_request_schema,
    handler: get_role_request,
};

fn get_role_request(args: &Args) -> ToolResult<Json> {
    let id = args.required_string("role_request_id")?;
    let r = reads::find_role_request(&id)?.ok_or(ToolError::new("Role request not found"))?;
    let limit = reads::inline_list_limit();
    let members = active_rows(None, Some(&r.requester_role_id), false, limit)?;
    let tag_maps = reads::group_tag_maps(Some(std::slice::from_ref(&r.requested_group_id)), None)?;

    let mut lookup = Lookup::new();
    shapes::need_role(&mut lookup, &r);
    for m in &members.items {
        lookup.need_membership(m);
    }
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    lookup.fetch()?;

    let role = lookup.group(&r.requester_role_id).map(|g| {
        wire::request_group_ref_fields(g)
            .capped("active_user_memberships", lookup.memberships(&members))
            .done()
    });
    let group = lookup.group(&r.requested_group_id).map(|g| {
        wire::request_group_ref_fields(g)
            .v("active_group_tags", lookup.tags_of_group(&tag_maps, &g.id))
            .done()
    });
    Ok(shapes::role_request(
        &lookup,
        &r,
        role.as_ref(),
        group.as_ref(),
    ))
}

// ---------------------------------------------------------------- group requests

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

fn list_group_requests(args: &Args) -> ToolResult<Json> {
    let mut f = filter(args.string("q", "")?, status_arg(args)?);
    f.requester_user_id = user_arg(args, "requester_user_id")?;
    f.requested_group_type = group_type_arg(args)?;
    f.requested_app_id = id_arg(args, "requested_app_id")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_group_requests(&f, paging.request())?;

    summarized_page(
        paging,
        page.total,
        &page.items,
        shapes::need_group_request,
        shapes::group_request,
    )
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
    output: shapes::group_request_schema,
    handler: get_group_request,
};

fn get_group_request(args: &Args) -> ToolResult<Json> {
    let id = args.required_string("group_request_id")?;
    let r = reads::find_group_request(&id)?.ok_or(ToolError::new("Group request not found"))?;
    let mut lookup = Lookup::new();
    shapes::need_group_request(&mut lookup, &r);
    lookup.fetch()?;
    Ok(shapes::group_request(&lookup, &r))
}

/// The envelope of a page of requests: every related row fetched in one batch,
/// then each request shaped.
fn summarized_page<R>(
    paging: Paging,
    total: u64,
    items: &[R],
    need: fn(&mut Lookup, &R),
    shape: fn(&Lookup, &R) -> Json,
) -> ToolResult<Json> {
    let mut lookup = Lookup::new();
    for r in items {
        need(&mut lookup, r);
    }
    lookup.fetch()?;
    Ok(paging.envelope(total, items.iter().map(|r| shape(&lookup, r))))
}
