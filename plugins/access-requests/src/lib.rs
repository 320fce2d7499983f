//! access-requests: Access's three write tools (create_access_request,
//! create_role_request, create_group_request). Granted
//! `access:directory/requests` (the whole host operations, each re-checking
//! `create_requests` and the caller's permission) plus the reads it needs to
//! answer with the created request's shape.
//!
//! Argument parsing, the tool runner and the wire shapes are access-reads'
//! own files, included here: both crates generate the same module paths from
//! the same WIT (`generate_all`).

wit_bindgen::generate!({
    path: "../../wit",
    world: "access:directory/requests-plugin@0.1.0",
    generate_all,
});

// The shared files serve 18 read tools too; what only those use is dead here.
#[allow(dead_code)]
#[path = "../../access-reads/src/args.rs"]
mod args;
#[path = "../../access-reads/src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../../access-reads/src/json.rs"]
mod json;
#[path = "../../access-reads/src/shapes.rs"]
mod shapes;
#[allow(dead_code)]
#[path = "../../access-reads/src/spec.rs"]
mod spec;
#[allow(dead_code)]
#[path = "../../access-reads/src/wire.rs"]
mod wire;

mod datetime;
mod tools;

use exports::mcp::plugin::tool_provider::Guest;
use mcp::plugin::types::{ToolDescriptor, ToolOutput};

struct Requests;

impl Guest for Requests {
    fn list_tools() -> Vec<ToolDescriptor> {
        tools::ALL
            .iter()
            .map(|t| t.descriptor(spec::Effect::Write))
            .collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<ToolOutput, String> {
        let tool = tools::ALL
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("Unknown tool: {name}"))?;
        Ok(spec::run(tool, &arguments))
    }
}

export!(Requests);
