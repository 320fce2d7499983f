//! Compiled components on disk, keyed by the component's SHA-256 and the
//! engine's compatibility hash, so a restart deserializes (≈0.2 ms) instead of
//! compiling (≈70 ms a plugin). Only artifacts this host wrote are loaded.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a component came from the cache or was compiled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Compiled,
}

#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompiledCache {
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        CompiledCache {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    /// The default cache folder: `$XDG_CACHE_HOME/access-mcp` or `~/.cache/access-mcp`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(x).join("access-mcp"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("access-mcp"))
    }

    fn path_for(&self, sha256: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.engine_key)))
    }

    /// Load the compiled form of `bytes` (whose digest is `sha256`), compiling and
    /// storing it on a miss. A cache that cannot be written is only logged.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        if let Some(path) = self.path_for(sha256)
            && path.exists()
        {
            // SAFETY: the file name carries the digest of the source component and the
            // engine's compatibility key, and only this host writes into the folder.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok((c, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unreadable compiled component")
                }
            }
        }
        let serialized = engine.precompile_component(bytes)?;
        if let Some(path) = self.path_for(sha256)
            && let Err(e) = write_atomically(&path, &serialized)
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the compiled-component cache");
        }
        // SAFETY: `serialized` was produced by this engine a moment ago.
        let component = unsafe { Component::deserialize(engine, &serialized)? };
        Ok((component, CacheOutcome::Compiled))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
