//! Plugins: manifests, loading (compile, check imports against grants, link only
//! the granted capabilities, keep an `InstancePre`), and the registry that routes
//! tools and prompts to the plugin that serves them.

pub mod loader;
pub mod manifest;
pub mod registry;

pub use loader::{LoadError, LoadedPlugin, Loader};
pub use manifest::Manifest;
pub use registry::Registry;
