//! The read tools: descriptors (names, titles, parameters and defaults exactly
//! as upstream Access) and their handlers.

mod groups;

use serde_json::{Map, Value, json};

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

pub const ALL: &[ToolSpec] = &[groups::LIST_GROUPS];

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

/// `q`, with the usual description.
pub fn q_param(what: &str) -> (&'static str, Value) {
    (
        "q",
        json!({"type": "string", "default": "", "description": format!("Case-insensitive substring search over {what}; empty for no filter.")}),
    )
}
