//! Loading a whole plugins folder the way `serve` does: build the engine and
//! sandbox from the limits, start the epoch ticker, load every manifest with the
//! real [`Loader`] (under a [`SignaturePolicy`]) and build the [`Registry`].
//! `serve` and `plugins audit` both go through [`load`], so what the
//! report says is what the server enforces.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::loader::{LoadError, LoadedPlugin, Loader};
use super::registry::Registry;
use super::signature::SignaturePolicy;
use crate::capability::Capabilities;
use crate::sandbox::SandboxConfig;
use crate::sandbox::cache::CompiledCache;
use crate::sandbox::{Sandbox, engine};

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot build the WebAssembly engine: {0}")]
    Engine(String),
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// A plugin of the folder that is not served, and why.
pub struct Refusal {
    pub manifest_path: PathBuf,
    pub error: LoadError,
    /// The plugin as loaded, when it loaded but the registry refused it
    /// (a tool or prompt name another plugin already serves).
    pub plugin: Option<Arc<LoadedPlugin>>,
}

/// A loaded folder: the sandbox every call runs in, the registry that is
/// served, and every plugin that is not, in folder order.
pub struct LoadedFolder {
    pub sandbox: Arc<Sandbox>,
    pub registry: Registry,
    pub refused: Vec<Refusal>,
    /// The signature policy the folder was loaded under.
    pub signatures: SignaturePolicy,
    /// The capabilities its plugins were linked against.
    pub capabilities: Capabilities,
    /// The loader, kept for hot reload (same engine, cache and policy).
    pub loader: Loader,
}

impl LoadedFolder {
    /// The refusals as plain errors (what `serve` logs).
    pub fn failures(&self) -> impl Iterator<Item = &LoadError> {
        self.refused.iter().map(|r| &r.error)
    }
}

/// Build the sandbox for `limits` and load `plugins_dir`. `cache_dir` is the
/// configured compile cache (`None`: the default folder).
pub async fn load(
    limits: &SandboxConfig,
    plugins_dir: &Path,
    cache_dir: Option<PathBuf>,
    signatures: SignaturePolicy,
    capabilities: Capabilities,
) -> Result<LoadedFolder, FolderError> {
    let engine = engine::build_engine(limits).map_err(|e| FolderError::Engine(format!("{e:#}")))?;
    engine::start_epoch_ticker(&engine);
    let cache = CompiledCache::new(&engine, cache_dir.or_else(CompiledCache::default_dir));
    let sandbox = Arc::new(
        Sandbox::new(engine, limits.clone(), Arc::new(capabilities.clone()))
            .map_err(|e| FolderError::Engine(format!("cannot start the sandbox threads: {e}")))?,
    );
    let loader = Loader::new(sandbox.clone(), capabilities.clone(), cache)
        .with_signatures(signatures.clone());

    let mut loaded = Vec::new();
    let mut refused = Vec::new();
    for (manifest_path, result) in loader.load_each(plugins_dir).await? {
        match result {
            Ok(p) => loaded.push(Arc::new(p)),
            Err(error) => refused.push(Refusal {
                manifest_path,
                error,
                plugin: None,
            }),
        }
    }
    let (registry, dropped) = Registry::build(loaded);
    for (plugin, error) in dropped {
        refused.push(Refusal {
            manifest_path: plugin.manifest_path.clone(),
            error,
            plugin: Some(plugin),
        });
    }
    refused.sort_by(|a, b| a.manifest_path.cmp(&b.manifest_path));
    Ok(LoadedFolder {
        sandbox,
        registry,
        refused,
        signatures,
        capabilities,
        loader,
    })
}
