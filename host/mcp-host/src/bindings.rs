//! Host-side bindings of the generic contract, `wit/mcp-plugin`: the `log` and
//! `clock` imports every plugin gets, and the `tool-provider` and
//! `prompt-provider` exports the host calls. A capability generates its own
//! bindings for its interfaces and maps `mcp:plugin` onto these with `with:`.

wasmtime::component::bindgen!({
    path: "../../wit/mcp-plugin",
    world: "mcp:plugin/host",
    imports: { default: async | trappable | tracing },
    exports: { default: async },
});

pub use exports::mcp::plugin::{prompt_provider, tool_provider};
pub use mcp::plugin::types as plugin_types;

/// Version 0.2 of the contract (`wit/mcp-plugin-0.2`): tool results that carry
/// MCP's content types. The host loads plugins of either version.
pub mod v2 {
    wasmtime::component::bindgen!({
        path: "../../wit/mcp-plugin-0.2",
        world: "mcp:plugin/host@0.2.0",
        imports: { default: async | trappable | tracing },
        exports: { default: async },
    });

    pub use self::exports::mcp::plugin::{prompt_provider, resource_provider, tool_provider};
    pub use self::mcp::plugin::types as plugin_types;
}
