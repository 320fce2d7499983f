//! The sandbox audit report (`access-mcp plugins audit` and `plugins list`):
//! for each plugin of a folder, its digests, signature, the imports its
//! component requires against what its manifest grants and what was linked, its
//! tools (scope, annotations) and prompts, and the limits every call runs under.
//!
//! The report is built from a [`LoadedFolder`], which [`super::folder::load`]
//! produces with the real `Loader` and `Registry`: the linked interfaces, the
//! tool scopes and the refusals are the ones the server enforces, not a second
//! reading of the manifests. Only for a plugin that the loader refused before
//! it produced anything (its digests, version and grants) are the files read
//! again, to say what was refused.
//!
//! # JSON format `access-mcp-audit/1` (`plugins audit --json`)
//!
//! One JSON object, pretty-printed, keys always in the order below, lists
//! sorted, no absolute paths or timestamps, so two reports diff cleanly between
//! releases. A key whose value is unknown is present with `null`.
//!
//! - `format`: `"access-mcp-audit/1"`. A change of meaning gets a new number;
//!   new keys may be added within `/1`.
//! - `host_version`: version of the `access-mcp` binary.
//! - `limits`: what every plugin call runs under.
//!   - `deadline_ms`: wall-clock deadline of one call.
//!   - `memory_mib`: linear-memory cap of one instance.
//!   - `output_bytes`: cap on what one call may return.
//!   - `max_instances`: instances alive at once (further calls wait).
//!   - `memory_budget_mib`: linear memory all instances may hold at once.
//!   - `call_queue`, `call_queue_wait_ms`: calls that may wait for a slot or
//!     memory, and for how long, before they are refused as busy.
//!   - `budgets`: what one tool call may ask of the host: `imports`
//!     (host-import calls), `rows` (rows read), `log_records`, `log_bytes`,
//!     `writes` (write operations; always 1).
//! - `signatures`: the signature policy.
//!   - `required`: `ACCESS_MCP_REQUIRE_SIGNED`: unsigned or badly signed plugins are refused.
//!   - `trusted_keys`: key ids of the trusted public keys, sorted.
//! - `capabilities`: every interface this host can grant, sorted by `name`:
//!   `{name, summary}`.
//! - `plugins`: one object per manifest (`*.toml`) of the folder, sorted by
//!   manifest file name (the load order):
//!   - `manifest`: the manifest's file name.
//!   - `name`, `version`: from the manifest (`name` is the file stem and
//!     `version` null when the manifest cannot be read).
//!   - `status`: `"loaded"` (served) or `"refused"` (not served; see `error`).
//!   - `error`: null, or `{kind, message}` for a refused plugin. `kind` is one of
//!     `manifest`, `read-component`, `unsigned`, `bad-signature`,
//!     `untrusted-key`, `compile`, `import-not-granted`, `unknown-grant`,
//!     `link`, `no-exports`, `describe`, `bad-descriptor`, `duplicate-tool`,
//!     `duplicate-prompt`, `duplicate-resource`, `duplicate-plugin`; `message` is the loader's message (it names the
//!     import, grant, key or tool concerned).
//!   - `component`: the component's file name.
//!   - `component_sha256`, `manifest_sha256`: lowercase hex SHA-256 of the two files.
//!   - `signature`: `{status, key_id, reason}`; `status` is `unsigned`,
//!     `valid`, `invalid` or `untrusted-key`; `key_id` the signing key's id (16
//!     hex) when known; `reason` why it is `invalid`.
//!   - `grants`: the manifest's `grants`, sorted, as written.
//!   - `imports`: every import of the component (versioned), sorted:
//!     `{name, interface, linked_as}`, `linked_as` being `granted` (a
//!     capability the manifest grants), `always` (log, clock and the type-only
//!     interfaces every plugin gets) or `wasi-deny-all` (WASI, linked with no
//!     files, env, sockets or stdio). Null when the loader refused the plugin
//!     before reading its imports.
//!   - `linked`: the interfaces linked into the plugin (unversioned, sorted):
//!     exactly the loader's list; the plugin can call nothing else but WASI.
//!   - `unused_grants`: linked capabilities the component does not import
//!     (a grant that could be removed).
//!   - `tools`: sorted by `name`: `{name, title, description, required_scope,
//!     annotations: {read_only_hint, destructive_hint, idempotent_hint,
//!     open_world_hint}, input_schema_sha256, output_schema_sha256}`.
//!     `required_scope` is the scope the host checks before dispatching a call
//!     (null: none); annotation hints are null when the plugin gives none.
//!   - `prompts`: sorted by `name`: `{name, title, description, arguments: [{name, required}]}`.
//!   - `instructions`: the text the plugin adds to the server instructions, or null.
//!
//! `imports`, `linked`, `unused_grants`, `tools`, `prompts` are null for a
//! plugin refused before it was described; a plugin refused by the registry
//! (a duplicate name) still has them. See also `host/mcp-host/src/plugins/AUDIT.md`.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::folder::LoadedFolder;
use super::loader::{LoadError, LoadedPlugin};
use super::manifest::Manifest;
use super::signature::{SignaturePolicy, SignatureStatus};
use crate::capability::{Grant, unversioned};
use crate::sandbox::SandboxConfig;

/// Value of the report's `format` key.
pub const FORMAT: &str = "access-mcp-audit/1";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditReport {
    pub format: &'static str,
    pub host_version: &'static str,
    pub limits: Limits,
    pub signatures: SignaturesReport,
    pub capabilities: Vec<CapabilityReport>,
    pub plugins: Vec<PluginReport>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Limits {
    pub deadline_ms: u64,
    pub memory_mib: u64,
    pub output_bytes: usize,
    pub max_instances: u32,
    pub memory_budget_mib: u64,
    pub call_queue: usize,
    pub call_queue_wait_ms: u64,
    pub budgets: Budgets,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Budgets {
    pub imports: u32,
    pub rows: u64,
    pub log_records: u32,
    pub log_bytes: u64,
    pub writes: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignaturesReport {
    pub required: bool,
    pub trusted_keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapabilityReport {
    pub name: &'static str,
    pub summary: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Loaded,
    Refused,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PluginReport {
    pub manifest: String,
    pub name: String,
    pub version: Option<String>,
    pub status: Status,
    pub error: Option<ErrorReport>,
    pub component: Option<String>,
    pub component_sha256: Option<String>,
    pub manifest_sha256: Option<String>,
    pub signature: SignatureReport,
    pub grants: Option<Vec<String>>,
    pub imports: Option<Vec<ImportReport>>,
    pub linked: Option<Vec<String>>,
    pub unused_grants: Option<Vec<String>>,
    pub tools: Option<Vec<ToolReport>>,
    pub prompts: Option<Vec<PromptReport>>,
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ErrorReport {
    pub kind: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignatureReport {
    pub status: &'static str,
    pub key_id: Option<String>,
    pub reason: Option<String>,
}

impl From<&SignatureStatus> for SignatureReport {
    fn from(s: &SignatureStatus) -> Self {
        SignatureReport {
            status: s.kind(),
            key_id: s.key_id().map(String::from),
            reason: s.reason().map(String::from),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LinkedAs {
    Granted,
    Always,
    WasiDenyAll,
    /// Not linked (never the case for a loaded plugin).
    NotLinked,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportReport {
    pub name: String,
    pub interface: String,
    pub linked_as: LinkedAs,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Annotations {
    pub read_only_hint: Option<bool>,
    pub destructive_hint: Option<bool>,
    pub idempotent_hint: Option<bool>,
    pub open_world_hint: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToolReport {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    pub required_scope: Option<String>,
    pub annotations: Annotations,
    pub input_schema_sha256: String,
    pub output_schema_sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PromptArgumentReport {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PromptReport {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub arguments: Vec<PromptArgumentReport>,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A message on one line (compile errors carry their causes on several).
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

impl Limits {
    pub fn of(cfg: &SandboxConfig) -> Self {
        Limits {
            deadline_ms: cfg.plugin_deadline_ms,
            memory_mib: cfg.plugin_memory_mib,
            output_bytes: cfg.plugin_output_bytes,
            max_instances: cfg.max_instances,
            memory_budget_mib: cfg.memory_budget_mib,
            call_queue: cfg.call_queue,
            call_queue_wait_ms: cfg.call_queue_wait_ms,
            budgets: Budgets {
                imports: cfg.budgets.imports,
                rows: cfg.budgets.rows,
                log_records: cfg.budgets.log_records,
                log_bytes: cfg.budgets.log_bytes,
                writes: crate::sandbox::budget::WRITES_PER_CALL,
            },
        }
    }
}

impl AuditReport {
    /// The report of a folder loaded by [`super::folder::load`].
    pub fn of(folder: &LoadedFolder) -> AuditReport {
        let always: Vec<&str> = folder
            .capabilities
            .always_granted()
            .map(|i| i.name)
            .collect();
        let mut plugins: Vec<PluginReport> = folder
            .registry
            .plugins
            .iter()
            .map(|p| PluginReport::loaded(p, Status::Loaded, None, &always))
            .collect();
        for r in &folder.refused {
            let error = Some(ErrorReport::of(&r.error));
            plugins.push(match &r.plugin {
                Some(p) => PluginReport::loaded(p, Status::Refused, error, &always),
                None => PluginReport::refused(&r.manifest_path, error, &folder.signatures),
            });
        }
        plugins.sort_by(|a, b| a.manifest.cmp(&b.manifest));
        let mut caps: Vec<CapabilityReport> = folder
            .capabilities
            .interfaces()
            .filter(|(_, i)| i.grant != Grant::Types)
            .map(|(_, i)| CapabilityReport {
                name: i.name,
                summary: i.summary,
            })
            .collect();
        caps.sort_by(|a, b| a.name.cmp(b.name));
        AuditReport {
            format: FORMAT,
            host_version: env!("CARGO_PKG_VERSION"),
            limits: Limits::of(folder.sandbox.limits()),
            signatures: SignaturesReport {
                required: folder.signatures.required,
                trusted_keys: folder.signatures.trusted.ids(),
            },
            capabilities: caps,
            plugins,
        }
    }

    /// The `--json` document (pretty, with a final newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            // Serializing plain structs of strings and numbers cannot fail.
            format!("{{\"format\": \"{FORMAT}\", \"error\": \"{e}\"}}")
        });
        s.push('\n');
        s
    }

    pub fn any_refused(&self) -> bool {
        self.plugins.iter().any(|p| p.status == Status::Refused)
    }

    /// `plugins list`: one line per plugin.
    pub fn to_list(&self) -> String {
        let w = self.plugins.iter().map(|p| p.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for p in &self.plugins {
            let version = p.version.as_deref().unwrap_or("?");
            let status = match p.status {
                Status::Loaded => "loaded",
                Status::Refused => "REFUSED",
            };
            let tools = p
                .tools
                .as_ref()
                .map(|t| format!("{:>2} tools", t.len()))
                .unwrap_or_else(|| " - tools".into());
            let digest = p
                .component_sha256
                .as_deref()
                .map(|d| format!("sha256:{}", &d[..12.min(d.len())]))
                .unwrap_or_else(|| "sha256:-".into());
            let sig = match &p.signature.key_id {
                Some(k) => format!("{} {k}", p.signature.status),
                None => p.signature.status.to_string(),
            };
            let _ = write!(
                out,
                "{:<w$}  {version:<8}  {status:<7}  {tools}  {digest}  {sig}",
                p.name
            );
            if let Some(e) = &p.error {
                let _ = write!(out, "  {}", one_line(&e.message));
            }
            out.push('\n');
        }
        out
    }

    /// `plugins audit`: the report for a person.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let l = &self.limits;
        let _ = writeln!(
            o,
            "access-mcp {} sandbox audit ({})",
            self.host_version, self.format
        );
        let _ = writeln!(
            o,
            "limits: deadline {} ms, memory {} MiB, output {} bytes, {} instances at once",
            l.deadline_ms, l.memory_mib, l.output_bytes, l.max_instances
        );
        let _ = writeln!(
            o,
            "host-wide: plugin memory budget {} MiB; up to {} calls wait at most {} ms for capacity",
            l.memory_budget_mib, l.call_queue, l.call_queue_wait_ms
        );
        let b = &l.budgets;
        let _ = writeln!(
            o,
            "per tool call: {} host-import calls, {} rows read, {} log records, {} log bytes, {} write operation",
            b.imports, b.rows, b.log_records, b.log_bytes, b.writes
        );
        let keys = if self.signatures.trusted_keys.is_empty() {
            "none".to_string()
        } else {
            self.signatures.trusted_keys.join(", ")
        };
        let _ = writeln!(
            o,
            "signatures: {}; trusted keys: {keys}",
            if self.signatures.required {
                "required"
            } else {
                "not required"
            }
        );
        let loaded = self
            .plugins
            .iter()
            .filter(|p| p.status == Status::Loaded)
            .count();
        let _ = writeln!(
            o,
            "plugins: {loaded} loaded, {} refused",
            self.plugins.len() - loaded
        );
        for p in &self.plugins {
            o.push('\n');
            p.write_text(&mut o);
        }
        o
    }
}

impl ErrorReport {
    fn of(e: &LoadError) -> Self {
        ErrorReport {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl PluginReport {
    /// A plugin the loader produced (served, or refused by the registry).
    fn loaded(
        p: &LoadedPlugin,
        status: Status,
        error: Option<ErrorReport>,
        always: &[&str],
    ) -> Self {
        let mut grants = p.manifest.grants.clone();
        grants.sort();
        let imports: Vec<ImportReport> = p
            .required_imports
            .iter()
            .map(|name| {
                let interface = unversioned(name).to_string();
                let linked_as = if interface.starts_with("wasi:") {
                    LinkedAs::WasiDenyAll
                } else if !p.linked.contains(&interface) {
                    LinkedAs::NotLinked
                } else if always.iter().any(|a| *a == interface) {
                    LinkedAs::Always
                } else {
                    LinkedAs::Granted
                };
                ImportReport {
                    name: name.clone(),
                    interface,
                    linked_as,
                }
            })
            .collect();
        let unused_grants: Vec<String> = p
            .linked
            .iter()
            .filter(|l| !always.contains(&l.as_str()))
            .filter(|l| !imports.iter().any(|i| &i.interface == *l))
            .cloned()
            .collect();
        let mut tools: Vec<ToolReport> = p
            .tools
            .iter()
            .map(|t| ToolReport {
                name: t.name.clone(),
                title: t.title.clone(),
                description: t.description.clone(),
                required_scope: t.required_scope.clone(),
                annotations: Annotations {
                    read_only_hint: t.annotations.read_only_hint,
                    destructive_hint: t.annotations.destructive_hint,
                    idempotent_hint: t.annotations.idempotent_hint,
                    open_world_hint: t.annotations.open_world_hint,
                },
                input_schema_sha256: sha256_hex(&t.input_schema),
                output_schema_sha256: t.output_schema.as_deref().map(sha256_hex),
            })
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let mut prompts: Vec<PromptReport> = p
            .prompts
            .iter()
            .map(|pr| PromptReport {
                name: pr.name.clone(),
                title: pr.title.clone(),
                description: pr.description.clone(),
                arguments: pr
                    .arguments
                    .iter()
                    .map(|a| PromptArgumentReport {
                        name: a.name.clone(),
                        required: a.required,
                    })
                    .collect(),
            })
            .collect();
        prompts.sort_by(|a, b| a.name.cmp(&b.name));
        PluginReport {
            manifest: file_name(&p.manifest_path),
            name: p.manifest.name.clone(),
            version: Some(p.manifest.version.clone()),
            status,
            error,
            component: Some(file_name(&p.component_path)),
            component_sha256: Some(p.component_sha256.clone()),
            manifest_sha256: Some(p.manifest_sha256.clone()),
            signature: SignatureReport::from(&p.signature),
            grants: Some(grants),
            imports: Some(imports),
            linked: Some(p.linked.clone()),
            unused_grants: Some(unused_grants),
            tools: Some(tools),
            prompts: Some(prompts),
            instructions: p.instructions.clone(),
        }
    }

    /// A plugin the loader refused: what its files say, and the refusal.
    fn refused(path: &Path, error: Option<ErrorReport>, policy: &SignaturePolicy) -> Self {
        let manifest = file_name(path);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| manifest.clone());
        let mut r = PluginReport {
            manifest,
            name: stem,
            version: None,
            status: Status::Refused,
            error,
            component: None,
            component_sha256: None,
            manifest_sha256: None,
            signature: SignatureReport::from(&SignatureStatus::Unsigned),
            grants: None,
            imports: None,
            linked: None,
            unused_grants: None,
            tools: None,
            prompts: None,
            instructions: None,
        };
        let Ok(bytes) = std::fs::read(path) else {
            return r;
        };
        r.manifest_sha256 = Some(hex::encode(Sha256::digest(&bytes)));
        let Ok(m) = Manifest::parse(path, &String::from_utf8_lossy(&bytes)) else {
            return r;
        };
        r.name = m.name.clone();
        r.version = Some(m.version.clone());
        let mut grants = m.grants.clone();
        grants.sort();
        r.grants = Some(grants);
        let component = m.component_file();
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Ok(c) = std::fs::read(dir.join(&component)) {
            let digest = hex::encode(Sha256::digest(&c));
            r.signature = SignatureReport::from(&policy.check(path, &bytes, &digest));
            r.component_sha256 = Some(digest);
        }
        r.component = Some(component);
        r
    }

    fn write_text(&self, o: &mut String) {
        let version = self.version.as_deref().unwrap_or("?");
        match (&self.status, &self.error) {
            (Status::Loaded, _) => {
                let _ = writeln!(o, "{} {version}: loaded", self.name);
            }
            (Status::Refused, e) => {
                let why = e.as_ref().map(|e| one_line(&e.message)).unwrap_or_default();
                let _ = writeln!(o, "{} {version}: REFUSED: {why}", self.name);
            }
        }
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let _ = writeln!(
            o,
            "  manifest   {}  sha256 {}",
            self.manifest,
            dash(&self.manifest_sha256)
        );
        let _ = writeln!(
            o,
            "  component  {}  sha256 {}",
            dash(&self.component),
            dash(&self.component_sha256)
        );
        let s = &self.signature;
        let mut sig = s.status.to_string();
        if let Some(k) = &s.key_id {
            let _ = write!(sig, " (key {k})");
        }
        if let Some(r) = &s.reason {
            let _ = write!(sig, ": {r}");
        }
        let _ = writeln!(o, "  signature  {sig}");
        if let Some(g) = &self.grants {
            let g = if g.is_empty() {
                "(none)".to_string()
            } else {
                g.join(", ")
            };
            let _ = writeln!(o, "  grants     {g}");
        }
        if let Some(imports) = &self.imports {
            let w = imports.iter().map(|i| i.name.len()).max().unwrap_or(0);
            let _ = writeln!(o, "  imports");
            for i in imports {
                let how = match i.linked_as {
                    LinkedAs::Granted => "granted by the manifest",
                    LinkedAs::Always => "always granted",
                    LinkedAs::WasiDenyAll => "WASI, deny-all context",
                    LinkedAs::NotLinked => "NOT LINKED",
                };
                let _ = writeln!(o, "    {:<w$}  {how}", i.name);
            }
        }
        if let Some(l) = &self.linked {
            let _ = writeln!(o, "  linked     {}", l.join(", "));
        }
        if let Some(u) = self.unused_grants.as_ref().filter(|u| !u.is_empty()) {
            let _ = writeln!(o, "  granted but not imported: {}", u.join(", "));
        }
        if let Some(tools) = &self.tools {
            let _ = writeln!(o, "  tools ({})", tools.len());
            for t in tools {
                let scope = t.required_scope.as_deref().unwrap_or("(none)");
                let a = &t.annotations;
                let hints: Vec<String> = [
                    (a.read_only_hint, "read-only"),
                    (a.destructive_hint, "destructive"),
                    (a.idempotent_hint, "idempotent"),
                    (a.open_world_hint, "open-world"),
                ]
                .iter()
                .filter_map(|(h, n)| h.map(|v| format!("{n}={}", if v { "yes" } else { "no" })))
                .collect();
                let title = t.title.as_deref().unwrap_or("");
                let _ = writeln!(
                    o,
                    "    {}  \"{title}\"  scope {scope}  [{}]",
                    t.name,
                    hints.join(", ")
                );
            }
        }
        if let Some(prompts) = &self.prompts {
            let _ = writeln!(o, "  prompts ({})", prompts.len());
            for p in prompts {
                let args: Vec<String> = p
                    .arguments
                    .iter()
                    .map(|a| {
                        if a.required {
                            a.name.clone()
                        } else {
                            format!("{}?", a.name)
                        }
                    })
                    .collect();
                let _ = writeln!(o, "    {}({})", p.name, args.join(", "));
            }
        }
        if let Some(i) = &self.instructions {
            let _ = writeln!(o, "  instructions: {} characters", i.chars().count());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::folder;

    fn load(dir: &Path) -> AuditReport {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let limits = SandboxConfig {
            max_instances: 4,
            plugin_deadline_ms: 1234,
            ..SandboxConfig::default()
        };
        let cache = tempfile::tempdir().unwrap();
        rt.block_on(folder::load(
            &limits,
            dir,
            Some(cache.path().to_path_buf()),
            SignaturePolicy::default(),
            crate::capability::Capabilities::default(),
        ))
        .map(|f| AuditReport::of(&f))
        .unwrap()
    }

    #[test]
    fn refused_plugins_appear_with_their_error_and_keys_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b-broken.toml"), "name = \"Bad Name\"\n").unwrap();
        std::fs::write(
            dir.path().join("a-missing.toml"),
            "name = \"a-missing\"\nversion = \"1.2.3\"\ngrants = [\"example:kv/store\"]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("c-notwasm.toml"), "name = \"c-notwasm\"\n").unwrap();
        std::fs::write(dir.path().join("c-notwasm.wasm"), b"not a component").unwrap();
        let r = load(dir.path());
        assert_eq!(r.limits.deadline_ms, 1234);
        assert_eq!(r.limits.max_instances, 4);
        let names: Vec<&str> = r.plugins.iter().map(|p| p.manifest.as_str()).collect();
        assert_eq!(names, ["a-missing.toml", "b-broken.toml", "c-notwasm.toml"]);
        let kinds: Vec<&str> = r
            .plugins
            .iter()
            .map(|p| p.error.as_ref().unwrap().kind)
            .collect();
        assert_eq!(kinds, ["read-component", "manifest", "compile"]);
        assert!(r.plugins.iter().all(|p| p.status == Status::Refused));
        assert!(r.any_refused());
        let a = &r.plugins[0];
        assert_eq!(a.version.as_deref(), Some("1.2.3"));
        assert_eq!(
            a.grants.as_deref(),
            Some(&["example:kv/store".to_string()][..])
        );
        assert!(a.manifest_sha256.is_some() && a.component_sha256.is_none());
        let c = &r.plugins[2];
        assert_eq!(
            c.component_sha256.as_deref(),
            Some(hex::encode(Sha256::digest(b"not a component")).as_str())
        );
        assert_eq!(c.signature.status, "unsigned");

        let json = r.to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let top: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            top,
            [
                "format",
                "host_version",
                "limits",
                "signatures",
                "capabilities",
                "plugins"
            ]
        );
        let plugin_keys: Vec<&String> = v["plugins"][0].as_object().unwrap().keys().collect();
        assert_eq!(
            plugin_keys,
            [
                "manifest",
                "name",
                "version",
                "status",
                "error",
                "component",
                "component_sha256",
                "manifest_sha256",
                "signature",
                "grants",
                "imports",
                "linked",
                "unused_grants",
                "tools",
                "prompts",
                "instructions"
            ]
        );
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["plugins"][1]["name"], "b-broken");
        assert_eq!(v["plugins"][1]["version"], serde_json::Value::Null);
        let caps: Vec<&str> = v["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        let mut sorted = caps.clone();
        sorted.sort();
        assert_eq!(caps, sorted);
        assert_eq!(
            caps,
            [
                "mcp:plugin/clock",
                "mcp:plugin/elicitation",
                "mcp:plugin/log",
                "mcp:plugin/notify",
                "mcp:plugin/sampling"
            ]
        );
        // The same folder gives the same document.
        assert_eq!(load(dir.path()).to_json(), json);
        assert_eq!(r.to_list().lines().count(), 3);
        assert!(r.to_text().contains("REFUSED"));
    }
}
