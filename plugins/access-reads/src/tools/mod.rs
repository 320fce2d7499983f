//! The read tools: descriptors (names, titles, parameters and defaults exactly
//! as upstream Access) and their handlers.

mod apps;
mod audit;
mod groups;
mod requests;
mod roles;
mod tags;
mod users;

use serde_json::{Map, Value, json};

use crate::access::directory::permissions;
use crate::access::directory::reads::{self, MembershipFilter, MembershipPage};
use crate::access::directory::types::PageRequest;
use crate::args::Args;
use crate::error::ToolResult;
use crate::mcp::plugin::types::{ToolAnnotations, ToolDescriptor, ToolOutput};

pub const READ_ALL: &str = "read_all";

pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub params: fn() -> Vec<(&'static str, Value)>,
    pub required: &'static [&'static str],
    pub output: fn() -> Value,
    pub handler: fn(&Args) -> ToolResult<Value>,
}

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

impl ToolSpec {
    pub fn descriptor(&self) -> ToolDescriptor {
        let mut props = Map::new();
        for (name, schema) in (self.params)() {
            props.insert(name.to_string(), schema);
        }
        let input = json!({"type": "object", "properties": props, "required": self.required});
        ToolDescriptor {
            name: self.name.into(),
            title: Some(self.title.into()),
            description: self.description.into(),
            input_schema: input.to_string(),
            output_schema: Some((self.output)().to_string()),
            required_scope: Some(READ_ALL.into()),
            annotations: ToolAnnotations {
                read_only_hint: Some(true),
                destructive_hint: None,
                idempotent_hint: None,
                open_world_hint: Some(false),
            },
        }
    }
}

/// Run a tool: its JSON result, or the `{"error"}` envelope with `is-error` set.
pub fn run(spec: &ToolSpec, arguments: &str) -> ToolOutput {
    let result = Args::parse(arguments).and_then(|args| (spec.handler)(&args));
    let (value, is_error) = match result {
        Ok(v) => (v, false),
        Err(e) => (json!({"error": e.0}), true),
    };
    let text = value.to_string();
    ToolOutput {
        structured_content: Some(text.clone()),
        text,
        is_error,
    }
}

// ---------------------------------------------------------------- parameters

/// `q`, with the usual description.
pub fn q_param(what: &str) -> (&'static str, Value) {
    (
        "q",
        json!({"type": "string", "default": "", "description": format!("Case-insensitive substring search over {what}; empty for no filter.")}),
    )
}

/// An optional string parameter defaulting to `""`.
pub fn str_param(name: &'static str, description: &str) -> (&'static str, Value) {
    (
        name,
        json!({"type": "string", "default": "", "description": description}),
    )
}

/// A required string parameter.
pub fn required_str(name: &'static str, description: &str) -> (&'static str, Value) {
    (name, json!({"type": "string", "description": description}))
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

// ---------------------------------------------------------------- output schemas

pub fn t_str() -> Value {
    json!({"type": "string"})
}

pub fn t_opt_str() -> Value {
    json!({"type": ["string", "null"]})
}

pub fn t_bool() -> Value {
    json!({"type": "boolean"})
}

pub fn t_opt_bool() -> Value {
    json!({"type": ["boolean", "null"]})
}

pub fn t_obj() -> Value {
    json!({"type": "object"})
}

pub fn t_opt_obj() -> Value {
    json!({"type": ["object", "null"]})
}

pub fn t_list() -> Value {
    json!({"type": "array", "items": {"type": "object"}})
}

pub fn t_str_list() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// A capped list's `<list>_total`, present only when the list was cut.
pub fn t_total() -> Value {
    json!({"type": "integer", "description": "Present only when the list beside it was cut at the inline limit: the full number of rows."})
}

/// Output schema of a detail object (or the `{"error"}` envelope): every
/// top-level property, none required.
pub fn object_schema(props: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in props {
        m.insert(k.to_string(), v);
    }
    m.insert(
        "error".into(),
        json!({"type": "string", "description": "Set instead of the other fields when the call failed."}),
    );
    json!({"type": "object", "properties": m})
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
