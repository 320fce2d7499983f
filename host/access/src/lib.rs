//! The Access capability of the MCP host: Access's database (its own schema,
//! on SQLite or PostgreSQL), the permission predicates and the three request
//! operations, offered to plugins as the WIT interfaces of `wit/access`, and
//! the user directory that says which Access user a verified email is.
//!
//! ```ignore
//! Host::new(host_cfg).with(Access::connect(&access_cfg).await?).serve().await
//! ```
//!
//! See `ARCHITECTURE.md` beside this crate for its map.

pub mod audit;
pub mod bindings;
mod capability;
pub mod config;
pub mod db;
mod imports;
pub mod requests;
pub mod scopes;
pub mod users;

pub use capability::{Access, AccessContract};
pub use config::{AccessConfig, DatabaseConfig, DirectoryConfig};
pub use imports::AccessCall;
