//! Host-side bindings of Access's interfaces (`wit/access`, the `imports`
//! world). The generic contract's interfaces (`mcp:plugin/…`) are the host's
//! own bindings, mapped in with `with:`, so a timestamp is one type for both.

wasmtime::component::bindgen!({
    path: ["../../wit/mcp-plugin", "../../wit/access"],
    world: "access:directory/imports",
    imports: { default: async | trappable | tracing },
    with: {
        "mcp:plugin/clock": mcp_host::bindings::mcp::plugin::clock,
    },
});

pub use self::access::directory::types as access_types;
