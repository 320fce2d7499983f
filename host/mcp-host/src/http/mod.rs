//! The HTTP surface around `/mcp`: the server loop (`serve`: connection cap,
//! read and idle timeouts), then tower layers (outermost first): Host/Origin
//! guard (and `Cache-Control: no-store` on every answer) → authentication
//! (client address through trusted proxies, the per-address failure limit,
//! the per-user rate limit, the insufficient-scope challenge of protocol
//! 2026-07-28, the host-made request id) → the JSON-RPC envelope check →
//! (stateless mode) the structured-content passthrough (`mcp::passthrough`, which
//! the handler parks text in, so it lives on the floor below) → rmcp's Streamable
//! HTTP service. Outside all of them, `trace` opens the request's trace span
//! (when traces are on). Plus the public protected-resource metadata documents (RFC 9728).

pub mod authn;
pub mod client_addr;
pub mod guard;
pub mod jsonrpc;
pub mod prm;
pub mod serve;
pub mod trace;
