//! Compiled components on disk, keyed by the component's SHA-256 and the
//! engine's compatibility hash, so a restart deserializes (≈0.2 ms) instead of
//! compiling (≈70 ms a plugin).
//!
//! A compiled component is native code that is mapped and run as it is, so the
//! folder must be the host's alone: it is created private (0700), files are
//! written private (0600) and atomically, and a folder or file that another
//! user owns or could write (group- or world-writable, or a symlink) is
//! refused: the folder is not used at all (every plugin is compiled in
//! memory, and the error is logged and shown by `plugins audit`), a file is
//! ignored and compiled again.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
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
    /// Why the configured folder is not used, if it is not.
    refused: Option<String>,
}

impl CompiledCache {
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        let (dir, refused) = match dir.map(|d| private_dir(&d).map(|()| d)) {
            None => (None, None),
            Some(Ok(d)) => (Some(d), None),
            Some(Err(reason)) => {
                tracing::error!(
                    "compiled-component cache refused, plugins are compiled in memory: {reason}"
                );
                (None, Some(reason))
            }
        };
        CompiledCache {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
            refused,
        }
    }

    /// The default cache folder: `$XDG_CACHE_HOME/access-mcp` or `~/.cache/access-mcp`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(x).join("access-mcp"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("access-mcp"))
    }

    /// The folder in use (`None`: compiling in memory).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Why the configured folder was refused, if it was.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
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
            match private_file(&path) {
                // SAFETY: the file name carries the digest of the source
                // component and the engine's compatibility key, and the file
                // and its folder are this user's alone (checked just now), so
                // only this host can have written it.
                Ok(()) => match unsafe { Component::deserialize_file(engine, &path) } {
                    Ok(c) => return Ok((c, CacheOutcome::Hit)),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "discarding unreadable compiled component")
                    }
                },
                Err(reason) => {
                    tracing::error!(path = %path.display(), "not loading a compiled component: {reason}; compiling again")
                }
            }
        }
        let serialized = engine.precompile_component(bytes)?;
        if let Some(path) = self.path_for(sha256)
            && let Err(e) = write_private(&path, &serialized)
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the compiled-component cache");
        }
        // SAFETY: `serialized` was produced by this engine a moment ago.
        let component = unsafe { Component::deserialize(engine, &serialized)? };
        Ok((component, CacheOutcome::Compiled))
    }
}

/// Create `dir` (0700) if missing; refuse it unless it is a real folder this
/// user owns that no one else may write.
fn private_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a folder (a symlink?)", dir.display()));
    }
    owned_and_private(dir, &meta)
}

/// Refuse a cached file that is a symlink, owned by someone else, or
/// writable by others.
fn private_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    owned_and_private(path, &meta)
}

#[cfg(unix)]
fn owned_and_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "{} is owned by uid {}, not by this process's user (uid {me})",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "{} may be written by other users (mode {:o}); make it private (chmod go-w)",
            path.display(),
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_and_private(_: &Path, _: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

/// Write `bytes` to `path` through a private temporary file and a rename.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_private_folder_and_private_files_are_used() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cache");
        private_dir(&dir).expect("created private");
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&dir).unwrap_err();
        assert!(e.contains("written by other users"), "{e}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();

        let file = dir.join("x.cwasm");
        write_private(&file, b"code").unwrap();
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o077,
            0
        );
        assert!(private_file(&file).is_ok());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(private_file(&file).is_err());
        let link = dir.join("link.cwasm");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(
            private_file(&link)
                .unwrap_err()
                .contains("not a regular file")
        );
    }
}
