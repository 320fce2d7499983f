//! access-mcp: a generic MCP host that serves tools and prompts from sandboxed
//! WebAssembly components, plus the Access capabilities those components may be granted.
//!
//! See `ARCHITECTURE.md` at the repository root for the map of this crate.

pub mod audit;
pub mod auth;
pub mod bindings;
pub mod caller;
pub mod capabilities;
pub mod config;
pub mod confirm;
pub mod db;
pub mod http;
pub mod logtext;
pub mod mcp;
pub mod metrics;
pub mod plugins;
pub mod sandbox;
pub mod server;
pub mod shared;
