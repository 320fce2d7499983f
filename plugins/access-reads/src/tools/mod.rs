//! The read tools: descriptors (names, titles, parameters and defaults exactly
//! as upstream Access) and their handlers. The descriptor and runner
//! machinery is `access_kit::spec`, shared with access-requests.

mod apps;
mod audit;
mod groups;
mod requests;
mod roles;
mod tags;
mod users;

use serde_json::{Value, json};

use crate::access::directory::permissions;
use access_kit::access::directory::reads::{self, MembershipFilter, MembershipPage};
use access_kit::access::directory::types::PageRequest;
use access_kit::error::ToolResult;
pub use access_kit::spec::{
    ToolSpec, object_schema, required_str, str_param, t_bool, t_list, t_obj, t_opt_bool, t_opt_obj,
    t_opt_str, t_str, t_str_list, t_total,
};

pub const ALL: &[ToolSpec] = &[
    groups::LIST_GROUPS,
    groups::GET_GROUP,
    groups::LIST_GROUP_MEMBERSHIPS,
    roles::LIST_ROLES,
    roles::GET_ROLE,
    apps::LIST_APPS,
    apps::GET_APP,
    users::LIST_USERS,
    users::GET_USER,
    tags::LIST_TAGS,
    tags::GET_TAG,
    requests::LIST_ACCESS_REQUESTS,
    requests::GET_ACCESS_REQUEST,
    requests::LIST_ROLE_REQUESTS,
    requests::GET_ROLE_REQUEST,
    requests::LIST_GROUP_REQUESTS,
    requests::GET_GROUP_REQUEST,
    audit::LIST_AUDIT_ENTRIES,
];

// ---------------------------------------------------------------- parameters

/// `q`, with the usual description.
pub fn q_param(what: &str) -> (&'static str, Value) {
    (
        "q",
        json!({"type": "string", "default": "", "description": format!("Case-insensitive substring search over {what}; empty for no filter.")}),
    )
}

/// `@me` stands for the caller wherever a user id parameter documents it.
pub fn resolve_me(value: String) -> String {
    if value == "@me" {
        permissions::caller_id()
    } else {
        value
    }
}

/// `""` means "no filter".
pub fn non_empty(value: String) -> Option<String> {
    if value.is_empty() { None } else { Some(value) }
}

// ---------------------------------------------------------------- shared reads

/// The first `inline_list_limit` active rows (newest first) of a group or a
/// user, member or owner rows, with the full count.
pub fn active_rows(
    user_id: Option<&str>,
    group_id: Option<&str>,
    is_owner: bool,
    limit: u32,
) -> ToolResult<MembershipPage> {
    let filter = MembershipFilter {
        user_id: user_id.map(String::from),
        group_id: group_id.map(String::from),
        is_owner: Some(is_owner),
        active_only: true,
        live_groups_only: false,
    };
    Ok(reads::list_memberships(
        &filter,
        PageRequest { offset: 0, limit },
    )?)
}
