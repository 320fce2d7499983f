//! Signed plugins: an Ed25519 signature over a plugin's component AND its
//! manifest, checked against operator-trusted public keys before the loader
//! compiles anything. Widening a grant edits the manifest, so it needs a new
//! signature.
//!
//! # What is signed
//!
//! The signed message is the bytes
//!
//! ```text
//! "access-mcp-plugin-signature/1\n" ‖ component-sha256 ‖ "\n" ‖ manifest bytes
//! ```
//!
//! where `component-sha256` is the SHA-256 of the component file as 64
//! lowercase hex characters and `manifest bytes` are the manifest file exactly
//! as on disk (comments and whitespace included).
//!
//! # Files
//!
//! All three are UTF-8 text; lines starting with `#` and blank lines are ignored.
//!
//! - **Public key** (`<key-id>.pub`, written by `access-mcp plugins keygen`):
//!   one line `access-mcp-ed25519-pub <base64>` per key, the standard padded
//!   base64 of the 32-byte Ed25519 public key. A file may hold several keys.
//! - **Private key** (`<key-id>.key`, mode 0600): one line
//!   `access-mcp-ed25519-key <base64>`, the base64 of the 32-byte Ed25519 seed.
//!   The distinct tag means a private key put among trusted keys is refused,
//!   never read as a public key.
//! - **Signature** (`<stem>.sig` beside `<stem>.toml`), TOML:
//!
//!   ```toml
//!   format = "access-mcp-sig/1"
//!   key_id = "0123456789abcdef"
//!   component_sha256 = "…64 hex…"
//!   manifest_sha256 = "…64 hex…"
//!   signature = "…base64 of the 64-byte Ed25519 signature…"
//!   ```
//!
//!   The two digests are what was signed, kept only to explain a failure
//!   ("the component changed since it was signed"); they are never trusted:
//!   the signature is always checked over the files as they are now.
//!
//! A **key id** is the first 16 hex characters of the SHA-256 of the 32-byte
//! public key.
//!
//! # Trust
//!
//! `ACCESS_MCP_TRUSTED_KEYS` (`--trusted-keys`) names a public-key file or a
//! folder whose `*.pub` files are read. When signatures are required the
//! loader refuses a plugin that is unsigned, whose signature is invalid, or
//! that is signed by a key not trusted; the other plugins keep loading.
//! Otherwise the status is only reported.
//!
//! They are required by default outside development: with `ENV` other than
//! `development` or `test`, unless `ACCESS_MCP_REQUIRE_SIGNED=false` is set
//! explicitly (which `serve` logs as a warning at startup).
//! `ACCESS_MCP_REQUIRE_SIGNED=true` requires them in any environment.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Value of `format` in a signature file.
pub const SIG_FORMAT: &str = "access-mcp-sig/1";
/// Domain separator at the start of every signed message.
pub const MESSAGE_TAG: &[u8] = b"access-mcp-plugin-signature/1\n";
const PUBLIC_TAG: &str = "access-mcp-ed25519-pub";
const PRIVATE_TAG: &str = "access-mcp-ed25519-key";

/// Settings shared by `serve` and the `plugins` commands.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SignatureConfig {
    /// Public keys trusted to sign plugins: a key file (one or more
    /// `access-mcp-ed25519-pub` lines) or a folder of `*.pub` files.
    #[arg(long, env = "ACCESS_MCP_TRUSTED_KEYS")]
    pub trusted_keys: Option<PathBuf>,

    /// Refuse to load any plugin that is not signed by a trusted key. Unset:
    /// required unless `ENV` is `development` or `test`.
    #[arg(long, env = "ACCESS_MCP_REQUIRE_SIGNED", num_args = 0..=1,
          default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub require_signed: Option<bool>,
}

impl SignatureConfig {
    /// Whether signatures are required in environment `env` (Access's `ENV`).
    pub fn required_in(&self, env: &str) -> bool {
        self.require_signed
            .unwrap_or(!matches!(env, "development" | "test"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("key file {path}, line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0} holds no {1} line")]
    Empty(PathBuf, &'static str),
    #[error(
        "signed plugins are required (ACCESS_MCP_REQUIRE_SIGNED, or by default with ENV={0}) but no trusted key is configured: set ACCESS_MCP_TRUSTED_KEYS (see docs/security.md), or ACCESS_MCP_REQUIRE_SIGNED=false to load unsigned plugins"
    )]
    RequiredWithoutKeys(String),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("{0} already exists; not overwriting it")]
    Exists(PathBuf),
}

/// The key id of a public key: first 16 hex characters of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))[..16].to_string()
}

/// The exact bytes that are signed for a component digest and manifest.
pub fn message(component_sha256: &str, manifest_bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(MESSAGE_TAG.len() + 65 + manifest_bytes.len());
    m.extend_from_slice(MESSAGE_TAG);
    m.extend_from_slice(component_sha256.to_ascii_lowercase().as_bytes());
    m.push(b'\n');
    m.extend_from_slice(manifest_bytes);
    m
}

/// The signature file beside a manifest: `<stem>.sig` for `<stem>.toml`.
pub fn sig_path(manifest_path: &Path) -> PathBuf {
    manifest_path.with_extension("sig")
}

fn parse_key_lines(path: &Path, text: &str, tag: &str) -> Result<Vec<[u8; 32]>, KeyError> {
    let mut keys = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| KeyError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let (t, value) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(format!("expected `{tag} <base64>`")))?;
        if t != tag {
            let what = if t == PRIVATE_TAG {
                "this is a PRIVATE key".to_string()
            } else {
                format!("expected `{tag} <base64>`, found `{t}`")
            };
            return Err(err(what));
        }
        let bytes = B64
            .decode(value.trim())
            .map_err(|e| err(format!("bad base64: {e}")))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| err(format!("expected 32 bytes, found {}", b.len())))?;
        keys.push(key);
    }
    Ok(keys)
}

/// Public keys trusted to sign plugins, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl TrustedKeys {
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        TrustedKeys {
            keys: keys.into_iter().map(|k| (key_id(&k), k)).collect(),
        }
    }

    /// Read a public-key file, or every `*.pub` file of a folder.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| KeyError::Read(path.to_path_buf(), e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pub"))
                .collect();
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        let mut keys = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| KeyError::Read(f.clone(), e))?;
            for bytes in parse_key_lines(&f, &text, PUBLIC_TAG)? {
                let k = VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Parse {
                    path: f.clone(),
                    line: 0,
                    message: format!("not an Ed25519 public key: {e}"),
                })?;
                keys.push(k);
            }
        }
        Ok(TrustedKeys::new(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted key ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    pub fn get(&self, key_id: &str) -> Option<&VerifyingKey> {
        self.keys.get(key_id)
    }
}

/// Which signatures the loader accepts, and whether it requires one.
#[derive(Debug, Clone, Default)]
pub struct SignaturePolicy {
    pub trusted: TrustedKeys,
    /// Refuse plugins whose status is not [`SignatureStatus::Valid`].
    pub required: bool,
}

impl SignaturePolicy {
    pub fn new(trusted: TrustedKeys, required: bool) -> Self {
        SignaturePolicy { trusted, required }
    }

    /// The policy of `ACCESS_MCP_TRUSTED_KEYS` and `ACCESS_MCP_REQUIRE_SIGNED`
    /// in environment `env`. Requiring signatures with no trusted key is a
    /// configuration error.
    pub fn from_config(cfg: &SignatureConfig, env: &str) -> Result<Self, KeyError> {
        let trusted = match &cfg.trusted_keys {
            Some(p) => TrustedKeys::load(p)?,
            None => TrustedKeys::default(),
        };
        let required = cfg.required_in(env);
        if required && trusted.is_empty() {
            return Err(KeyError::RequiredWithoutKeys(env.to_string()));
        }
        Ok(SignaturePolicy::new(trusted, required))
    }

    /// The signature status of a plugin: its manifest's path and exact bytes,
    /// and its component's SHA-256 (lowercase hex).
    pub fn check(
        &self,
        manifest_path: &Path,
        manifest_bytes: &[u8],
        component_sha256: &str,
    ) -> SignatureStatus {
        let path = sig_path(manifest_path);
        let text = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return SignatureStatus::Unsigned;
            }
            Err(e) => {
                return SignatureStatus::Invalid {
                    key_id: None,
                    reason: format!("cannot read {}: {e}", file_name(&path)),
                };
            }
        };
        let text = String::from_utf8_lossy(&text);
        let sig = match SigFile::parse(&text) {
            Ok(s) => s,
            Err(reason) => {
                return SignatureStatus::Invalid {
                    key_id: None,
                    reason: format!("{} is malformed: {reason}", file_name(&path)),
                };
            }
        };
        self.verify(&sig, manifest_bytes, component_sha256)
    }

    /// Check a parsed signature over the files as they are now.
    pub fn verify(
        &self,
        sig: &SigFile,
        manifest_bytes: &[u8],
        component_sha256: &str,
    ) -> SignatureStatus {
        let key_id = sig.key_id.clone();
        let Some(key) = self.trusted.get(&key_id) else {
            return SignatureStatus::UntrustedKey { key_id };
        };
        let invalid = |reason: String| SignatureStatus::Invalid {
            key_id: Some(key_id.clone()),
            reason,
        };
        let signature = match sig.signature_bytes() {
            Ok(s) => s,
            Err(reason) => return invalid(reason),
        };
        let msg = message(component_sha256, manifest_bytes);
        if key.verify_strict(&msg, &signature).is_ok() {
            return SignatureStatus::Valid { key_id };
        }
        let manifest_now = hex::encode(Sha256::digest(manifest_bytes));
        let component_changed = !sig.component_sha256.eq_ignore_ascii_case(component_sha256);
        let manifest_changed = !sig.manifest_sha256.eq_ignore_ascii_case(&manifest_now);
        invalid(
            match (component_changed, manifest_changed) {
                (true, true) => "the component and the manifest changed since they were signed",
                (true, false) => "the component changed since it was signed",
                (false, true) => "the manifest changed since it was signed",
                (false, false) => "the signature does not verify",
            }
            .to_string(),
        )
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// A plugin's signature status, as the loader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// No `<stem>.sig` beside the manifest.
    Unsigned,
    /// Signed by a trusted key over the component and manifest as they are.
    Valid { key_id: String },
    /// A signature file that is malformed or does not verify with the trusted key it names.
    Invalid {
        key_id: Option<String>,
        reason: String,
    },
    /// Signed by a key that is not among the trusted keys (so not checked).
    UntrustedKey { key_id: String },
}

impl SignatureStatus {
    pub fn is_valid(&self) -> bool {
        matches!(self, SignatureStatus::Valid { .. })
    }

    /// `unsigned`, `valid`, `invalid` or `untrusted-key`.
    pub fn kind(&self) -> &'static str {
        match self {
            SignatureStatus::Unsigned => "unsigned",
            SignatureStatus::Valid { .. } => "valid",
            SignatureStatus::Invalid { .. } => "invalid",
            SignatureStatus::UntrustedKey { .. } => "untrusted-key",
        }
    }

    pub fn key_id(&self) -> Option<&str> {
        match self {
            SignatureStatus::Unsigned => None,
            SignatureStatus::Valid { key_id } | SignatureStatus::UntrustedKey { key_id } => {
                Some(key_id)
            }
            SignatureStatus::Invalid { key_id, .. } => key_id.as_deref(),
        }
    }

    /// Why it is invalid, for `invalid`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            SignatureStatus::Invalid { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

impl fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureStatus::Unsigned => write!(f, "unsigned"),
            SignatureStatus::Valid { key_id } => write!(f, "valid (key {key_id})"),
            SignatureStatus::Invalid {
                key_id: Some(k),
                reason,
            } => write!(f, "invalid (key {k}): {reason}"),
            SignatureStatus::Invalid {
                key_id: None,
                reason,
            } => write!(f, "invalid: {reason}"),
            SignatureStatus::UntrustedKey { key_id } => {
                write!(f, "signed by untrusted key {key_id}")
            }
        }
    }
}

/// The contents of a `<stem>.sig` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigFile {
    pub format: String,
    pub key_id: String,
    pub component_sha256: String,
    pub manifest_sha256: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

impl SigFile {
    pub fn parse(text: &str) -> Result<SigFile, String> {
        let s: SigFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if s.format != SIG_FORMAT {
            return Err(format!(
                "format `{}` is not `{SIG_FORMAT}`",
                s.format.escape_default()
            ));
        }
        let hex_ok = |v: &str, n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex_ok(&s.key_id, 16) {
            return Err("key_id must be 16 hex characters".into());
        }
        if !hex_ok(&s.component_sha256, 64) || !hex_ok(&s.manifest_sha256, 64) {
            return Err("component_sha256 and manifest_sha256 must be 64 hex characters".into());
        }
        s.signature_bytes()?;
        Ok(s)
    }

    fn signature_bytes(&self) -> Result<Signature, String> {
        let bytes = B64
            .decode(self.signature.trim())
            .map_err(|e| format!("signature is not base64: {e}"))?;
        let bytes: [u8; 64] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("signature has {} bytes, not 64", b.len()))?;
        Ok(Signature::from_bytes(&bytes))
    }

    pub fn to_text(&self) -> String {
        format!(
            "# access-mcp plugin signature: Ed25519 over the component's SHA-256 and the exact\n\
             # manifest bytes. The digests below are what was signed (informational).\n{}",
            toml::to_string(self).unwrap_or_default()
        )
    }
}

/// A private signing key.
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        PrivateKey(SigningKey::from_bytes(&seed))
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        PrivateKey(SigningKey::from_bytes(&seed))
    }

    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read(path.into(), e))?;
        let keys = parse_key_lines(path, &text, PRIVATE_TAG)?;
        match keys.as_slice() {
            [seed] => Ok(PrivateKey::from_seed(*seed)),
            [] => Err(KeyError::Empty(path.into(), PRIVATE_TAG)),
            _ => Err(KeyError::Parse {
                path: path.into(),
                line: 0,
                message: "holds more than one private key".into(),
            }),
        }
    }

    pub fn public(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public())
    }

    /// The `.pub` file text of this key.
    pub fn public_file_text(&self) -> String {
        format!(
            "# access-mcp plugin signing public key, key id {}\n{PUBLIC_TAG} {}\n",
            self.key_id(),
            B64.encode(self.public().as_bytes())
        )
    }

    /// The `.key` file text of this key.
    pub fn private_file_text(&self) -> String {
        format!(
            "# access-mcp plugin signing PRIVATE key, key id {}. Keep it secret.\n{PRIVATE_TAG} {}\n",
            self.key_id(),
            B64.encode(self.0.to_bytes())
        )
    }

    /// Sign a component digest and manifest bytes.
    pub fn sign(&self, component_sha256: &str, manifest_bytes: &[u8]) -> SigFile {
        let sig = self.0.sign(&message(component_sha256, manifest_bytes));
        SigFile {
            format: SIG_FORMAT.into(),
            key_id: self.key_id(),
            component_sha256: component_sha256.to_ascii_lowercase(),
            manifest_sha256: hex::encode(Sha256::digest(manifest_bytes)),
            signature: B64.encode(sig.to_bytes()),
        }
    }
}

/// Write a new key pair into `dir` as `<key-id>.key` (mode 0600) and
/// `<key-id>.pub`. Returns the key and the two paths.
pub fn keygen(dir: &Path) -> Result<(PrivateKey, PathBuf, PathBuf), KeyError> {
    std::fs::create_dir_all(dir).map_err(|e| KeyError::Write(dir.into(), e))?;
    let key = PrivateKey::generate();
    let id = key.key_id();
    let private = dir.join(format!("{id}.key"));
    let public = dir.join(format!("{id}.pub"));
    for p in [&private, &public] {
        if p.exists() {
            return Err(KeyError::Exists(p.clone()));
        }
    }
    write_new(&private, key.private_file_text().as_bytes(), true)?;
    write_new(&public, key.public_file_text().as_bytes(), false)?;
    Ok((key, private, public))
}

fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), KeyError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts
        .open(path)
        .map_err(|e| KeyError::Write(path.into(), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| KeyError::Write(path.into(), e))
}

/// Write `<stem>.sig` beside a manifest (replacing any previous signature).
pub fn write_sig(manifest_path: &Path, sig: &SigFile) -> Result<PathBuf, KeyError> {
    let path = sig_path(manifest_path);
    let tmp = path.with_extension("sig.tmp");
    std::fs::write(&tmp, sig.to_text()).map_err(|e| KeyError::Write(tmp.clone(), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| KeyError::Write(path.clone(), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &[u8] = b"name = \"p\"\ngrants = [\"example:kv/store\"]\n";
    const DIGEST: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn policy(keys: &[&PrivateKey]) -> SignaturePolicy {
        SignaturePolicy::new(TrustedKeys::new(keys.iter().map(|k| k.public())), true)
    }

    #[test]
    fn key_id_is_16_hex_of_the_public_key_digest() {
        let k = PrivateKey::from_seed([7; 32]);
        let id = k.key_id();
        assert_eq!(id.len(), 16);
        assert_eq!(id, hex::encode(Sha256::digest(k.public().as_bytes()))[..16]);
    }

    #[test]
    fn a_signature_verifies_only_over_the_same_component_and_manifest() {
        let k = PrivateKey::generate();
        let p = policy(&[&k]);
        let sig = k.sign(DIGEST, MANIFEST);
        assert_eq!(
            p.verify(&sig, MANIFEST, DIGEST),
            SignatureStatus::Valid { key_id: k.key_id() }
        );
        // A tampered component.
        let other = "b".repeat(64);
        let st = p.verify(&sig, MANIFEST, &other);
        assert_eq!(st.kind(), "invalid");
        assert_eq!(
            st.reason(),
            Some("the component changed since it was signed")
        );
        // A manifest widened by one grant.
        let widened = b"name = \"p\"\ngrants = [\"example:kv/store\", \"example:tickets/read\"]\n";
        let st = p.verify(&sig, widened, DIGEST);
        assert_eq!(
            st.reason(),
            Some("the manifest changed since it was signed")
        );
        // Even a whitespace change counts: the exact bytes are signed.
        let st = p.verify(
            &sig,
            b"name = \"p\"\ngrants = [\"example:kv/store\"] \n",
            DIGEST,
        );
        assert_eq!(st.kind(), "invalid");
        // Lying digests in the file do not help: the signature is what counts.
        let mut forged = sig.clone();
        forged.component_sha256 = other.clone();
        assert_eq!(p.verify(&forged, MANIFEST, &other).kind(), "invalid");
        assert_eq!(
            p.verify(&forged, MANIFEST, &other).reason(),
            Some("the signature does not verify")
        );
    }

    #[test]
    fn an_unknown_key_is_untrusted_and_a_swapped_key_id_is_invalid() {
        let trusted = PrivateKey::generate();
        let stranger = PrivateKey::generate();
        let p = policy(&[&trusted]);
        let sig = stranger.sign(DIGEST, MANIFEST);
        assert_eq!(
            p.verify(&sig, MANIFEST, DIGEST),
            SignatureStatus::UntrustedKey {
                key_id: stranger.key_id()
            }
        );
        // The stranger claims the trusted key's id: the signature does not verify.
        let mut claimed = sig;
        claimed.key_id = trusted.key_id();
        assert_eq!(
            p.verify(&claimed, MANIFEST, DIGEST).reason(),
            Some("the signature does not verify")
        );
    }

    #[test]
    fn files_round_trip_and_bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (key, private, public) = keygen(dir.path()).unwrap();
        assert_eq!(
            public.file_name().unwrap().to_str().unwrap(),
            format!("{}.pub", key.key_id())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "private key is not readable by others");
        }
        let again = PrivateKey::load(&private).unwrap();
        assert_eq!(again.key_id(), key.key_id());
        // Trusted keys from a file and from a folder of *.pub files.
        assert_eq!(
            TrustedKeys::load(&public).unwrap().ids(),
            vec![key.key_id()]
        );
        assert_eq!(
            TrustedKeys::load(dir.path()).unwrap().ids(),
            vec![key.key_id()]
        );
        // A private key is never read as a public key.
        let e = TrustedKeys::load(&private).unwrap_err().to_string();
        assert!(e.contains("PRIVATE"), "{e}");
        // keygen never overwrites.
        assert!(PrivateKey::load(&public).is_err());

        let manifest = dir.path().join("p.toml");
        std::fs::write(&manifest, MANIFEST).unwrap();
        let p = SignaturePolicy::new(TrustedKeys::load(&public).unwrap(), true);
        assert_eq!(
            p.check(&manifest, MANIFEST, DIGEST),
            SignatureStatus::Unsigned
        );
        let sig_file = write_sig(&manifest, &key.sign(DIGEST, MANIFEST)).unwrap();
        assert_eq!(sig_file, dir.path().join("p.sig"));
        assert!(p.check(&manifest, MANIFEST, DIGEST).is_valid());
        assert_eq!(
            SigFile::parse(&std::fs::read_to_string(&sig_file).unwrap()).unwrap(),
            key.sign(DIGEST, MANIFEST)
        );
        std::fs::write(&sig_file, "format = \"access-mcp-sig/1\"\n").unwrap();
        let st = p.check(&manifest, MANIFEST, DIGEST);
        assert_eq!(st.kind(), "invalid");
        assert!(st.reason().unwrap().contains("p.sig is malformed"), "{st}");
    }

    #[test]
    fn requiring_signatures_without_keys_is_a_configuration_error() {
        let cfg = SignatureConfig {
            trusted_keys: None,
            require_signed: Some(true),
        };
        assert!(matches!(
            SignaturePolicy::from_config(&cfg, "development"),
            Err(KeyError::RequiredWithoutKeys(_))
        ));
        let cfg = SignatureConfig {
            trusted_keys: None,
            require_signed: Some(false),
        };
        assert!(
            !SignaturePolicy::from_config(&cfg, "production")
                .unwrap()
                .required
        );
        // Unset: required outside development and test.
        let unset = SignatureConfig::default();
        assert!(unset.required_in("production") && unset.required_in("staging"));
        assert!(!unset.required_in("development") && !unset.required_in("test"));
        assert!(matches!(
            SignaturePolicy::from_config(&unset, "production"),
            Err(KeyError::RequiredWithoutKeys(_))
        ));
    }
}
