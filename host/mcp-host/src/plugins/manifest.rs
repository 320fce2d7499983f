//! The manifest beside each component: its name and the host interfaces it is
//! granted. Example (`kv-tools.toml`):
//!
//! ```toml
//! name = "kv-tools"
//! version = "0.1.0"
//! component = "kv-tools.wasm"
//! grants = ["example:kv/store", "example:tickets/read"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique plugin name: lowercase letters, digits and `-`.
    pub name: String,
    #[serde(default = "default_version")]
    pub version: String,
    /// Component file, relative to the manifest. Default: `<name>.wasm`.
    #[serde(default)]
    pub component: Option<String>,
    /// Host interfaces granted, e.g. `example:kv/store`. `mcp:plugin/log`
    /// and `mcp:plugin/clock` are granted to every plugin.
    #[serde(default)]
    pub grants: Vec<String>,
}

fn default_version() -> String {
    "0.0.0".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("manifest {path} is invalid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Manifest {
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|e| ManifestError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let name_ok = !m.name.is_empty()
            && m.name.len() <= 64
            && m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(ManifestError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "name `{}` must be 1-64 lowercase letters, digits or `-`",
                    m.name
                ),
            });
        }
        if let Some(c) = &m.component
            && (c.contains('/') || c.contains('\\') || c.starts_with('.'))
        {
            return Err(ManifestError::Invalid {
                path: path.to_path_buf(),
                message: format!("component `{c}` must be a file name in the same folder"),
            });
        }
        Ok(m)
    }

    pub fn read(path: &Path) -> Result<(Manifest, Vec<u8>), ManifestError> {
        let bytes = std::fs::read(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Ok((Manifest::parse(path, &text)?, bytes))
    }

    pub fn component_file(&self) -> String {
        self.component
            .clone()
            .unwrap_or_else(|| format!("{}.wasm", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let p = Path::new("x.toml");
        let m =
            Manifest::parse(p, "name = \"kv-tools\"\ngrants = [\"example:kv/store\"]\n").unwrap();
        assert_eq!(m.component_file(), "kv-tools.wasm");
        assert!(Manifest::parse(p, "name = \"Bad Name\"").is_err());
        assert!(Manifest::parse(p, "name = \"a\"\ncomponent = \"../x.wasm\"").is_err());
        assert!(Manifest::parse(p, "name = \"a\"\nunknown = 1").is_err());
    }
}
