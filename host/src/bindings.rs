//! Host-side bindings generated from `wit/`. One `bindgen!` for the whole
//! contract: each interface's `add_to_linker` is called only when a plugin's
//! manifest grants it (see `capabilities`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "access:directory/host",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use access::directory::types as access_types;
pub use exports::mcp::plugin::{prompt_provider, tool_provider};
pub use mcp::plugin::types as plugin_types;
