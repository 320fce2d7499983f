//! `access-mcp plugins …`: the audit report, and signing.
//!
//! Exit status of every subcommand: 0 when all is well, 1 when the command
//! could not run (a folder or key that cannot be read, bad flags), 2 when it
//! ran and found a problem (`list`/`audit`: a plugin is refused; `verify`: a
//! plugin is not validly signed by a trusted key).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::audit::AuditReport;
use super::folder;
use super::loader::{Loader, PluginFiles};
use super::signature::{self, PrivateKey, SignatureConfig, SignaturePolicy, TrustedKeys};
use crate::capability::Capabilities;
use crate::sandbox::SandboxConfig;

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// One line per plugin of the folder: name, version, status, tools, digest, signature.
    List(FolderArgs),
    /// The sandbox audit report: digests, signatures, imports required vs
    /// granted vs linked, each tool's scope and annotations, prompts, limits.
    Audit {
        #[command(flatten)]
        folder: FolderArgs,
        /// Print the `access-mcp-audit/1` JSON document (see host/mcp-host/src/plugins/AUDIT.md).
        #[arg(long)]
        json: bool,
    },
    /// Write a new Ed25519 signing key pair: `<key-id>.key` (private) and `<key-id>.pub`.
    Keygen {
        /// Folder to write the two files into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a plugin (its component and its exact manifest): writes `<stem>.sig`
    /// beside the manifest.
    Sign {
        /// The private key file written by `plugins keygen`.
        #[arg(long)]
        key: PathBuf,
        /// The plugin's manifest, e.g. `target/plugins/access-reads.toml`.
        #[arg(long)]
        plugin: PathBuf,
    },
    /// Check every plugin's signature against the trusted keys; exit 2 if any
    /// plugin is unsigned, badly signed or signed by a key not trusted.
    Verify {
        /// Folder of plugins: each `NAME.toml` manifest beside its component.
        #[arg(long, env = "ACCESS_MCP_PLUGINS_DIR", default_value = "target/plugins")]
        plugins_dir: PathBuf,
        /// Trusted public keys: a key file or a folder of `*.pub` files.
        #[arg(long, env = "ACCESS_MCP_TRUSTED_KEYS")]
        trusted_keys: Option<PathBuf>,
    },
}

/// The settings of `serve` that decide what loads, and under which limits.
#[derive(Debug, Clone, Args)]
pub struct FolderArgs {
    /// Folder of plugins: each `NAME.toml` manifest beside its component.
    #[arg(long, env = "ACCESS_MCP_PLUGINS_DIR", default_value = "target/plugins")]
    pub plugins_dir: PathBuf,

    /// Folder for compiled components (as `serve`).
    #[arg(long, env = "ACCESS_MCP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    #[command(flatten)]
    pub sandbox: SandboxConfig,

    #[command(flatten)]
    pub signatures: SignatureConfig,

    /// The deployment's environment, which decides whether signatures are required by
    /// default (as `serve`).
    #[arg(long = "env", env = "ENV", default_value = "development")]
    pub env: String,
}

/// How a command ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The command ran and found a problem (exit 2).
    Problems,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Problems => 2,
        }
    }
}

/// Load a folder exactly as `serve` does and build its report.
pub async fn audit(args: &FolderArgs, capabilities: &Capabilities) -> anyhow::Result<AuditReport> {
    let policy = SignaturePolicy::from_config(&args.signatures, &args.env)?;
    let loaded = folder::load(
        &args.sandbox,
        &args.plugins_dir,
        args.cache_dir.clone(),
        policy,
        capabilities.clone(),
    )
    .await?;
    Ok(AuditReport::of(&loaded))
}

pub async fn run(cmd: PluginsCommand, capabilities: &Capabilities) -> anyhow::Result<Outcome> {
    match cmd {
        PluginsCommand::List(args) => {
            let report = audit(&args, capabilities).await?;
            print!("{}", report.to_list());
            Ok(problems_if(report.any_refused()))
        }
        PluginsCommand::Audit { folder, json } => {
            let report = audit(&folder, capabilities).await?;
            if json {
                print!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(problems_if(report.any_refused()))
        }
        PluginsCommand::Keygen { out } => {
            let (key, private, public) = signature::keygen(&out)?;
            println!("key id {}", key.key_id());
            println!("private key: {} (keep it secret)", private.display());
            println!(
                "public key:  {} (trust it with ACCESS_MCP_TRUSTED_KEYS)",
                public.display()
            );
            Ok(Outcome::Ok)
        }
        PluginsCommand::Sign { key, plugin } => {
            let key = PrivateKey::load(&key)?;
            let files = PluginFiles::read(&plugin)?;
            let sig = key.sign(&files.component_sha256, &files.manifest_bytes);
            let path = signature::write_sig(&plugin, &sig)?;
            println!(
                "signed {} {} (component sha256 {}) with key {}: {}",
                files.manifest.name,
                files.manifest.version,
                files.component_sha256,
                sig.key_id,
                path.display()
            );
            Ok(Outcome::Ok)
        }
        PluginsCommand::Verify {
            plugins_dir,
            trusted_keys,
        } => {
            let trusted = match &trusted_keys {
                Some(p) => TrustedKeys::load(p)?,
                None => TrustedKeys::default(),
            };
            if trusted.is_empty() {
                eprintln!(
                    "access-mcp: no trusted keys (--trusted-keys or ACCESS_MCP_TRUSTED_KEYS): no signature can be valid"
                );
            }
            let policy = SignaturePolicy::new(trusted, true);
            let mut bad = 0usize;
            let manifests = Loader::manifests_in(&plugins_dir)?;
            for path in &manifests {
                let manifest = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match PluginFiles::read(path) {
                    Ok(files) => {
                        let status = files.signature(path, &policy);
                        if !status.is_valid() {
                            bad += 1;
                        }
                        println!("{manifest}  {}  {status}", files.manifest.name);
                    }
                    Err(e) => {
                        bad += 1;
                        println!("{manifest}  error: {e}");
                    }
                }
            }
            println!(
                "{} of {} plugins validly signed by a trusted key",
                manifests.len() - bad,
                manifests.len()
            );
            Ok(problems_if(bad > 0))
        }
    }
}

fn problems_if(bad: bool) -> Outcome {
    if bad { Outcome::Problems } else { Outcome::Ok }
}
