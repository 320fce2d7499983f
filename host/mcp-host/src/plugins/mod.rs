//! Plugins: manifests, loading (compile, check imports against grants, link only
//! the granted capabilities, keep an `InstancePre`), and the registry that routes
//! tools and prompts to the plugin that serves them.

pub mod audit;
pub mod cli;
pub mod folder;
pub mod loader;
pub mod manifest;
pub mod registry;
pub mod signature;

pub use loader::{LoadError, LoadedPlugin, Loader};
pub use manifest::Manifest;
pub use registry::Registry;
pub use signature::{SignatureConfig, SignaturePolicy, SignatureStatus};
