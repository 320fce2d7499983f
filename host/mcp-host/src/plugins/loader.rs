//! Loading one plugin: read its manifest and component, compile (or load the
//! cached compilation), refuse imports the manifest does not grant, link only
//! what it grants, pre-instantiate, and ask it for its tools and prompts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};

use super::manifest::{Manifest, ManifestError};
use super::signature::{SignaturePolicy, SignatureStatus};
use crate::bindings::plugin_types::{PromptDescriptor, ToolDescriptor};
use crate::capability::{Capabilities, Grant, unversioned};
use crate::sandbox::cache::{CacheOutcome, CompiledCache};
use crate::sandbox::call::{Invocation, PluginCode, PromptsExport, Returned, ToolsExport};
use crate::sandbox::state::{CallContext, CallState};
use crate::sandbox::{PluginFault, Sandbox};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugins folder {0} cannot be read: {1}")]
    Folder(PathBuf, std::io::Error),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("plugin `{plugin}`: cannot read component {path}: {source}")]
    ReadComponent {
        plugin: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "plugin `{plugin}` is refused: it is unsigned (no {sig_file} beside its manifest) and signed plugins are required"
    )]
    Unsigned { plugin: String, sig_file: String },
    #[error("plugin `{plugin}` is refused: its signature is invalid: {reason}")]
    BadSignature { plugin: String, reason: String },
    #[error(
        "plugin `{plugin}` is refused: it is signed by key {key_id}, which is not a trusted key"
    )]
    UntrustedKey { plugin: String, key_id: String },
    #[error("plugin `{plugin}`: not a valid component: {detail}")]
    Compile { plugin: String, detail: String },
    #[error("plugin `{plugin}` imports `{import}`, which its manifest does not grant")]
    ImportNotGranted { plugin: String, import: String },
    #[error("plugin `{plugin}`: its manifest grants `{grant}`, which this host does not provide")]
    UnknownGrant { plugin: String, grant: String },
    #[error("plugin `{plugin}`: cannot link its imports: {detail}")]
    Link { plugin: String, detail: String },
    #[error(
        "plugin `{plugin}` exports neither mcp:plugin/tool-provider nor mcp:plugin/prompt-provider"
    )]
    NoExports { plugin: String },
    #[error("plugin `{plugin}` failed while describing itself: {fault}")]
    Describe { plugin: String, fault: PluginFault },
    #[error("plugin `{plugin}`: {detail}")]
    BadDescriptor { plugin: String, detail: String },
    #[error("tool `{tool}` is exported by both `{first}` and `{second}`; `{second}` is not loaded")]
    DuplicateTool {
        tool: String,
        first: String,
        second: String,
    },
    #[error(
        "resource `{uri}` is served by both `{first}` and `{second}`; `{second}` is not loaded"
    )]
    DuplicateResource {
        uri: String,
        first: String,
        second: String,
    },
    #[error(
        "prompt `{prompt}` is exported by both `{first}` and `{second}`; `{second}` is not loaded"
    )]
    DuplicatePrompt {
        prompt: String,
        first: String,
        second: String,
    },
    #[error(
        "plugin name `{plugin}` is used by both {} and {}; the second is not loaded",
        first.display(),
        second.display()
    )]
    DuplicatePlugin {
        plugin: String,
        first: PathBuf,
        second: PathBuf,
    },
}

impl LoadError {
    /// A stable kebab-case name of the variant (for the audit report).
    pub fn kind(&self) -> &'static str {
        match self {
            LoadError::Folder(..) => "folder",
            LoadError::Manifest(_) => "manifest",
            LoadError::ReadComponent { .. } => "read-component",
            LoadError::Unsigned { .. } => "unsigned",
            LoadError::BadSignature { .. } => "bad-signature",
            LoadError::UntrustedKey { .. } => "untrusted-key",
            LoadError::Compile { .. } => "compile",
            LoadError::ImportNotGranted { .. } => "import-not-granted",
            LoadError::UnknownGrant { .. } => "unknown-grant",
            LoadError::Link { .. } => "link",
            LoadError::NoExports { .. } => "no-exports",
            LoadError::Describe { .. } => "describe",
            LoadError::BadDescriptor { .. } => "bad-descriptor",
            LoadError::DuplicateTool { .. } => "duplicate-tool",
            LoadError::DuplicatePrompt { .. } => "duplicate-prompt",
            LoadError::DuplicateResource { .. } => "duplicate-resource",
            LoadError::DuplicatePlugin { .. } => "duplicate-plugin",
        }
    }

    /// Whether this is a name collision between two plugins.
    pub fn is_collision(&self) -> bool {
        matches!(
            self,
            LoadError::DuplicateTool { .. }
                | LoadError::DuplicatePrompt { .. }
                | LoadError::DuplicateResource { .. }
                | LoadError::DuplicatePlugin { .. }
        )
    }

    /// The metric reason of a collision.
    pub fn collision_reason(&self) -> &'static str {
        match self {
            LoadError::DuplicatePrompt { .. } => "prompt_collision",
            LoadError::DuplicateResource { .. } => "resource_collision",
            LoadError::DuplicatePlugin { .. } => "plugin_name_collision",
            _ => "tool_collision",
        }
    }
}

/// The interfaces through which a plugin reaches the client during a call.
pub const CLIENT_FACING: [&str; 3] = [
    "mcp:plugin/notify",
    "mcp:plugin/sampling",
    "mcp:plugin/elicitation",
];

impl LoadedPlugin {
    /// Whether it was linked any client-facing interface (so its calls need a
    /// link to the client; others share one that reaches nobody).
    pub fn talks_to_client(&self) -> bool {
        self.linked
            .iter()
            .any(|l| CLIENT_FACING.contains(&l.as_str()))
    }
}

/// A plugin ready to serve: its code, what it was granted, and what it offers.
pub struct LoadedPlugin {
    pub manifest: Manifest,
    pub manifest_path: PathBuf,
    pub component_path: PathBuf,
    pub component_sha256: String,
    pub manifest_sha256: String,
    /// Its signature, checked before compiling (enforced when the policy requires it).
    pub signature: SignatureStatus,
    /// Every import the component requires (versioned names), sorted.
    pub required_imports: Vec<String>,
    /// The capabilities linked for it (unversioned names), sorted.
    pub linked: Vec<String>,
    pub code: PluginCode,
    pub tools: Vec<ToolDescriptor>,
    pub prompts: Vec<PromptDescriptor>,
    pub instructions: Option<String>,
    /// The resources and resource templates it serves (contract 0.2).
    pub resources: Vec<crate::bindings::v2::plugin_types::ResourceDescriptor>,
    pub resource_templates: Vec<crate::bindings::v2::plugin_types::ResourceTemplate>,
    pub cache: CacheOutcome,
}

pub struct Loader {
    sandbox: Arc<Sandbox>,
    capabilities: Capabilities,
    cache: CompiledCache,
    signatures: SignaturePolicy,
}

/// A plugin's files as read from disk, before anything is compiled.
pub struct PluginFiles {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub manifest_sha256: String,
    pub component_path: PathBuf,
    pub component_bytes: Vec<u8>,
    pub component_sha256: String,
}

impl PluginFiles {
    /// Read a manifest and the component it names.
    pub fn read(manifest_path: &Path) -> Result<PluginFiles, LoadError> {
        let (manifest, manifest_bytes) = Manifest::read(manifest_path)?;
        let dir = manifest_path.parent().unwrap_or(Path::new("."));
        let component_path = dir.join(manifest.component_file());
        let component_bytes =
            std::fs::read(&component_path).map_err(|source| LoadError::ReadComponent {
                plugin: manifest.name.clone(),
                path: component_path.clone(),
                source,
            })?;
        Ok(PluginFiles {
            manifest_sha256: sha256_hex(&manifest_bytes),
            component_sha256: sha256_hex(&component_bytes),
            manifest,
            manifest_bytes,
            component_path,
            component_bytes,
        })
    }

    /// This plugin's signature status under `policy`.
    pub fn signature(&self, manifest_path: &Path, policy: &SignaturePolicy) -> SignatureStatus {
        policy.check(manifest_path, &self.manifest_bytes, &self.component_sha256)
    }
}

/// The refusal a policy that requires signatures gives for `status`, if any.
pub fn signature_refusal(
    plugin: &str,
    manifest_path: &Path,
    status: &SignatureStatus,
) -> Option<LoadError> {
    let plugin = plugin.to_string();
    match status {
        SignatureStatus::Valid { .. } => None,
        SignatureStatus::Unsigned => Some(LoadError::Unsigned {
            plugin,
            sig_file: super::signature::sig_path(manifest_path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }),
        SignatureStatus::Invalid { reason, .. } => Some(LoadError::BadSignature {
            plugin,
            reason: reason.clone(),
        }),
        SignatureStatus::UntrustedKey { key_id } => Some(LoadError::UntrustedKey {
            plugin,
            key_id: key_id.clone(),
        }),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Loader {
    /// A loader for plugins run in `sandbox`, linked against `capabilities`
    /// (the set whose per-call states the sandbox builds).
    pub fn new(sandbox: Arc<Sandbox>, capabilities: Capabilities, cache: CompiledCache) -> Self {
        Loader {
            sandbox,
            capabilities,
            cache,
            signatures: SignaturePolicy::default(),
        }
    }

    /// Check signatures under `policy`: with `policy.required`, refuse every
    /// plugin not validly signed by a trusted key. Without it (and by default)
    /// the status is only recorded in [`LoadedPlugin::signature`].
    pub fn with_signatures(mut self, policy: SignaturePolicy) -> Self {
        self.signatures = policy;
        self
    }

    pub fn signatures(&self) -> &SignaturePolicy {
        &self.signatures
    }

    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// The manifests of a plugins folder, sorted by file name.
    pub fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| LoadError::Folder(dir.to_path_buf(), e))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Load every plugin of a folder, each result beside its manifest path, in
    /// the order of [`Loader::manifests_in`].
    pub async fn load_each(
        &self,
        dir: &Path,
    ) -> Result<Vec<(PathBuf, Result<LoadedPlugin, LoadError>)>, LoadError> {
        let mut out = Vec::new();
        for path in Self::manifests_in(dir)? {
            let result = self.load(&path).await;
            out.push((path, result));
        }
        Ok(out)
    }

    /// Load one plugin from its manifest path.
    pub async fn load(&self, manifest_path: &Path) -> Result<LoadedPlugin, LoadError> {
        let files = PluginFiles::read(manifest_path)?;
        // The signature is checked before anything is compiled.
        let signature = files.signature(manifest_path, &self.signatures);
        if self.signatures.required
            && let Some(refusal) =
                signature_refusal(&files.manifest.name, manifest_path, &signature)
        {
            return Err(refusal);
        }
        let PluginFiles {
            manifest,
            manifest_sha256,
            component_path,
            component_bytes: bytes,
            component_sha256,
            ..
        } = files;
        let plugin = manifest.name.clone();
        let engine = self.sandbox.engine().clone();
        let (component, cache) = self
            .cache
            .load(&engine, &bytes, &component_sha256)
            .map_err(|e| LoadError::Compile {
                plugin: plugin.clone(),
                detail: format!("{e:#}"),
            })?;

        let granted = self.check_grants(&manifest)?;
        let required_imports = required_imports(&component, &engine);
        for import in &required_imports {
            let name = unversioned(import);
            let allowed = name.starts_with("wasi:") || granted.contains(name);
            if !allowed {
                return Err(LoadError::ImportNotGranted {
                    plugin,
                    import: import.clone(),
                });
            }
        }

        let linker =
            build_linker(&engine, &self.capabilities, &granted).map_err(|e| LoadError::Link {
                plugin: plugin.clone(),
                detail: format!("{e:#}"),
            })?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link {
                plugin: plugin.clone(),
                detail: format!("{e:#}"),
            })?;
        let tools_export = ToolsExport::of(&pre);
        let prompts_export = PromptsExport::of(&pre);
        let resources_export = crate::bindings::v2::resource_provider::GuestIndices::new(&pre).ok();
        if tools_export.is_none() && prompts_export.is_none() && resources_export.is_none() {
            return Err(LoadError::NoExports { plugin });
        }
        let mut code = PluginCode {
            name: Arc::from(plugin.as_str()),
            pre,
            tools: tools_export,
            prompts: prompts_export,
            resources: resources_export,
            // Until measured: the whole per-instance cap.
            reserve_bytes: self.sandbox.limits().memory_bytes(),
        };

        let (tools, prompts, instructions, peak) = self.describe(&code).await?;
        code.reserve_bytes = peak.min(self.sandbox.limits().memory_bytes());
        validate_tools(&plugin, &tools, &self.capabilities.scopes())?;
        validate_prompts(&plugin, &prompts, instructions.as_deref())?;
        let (resources, resource_templates) = self.describe_resources(&code).await?;

        let mut linked: Vec<String> = granted.into_iter().map(String::from).collect();
        linked.sort();
        Ok(LoadedPlugin {
            manifest_sha256,
            signature,
            manifest,
            manifest_path: manifest_path.to_path_buf(),
            component_path,
            component_sha256,
            required_imports,
            linked,
            code,
            tools,
            prompts,
            instructions,
            resources,
            resource_templates,
            cache,
        })
    }

    /// The set of interfaces this plugin may import: the manifest's grants plus
    /// the ones every plugin gets. An unknown grant is an error.
    fn check_grants(&self, manifest: &Manifest) -> Result<BTreeSet<&'static str>, LoadError> {
        let capabilities = &self.capabilities;
        let mut granted: BTreeSet<&'static str> =
            capabilities.always_granted().map(|i| i.name).collect();
        for grant in &manifest.grants {
            let name = unversioned(grant);
            match capabilities.find(name).map(|i| i.name) {
                Some(n) => {
                    granted.insert(n);
                }
                None => {
                    return Err(LoadError::UnknownGrant {
                        plugin: manifest.name.clone(),
                        grant: grant.clone(),
                    });
                }
            }
        }
        Ok(granted)
    }

    /// Ask a plugin that serves resources for them and its templates.
    async fn describe_resources(&self, code: &PluginCode) -> Result<Resources, LoadError> {
        if code.resources.is_none() {
            return Ok((Vec::new(), Vec::new()));
        }
        let call = async |invocation| {
            let ctx = CallContext::loading(code.name.clone());
            self.sandbox
                .invoke(code, ctx, invocation)
                .await
                .map_err(|fault| LoadError::Describe {
                    plugin: code.name.to_string(),
                    fault,
                })
        };
        let Returned::Resources(resources) = call(Invocation::ListResources).await? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let Returned::ResourceTemplates(templates) =
            call(Invocation::ListResourceTemplates).await?
        else {
            return Ok((resources, Vec::new()));
        };
        Ok((resources, templates))
    }

    /// Ask the plugin for its tools, prompts and instructions; also returns
    /// the most linear memory one of these calls held (what a call of this
    /// plugin reserves of the memory budget).
    async fn describe(&self, code: &PluginCode) -> Result<Description, LoadError> {
        let plugin = code.name.to_string();
        let fault = |fault| LoadError::Describe {
            plugin: plugin.clone(),
            fault,
        };
        let mut peak = 0usize;
        let mut call = async |invocation| {
            let ctx = CallContext::loading(code.name.clone());
            let (returned, usage) = self.sandbox.invoke_measured(code, ctx, invocation).await;
            peak = peak.max(usage.memory_peak_bytes);
            returned.map_err(fault)
        };
        let mut tools = Vec::new();
        let mut prompts = Vec::new();
        let mut instructions = None;
        if code.tools.is_some()
            && let Returned::Tools(t) = call(Invocation::ListTools).await?
        {
            tools = t;
        }
        if code.prompts.is_some() {
            if let Returned::Prompts(p) = call(Invocation::ListPrompts).await? {
                prompts = p;
            }
            if let Returned::Instructions(i) = call(Invocation::Instructions).await? {
                instructions = i;
            }
        }
        Ok((tools, prompts, instructions, peak))
    }
}

/// The resources and resource templates a plugin serves.
type Resources = (
    Vec<crate::bindings::v2::plugin_types::ResourceDescriptor>,
    Vec<crate::bindings::v2::plugin_types::ResourceTemplate>,
);

/// What a plugin says of itself, and the memory that took.
type Description = (
    Vec<ToolDescriptor>,
    Vec<PromptDescriptor>,
    Option<String>,
    usize,
);

/// A linker with WASI (denied by the per-call context) and exactly the granted capabilities.
fn build_linker(
    engine: &wasmtime::Engine,
    capabilities: &Capabilities,
    granted: &BTreeSet<&'static str>,
) -> wasmtime::Result<Linker<CallState>> {
    let mut linker: Linker<CallState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    for (_, interface) in capabilities.interfaces() {
        if interface.grant == Grant::Types || granted.contains(interface.name) {
            (interface.link)(&mut linker)?;
        }
    }
    Ok(linker)
}

/// Every import name of a component, sorted.
pub fn required_imports(component: &Component, engine: &wasmtime::Engine) -> Vec<String> {
    let mut names: Vec<String> = component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    names.sort();
    names
}

/// Bounds on what a plugin says of itself, checked at load: every byte of a
/// descriptor goes to every client on every `tools/list`.
pub mod descriptor_limits {
    /// Tools one plugin may serve.
    pub const TOOLS: usize = 256;
    /// A tool's or prompt's title.
    pub const TITLE_BYTES: usize = 256;
    /// A tool's or prompt's description.
    pub const DESCRIPTION_BYTES: usize = 16 * 1024;
    /// An input or output schema (JSON text).
    pub const SCHEMA_BYTES: usize = 64 * 1024;
    /// Everything one plugin's tools say, together.
    pub const TOTAL_BYTES: usize = 1024 * 1024;
    /// Prompts one plugin may serve, and arguments per prompt.
    pub const PROMPTS: usize = 64;
    pub const PROMPT_ARGUMENTS: usize = 32;
    /// The server instructions a plugin contributes.
    pub const INSTRUCTIONS_BYTES: usize = 32 * 1024;
}

fn validate_tools(
    plugin: &str,
    tools: &[ToolDescriptor],
    known_scopes: &[&str],
) -> Result<(), LoadError> {
    use descriptor_limits as max;
    let bad = |detail: String| LoadError::BadDescriptor {
        plugin: plugin.to_string(),
        detail,
    };
    if tools.len() > max::TOOLS {
        return Err(bad(format!(
            "it lists {} tools; at most {} are served per plugin",
            tools.len(),
            max::TOOLS
        )));
    }
    let mut seen = BTreeSet::new();
    let mut total = 0usize;
    for t in tools {
        let name_ok = !t.name.is_empty()
            && t.name.len() <= 128
            && t.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            return Err(bad(format!(
                "tool name `{}` is not valid",
                t.name.escape_debug()
            )));
        }
        if !seen.insert(t.name.as_str()) {
            return Err(bad(format!("tool `{}` is listed twice", t.name)));
        }
        let sizes = [
            (
                "title",
                t.title.as_ref().map_or(0, String::len),
                max::TITLE_BYTES,
            ),
            ("description", t.description.len(), max::DESCRIPTION_BYTES),
            ("input schema", t.input_schema.len(), max::SCHEMA_BYTES),
            (
                "output schema",
                t.output_schema.as_ref().map_or(0, String::len),
                max::SCHEMA_BYTES,
            ),
        ];
        for (what, len, cap) in sizes {
            if len > cap {
                return Err(bad(format!(
                    "tool `{}` has a {what} of {len} bytes; at most {cap} are served",
                    t.name
                )));
            }
            total += len;
        }
        if let Some(scope) = &t.required_scope
            && !known_scopes.contains(&scope.as_str())
        {
            return Err(bad(format!(
                "tool `{}` requires scope `{}`, which this host does not know (it knows {})",
                t.name,
                scope.escape_debug(),
                known_scopes.join(", ")
            )));
        }
        for (what, schema) in [
            ("input", Some(&t.input_schema)),
            ("output", t.output_schema.as_ref()),
        ] {
            if let Some(s) = schema {
                match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(serde_json::Value::Object(_)) => {}
                    _ => {
                        return Err(bad(format!(
                            "tool `{}` has an {what} schema that is not a JSON object",
                            t.name
                        )));
                    }
                }
            }
        }
    }
    if total > max::TOTAL_BYTES {
        return Err(bad(format!(
            "its tool descriptors total {total} bytes; at most {} are served per plugin",
            max::TOTAL_BYTES
        )));
    }
    Ok(())
}

fn validate_prompts(
    plugin: &str,
    prompts: &[PromptDescriptor],
    instructions: Option<&str>,
) -> Result<(), LoadError> {
    use descriptor_limits as max;
    let bad = |detail: String| LoadError::BadDescriptor {
        plugin: plugin.to_string(),
        detail,
    };
    if prompts.len() > max::PROMPTS {
        return Err(bad(format!(
            "it lists {} prompts; at most {} are served per plugin",
            prompts.len(),
            max::PROMPTS
        )));
    }
    for p in prompts {
        let name_ok = !p.name.is_empty()
            && p.name.len() <= 128
            && p.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            return Err(bad(format!(
                "prompt name `{}` is not valid",
                p.name.escape_debug()
            )));
        }
        let description = p.description.as_ref().map_or(0, String::len);
        let title = p.title.as_ref().map_or(0, String::len);
        let arguments: usize = p
            .arguments
            .iter()
            .map(|a| a.name.len() + a.description.as_ref().map_or(0, String::len))
            .sum();
        if description > max::DESCRIPTION_BYTES
            || title > max::TITLE_BYTES
            || p.arguments.len() > max::PROMPT_ARGUMENTS
            || arguments > max::DESCRIPTION_BYTES
        {
            return Err(bad(format!(
                "prompt `{}` is described at more length than is served (title {}, description {}, {} arguments of at most {} bytes)",
                p.name,
                max::TITLE_BYTES,
                max::DESCRIPTION_BYTES,
                max::PROMPT_ARGUMENTS,
                max::DESCRIPTION_BYTES
            )));
        }
    }
    if let Some(i) = instructions
        && i.len() > max::INSTRUCTIONS_BYTES
    {
        return Err(bad(format!(
            "its server instructions are {} bytes; at most {} are served",
            i.len(),
            max::INSTRUCTIONS_BYTES
        )));
    }
    Ok(())
}
