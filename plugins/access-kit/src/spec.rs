//! A tool of the Access plugins: its descriptor (name, title, parameters and
//! defaults, output schema, scope, annotations) and the runner that turns a
//! handler's result into the tool output.

use serde_json::{Map, Value, json};

use crate::args::Args;
use crate::error::ToolResult;
use crate::json::{Json, Obj};
use crate::mcp::plugin::types::{ToolAnnotations, ToolDescriptor, ToolOutput};

pub const READ_ALL: &str = "read_all";
pub const CREATE_REQUESTS: &str = "create_requests";

pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub params: fn() -> Vec<(&'static str, Value)>,
    pub required: &'static [&'static str],
    pub output: fn() -> Value,
    pub handler: fn(&Args) -> ToolResult<Json>,
}

/// What a plugin's tools do: read the directory, or file requests. Sets the
/// scope the host checks before dispatch and the annotations (spec §7).
#[derive(Clone, Copy)]
pub enum Effect {
    Read,
    Write,
}

impl ToolSpec {
    pub fn descriptor(&self, effect: Effect) -> ToolDescriptor {
        let mut props = Map::new();
        for (name, schema) in (self.params)() {
            props.insert(name.to_string(), schema);
        }
        let input = json!({"type": "object", "properties": props, "required": self.required});
        let (scope, annotations) = match effect {
            Effect::Read => (
                READ_ALL,
                ToolAnnotations {
                    read_only_hint: Some(true),
                    destructive_hint: None,
                    idempotent_hint: None,
                    open_world_hint: Some(false),
                },
            ),
            Effect::Write => (
                CREATE_REQUESTS,
                ToolAnnotations {
                    read_only_hint: Some(false),
                    destructive_hint: Some(false),
                    idempotent_hint: Some(false),
                    open_world_hint: Some(false),
                },
            ),
        };
        ToolDescriptor {
            name: self.name.into(),
            title: Some(self.title.into()),
            description: self.description.into(),
            input_schema: input.to_string(),
            output_schema: Some((self.output)().to_string()),
            required_scope: Some(scope.into()),
            annotations,
        }
    }
}

/// Run a tool: its JSON result, or the `{"error"}` envelope with `is-error` set.
pub fn run(spec: &ToolSpec, arguments: &str) -> ToolOutput {
    let result = Args::parse(arguments).and_then(|args| (spec.handler)(&args));
    let (value, is_error) = match result {
        Ok(v) => (v, false),
        Err(e) => (Obj::new().s("error", &e.0).done(), true),
    };
    let text = value.into_string();
    ToolOutput {
        structured_content: Some(text.clone()),
        text,
        is_error,
    }
}

// ---------------------------------------------------------------- parameters

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
