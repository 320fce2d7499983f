//! mcp-host: a generic MCP host. It serves the tools and prompts of sandboxed
//! WebAssembly components over Streamable HTTP, authenticates callers, checks
//! scopes, asks before writes, and audits; the data those components may reach
//! comes from [`Capability`] values a binary composes in:
//!
//! ```ignore
//! Host::new(host_config).with(my_capability).serve().await
//! ```
//!
//! This crate names no capability's types, tables, scopes or settings (the
//! Access capability lives in its own crate). See `ARCHITECTURE.md` beside
//! this crate for its map.

pub mod auth;
pub mod bindings;
pub mod caller;
pub mod capability;
pub mod client_link;
pub mod comma_list;
pub mod config;
pub mod confirm;
pub mod future;
pub mod http;
pub mod identity;
pub mod logtext;
pub mod mcp;
pub mod metrics;
pub mod plugins;
pub mod reload;
pub mod sandbox;
pub mod server;
pub mod shared;
pub mod subscriptions;
pub mod telemetry;

pub use capability::{Capabilities, Capability, Interface};
pub use identity::Identity;
pub use server::Host;
