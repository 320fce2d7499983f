//! access-reads: Access's read tools, composed from the host's typed directory
//! reads. Granted `access:directory/reads` and `access:directory/permissions`.

wit_bindgen::generate!({
    path: "../../wit",
    world: "access:directory/reads-plugin@0.1.0",
    generate_all,
});

mod args;
mod envelope;
mod error;
mod json;
mod shapes;
mod spec;
mod tools;
mod wire;

use exports::mcp::plugin::tool_provider::Guest;
use mcp::plugin::types::{ToolDescriptor, ToolOutput};

struct Reads;

impl Guest for Reads {
    fn list_tools() -> Vec<ToolDescriptor> {
        tools::ALL
            .iter()
            .map(|t| t.descriptor(spec::Effect::Read))
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

export!(Reads);
