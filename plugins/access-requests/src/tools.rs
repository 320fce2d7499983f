//! The three write tools (spec §8.19-8.21): names, titles, parameters and
//! defaults exactly as upstream Access. Each parses and validates its
//! arguments the way upstream's argument and body models did, asks the host
//! for the operation (which runs every check of Access's operation and returns
//! its user-facing message on refusal), and answers with the created request
//! in upstream's response shape.

use serde_json::{Value, json};

use crate::access::directory::requests::{
    self, AccessRequestInput, GroupRequestInput, RoleRequestInput,
};
use crate::datetime;
use access_kit::access::directory::types::GroupType;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::mcp::plugin::clock::Timestamp;
use access_kit::mcp::plugin::log::{self, Level};
use access_kit::shapes;
use access_kit::spec::{ToolSpec, required_str, str_param};
use access_kit::wire::{Json, Lookup};

pub const ALL: &[ToolSpec] = &[
    CREATE_ACCESS_REQUEST,
    CREATE_ROLE_REQUEST,
    CREATE_GROUP_REQUEST,
];

// ---------------------------------------------------------------- arguments

fn reason_param() -> (&'static str, Value) {
    str_param(
        "reason",
        "Why the access is needed. Owners decide on it, and tags on the target may require one; \
always give a clear reason.",
    )
}

fn group_owner_param(what: &str) -> (&'static str, Value) {
    (
        "group_owner",
        json!({"type": "boolean", "default": false, "description": what}),
    )
}

fn ending_param(name: &'static str, what: &str) -> (&'static str, Value) {
    str_param(
        name,
        &format!(
            "{what}, as an RFC 822 date (e.g. 'Mon, 12 Feb 2026 12:00:00 +0000'; ISO 8601 such as \
'2026-02-12T12:00:00Z' is accepted too, a value without an offset is UTC); empty for no end."
        ),
    )
}

/// A datetime argument: `param` is read as a string, then parsed as Access's
/// body model does; `loc` is the body field an error names (`ending_at`,
/// `okta_group.requested_ownership_ending_at`).
fn datetime_arg(args: &Args, param: &str, loc: &str) -> ToolResult<Option<Timestamp>> {
    let raw = args.string(param, "")?;
    datetime::parse(&raw).map_err(|m| ToolError::new(format!("{loc}: Value error, {m}")))
}

/// `tags_to_apply: list[str] | None`, in the lax form of upstream's server: a
/// string holding a JSON array (or `null`) is parsed first.
fn tags_arg(args: &Args) -> ToolResult<Vec<String>> {
    const NAME: &str = "tags_to_apply";
    let parsed;
    let value = match args.get(NAME) {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ (Value::Array(_) | Value::Object(_) | Value::Null)) => {
                parsed = v;
                &parsed
            }
            _ => {
                return Err(ToolError::new(format!(
                    "{NAME}: Input should be a valid list"
                )));
            }
        },
        Some(v) => v,
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ToolError::new(format!(
                    "{NAME}.{i}: Input should be a valid string"
                ))),
            })
            .collect(),
        _ => Err(ToolError::new(format!(
            "{NAME}: Input should be a valid list"
        ))),
    }
}

/// The request was created; a failure to load the users and groups it names
/// (e.g. a token without `read_all`) leaves those references null rather than
/// reporting an error for a request that exists.
fn fetch(lookup: &mut Lookup, tool: &str) {
    if let Err(e) = lookup.fetch() {
        log::log(
            Level::Warn,
            "created the request but could not load the users and groups it names",
            &[
                ("tool".to_string(), tool.to_string()),
                ("error".to_string(), e.0),
            ],
        );
    }
}

// ---------------------------------------------------------------- create_access_request

pub const CREATE_ACCESS_REQUEST: ToolSpec = ToolSpec {
    name: "create_access_request",
    title: "Submit access request",
    description: "Submit an access request for the CALLING user only (no one else can be named): \
membership of one group or role (default), or ownership of it when group_owner=true. group_id is \
the group's or role's exact id, not its name: look it up with list_groups, list_roles or \
get_group first. The request starts PENDING and is approved or rejected out-of-band by the \
group's owners (or the app's owners, or Access admins); nothing here approves anything. A new \
request supersedes (rejects) your earlier PENDING request for the same group and the same kind \
(membership or ownership). ending_at: when the access should end, as an RFC 822 string such as \
'Mon, 12 Feb 2026 12:00:00 +0000' (ISO 8601 is accepted too); strongly recommended for anything \
that is not day-to-day access, empty for indefinite. Call get_group or get_role first to see the \
target's active_group_tags: enabled tags can require a reason, limit how long access may last or \
forbid self-service, and approvers apply them; always give a clear reason. Groups managed outside \
Access cannot be requested. Returns the created request (AccessRequestSummary: id, status, \
requester, requested_group, request_ending_at, ...). Requires the create_requests scope.",
    params: || {
        vec![
            required_str("group_id", "Exact id of the group or role (not its name)."),
            reason_param(),
            group_owner_param("true to ask for ownership of the group instead of membership."),
            ending_param("ending_at", "When the access should end"),
        ]
    },
    required: &["group_id"],
    output: shapes::access_request_schema,
    handler: create_access_request,
};

fn create_access_request(args: &Args) -> ToolResult<Json> {
    let group_id = args.required_string("group_id")?;
    let reason = args.string("reason", "")?;
    let ownership = args.bool("group_owner", false)?;
    let ending_at = datetime_arg(args, "ending_at", "ending_at")?;
    let r = requests::create_access_request(&AccessRequestInput {
        group_id,
        reason,
        ownership,
        ending_at,
    })?;
    let mut lookup = Lookup::new();
    shapes::need_access(&mut lookup, &r);
    fetch(&mut lookup, "create_access_request");
    Ok(shapes::access_request_summary(&lookup, &r))
}

// ---------------------------------------------------------------- create_role_request

pub const CREATE_ROLE_REQUEST: ToolSpec = ToolSpec {
    name: "create_role_request",
    title: "Submit role request",
    description: "Ask for a ROLE to be mapped onto a group or app group, so that every member of \
the role gets membership of it (or ownership when group_owner=true). Only owners of the role and \
Access admins may file one; anyone else gets 'Current user is not allowed to perform this \
action'. role_id is the role's exact id (list_roles), group_id the target's exact id; the target \
must not itself be a role (roles cannot contain roles) and must be managed by Access. The request \
starts PENDING and is approved out-of-band by the target's owners (or its app's owners, or Access \
admins); nothing here approves anything. A new request supersedes (rejects) your earlier PENDING \
request for the same role, group and kind. ending_at: when the mapping should end, as an RFC 822 \
string such as 'Mon, 12 Feb 2026 12:00:00 +0000' (ISO 8601 is accepted too), empty for \
indefinite. Check the target's active_group_tags with get_group first (reason requirements, time \
limits). Returns the created request (RoleRequestSummary). Requires the create_requests scope.",
    params: || {
        vec![
            required_str("role_id", "Exact id of the role to be mapped."),
            required_str(
                "group_id",
                "Exact id of the target group or app group (not a role).",
            ),
            reason_param(),
            group_owner_param(
                "true to ask for the role's members to become owners of the group instead of members.",
            ),
            ending_param("ending_at", "When the mapping should end"),
        ]
    },
    required: &["role_id", "group_id"],
    output: shapes::role_request_schema,
    handler: create_role_request,
};

fn create_role_request(args: &Args) -> ToolResult<Json> {
    let role_id = args.required_string("role_id")?;
    let group_id = args.required_string("group_id")?;
    let reason = args.string("reason", "")?;
    let ownership = args.bool("group_owner", false)?;
    let ending_at = datetime_arg(args, "ending_at", "ending_at")?;
    let r = requests::create_role_request(&RoleRequestInput {
        role_id,
        group_id,
        reason,
        ownership,
        ending_at,
    })?;
    let mut lookup = Lookup::new();
    shapes::need_role(&mut lookup, &r);
    fetch(&mut lookup, "create_role_request");
    Ok(shapes::role_request_summary(&lookup, &r))
}

// ---------------------------------------------------------------- create_group_request

pub const CREATE_GROUP_REQUEST: ToolSpec = ToolSpec {
    name: "create_group_request",
    title: "Submit group request",
    description: "Ask for a NEW group to be created; when it is approved you become an owner of \
the new group. group_type: okta_group (a plain group), role_group (a role; its name must start \
with 'Role-', and other types' names must not) or app_group (a group of an Access app: app_id is \
required, the app's id from list_apps, and the name must start with 'App-<app name>-'). \
group_name must match ^[A-Z][A-Za-z0-9-]*$ (at most 255 characters) and must not end with \
'-Owners'; description is at most 1024 characters. An app group request goes to that app's \
owners (if you own the app it is approved at once: the group is created with you as owner); \
other requests go to the Access admins. tags_to_apply: ids of tags (list_tags) to attach to the \
new group; an enabled tag's owner_time_limit caps your ownership. ownership_ending_at: when your \
ownership should end, as an RFC 822 string such as 'Mon, 12 Feb 2026 12:00:00 +0000' (ISO 8601 \
is accepted too), empty for indefinite. A new request supersedes (rejects) your earlier PENDING \
request for the same name (and app). Whether a group of that name exists is checked on approval. \
Returns the created request (GroupRequestDetail). Requires the create_requests scope.",
    params: || {
        vec![
            required_str(
                "group_name",
                "Name of the new group, e.g. 'Data-Platform-Admins', 'Role-Data-Scientist' or \
'App-Grafana-Admins'.",
            ),
            required_str("group_type", "okta_group, role_group or app_group."),
            str_param(
                "description",
                "What the group grants and who should be in it.",
            ),
            str_param(
                "app_id",
                "Exact id of the app, required for app_group (ignored for other types).",
            ),
            (
                "tags_to_apply",
                json!({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                       "default": null,
                       "description": "Ids of tags to attach to the new group; null or [] for none."}),
            ),
            ending_param(
                "ownership_ending_at",
                "When your ownership of the new group should end",
            ),
            reason_param(),
        ]
    },
    required: &["group_name", "group_type"],
    output: shapes::group_request_schema,
    handler: create_group_request,
};

/// The discriminator of upstream's body union (`requested_group_type`).
fn group_type_arg(value: &str) -> ToolResult<(GroupType, &'static str)> {
    match value {
        "okta_group" => Ok((GroupType::OktaGroup, "okta_group")),
        "role_group" => Ok((GroupType::RoleGroup, "role_group")),
        "app_group" => Ok((GroupType::AppGroup, "app_group")),
        other => Err(ToolError::new(format!(
            "input: Input tag '{other}' found using 'requested_group_type' does not match any of \
the expected tags: 'okta_group', 'role_group', 'app_group'"
        ))),
    }
}

fn create_group_request(args: &Args) -> ToolResult<Json> {
    let name = args.required_string("group_name")?;
    let kind = args.required_string("group_type")?;
    let description = args.string("description", "")?;
    let app_id = args.string("app_id", "")?;
    let tag_ids = tags_arg(args)?;
    let ending = args.string("ownership_ending_at", "")?;
    let reason = args.string("reason", "")?;

    // Body validation: the union's tag first, then (host-side) the variant's
    // fields; the datetime is the one field parsed here.
    let (group_type, tag) = group_type_arg(&kind)?;
    let ownership_ending_at = datetime::parse(&ending).map_err(|m| {
        ToolError::new(format!(
            "{tag}.requested_ownership_ending_at: Value error, {m}"
        ))
    })?;
    let r = requests::create_group_request(&GroupRequestInput {
        name,
        group_type,
        description,
        app_id: if app_id.is_empty() {
            None
        } else {
            Some(app_id)
        },
        tag_ids,
        ownership_ending_at,
        reason,
    })?;
    let mut lookup = Lookup::new();
    shapes::need_group_request(&mut lookup, &r);
    fetch(&mut lookup, "create_group_request");
    Ok(shapes::group_request(&lookup, &r))
}
