//! access-reads: Access's read tools, composed from the host's typed directory
//! reads. Granted `access:directory/reads` and `access:directory/permissions`.

// This plugin's world: its exports and the imports only it is granted. The
// interfaces every Access plugin uses are access-kit's bindings, so the types
// (and the shapes built on them) are shared, not copied.
wit_bindgen::generate!({
    path: ["../../wit/mcp-plugin", "../../wit/access"],
    world: "access:directory/reads-plugin@0.1.0",
    with: {
        "mcp:plugin/types@0.1.0": access_kit::mcp::plugin::types,
        "mcp:plugin/log@0.1.0": access_kit::mcp::plugin::log,
        "mcp:plugin/clock@0.1.0": access_kit::mcp::plugin::clock,
        "access:directory/types@0.1.0": access_kit::access::directory::types,
        "access:directory/reads@0.1.0": access_kit::access::directory::reads,
    },
    generate_all,
});

mod envelope;
mod tools;

use access_kit::mcp::plugin::types::{ToolDescriptor, ToolOutput};
use access_kit::spec;
use exports::mcp::plugin::tool_provider::Guest;

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
