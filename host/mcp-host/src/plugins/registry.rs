//! The set of plugins being served, and the routing of tools and prompts to them.
//! Built once from a loaded folder; a new registry can replace it as a whole.
//! A plugin, tool or prompt name belongs to one plugin: at startup the first
//! in folder order (and `serve` refuses to start on a collision), on reload
//! the plugin already serving it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use super::loader::{LoadError, LoadedPlugin};
use crate::bindings::plugin_types::{PromptDescriptor, ToolDescriptor};
use crate::caller::Caller;

/// A tool and the plugin that serves it.
#[derive(Clone)]
pub struct ToolRoute {
    pub plugin: Arc<LoadedPlugin>,
    pub descriptor: ToolDescriptor,
}

#[derive(Clone)]
pub struct PromptRoute {
    pub plugin: Arc<LoadedPlugin>,
    pub descriptor: PromptDescriptor,
}

#[derive(Default)]
pub struct Registry {
    pub plugins: Vec<Arc<LoadedPlugin>>,
    pub tools: BTreeMap<String, ToolRoute>,
    pub prompts: BTreeMap<String, PromptRoute>,
    /// The server `instructions`, joined from every plugin that gives some.
    pub instructions: Option<String>,
}

impl ToolRoute {
    /// The scope this tool requires that `caller` lacks: the one check at
    /// dispatch, whichever layer names the tool first (the HTTP layer's
    /// insufficient-scope challenge, or the MCP handler's tool error). Every
    /// capability import checks again at the boundary.
    pub fn missing_scope(&self, caller: &Caller) -> Option<&str> {
        caller.missing(self.descriptor.required_scope.as_deref())
    }
}

impl Registry {
    /// The scope tool `name` requires that `caller` lacks (see [`ToolRoute::missing_scope`]).
    pub fn missing_scope(&self, name: &str, caller: &Caller) -> Option<&str> {
        self.tools.get(name)?.missing_scope(caller)
    }

    /// Build the registry from a folder loaded at startup, in folder order,
    /// refusing any plugin whose name, tool or prompt names an earlier plugin
    /// already has; each refused plugin comes back beside its refusal (the
    /// audit report shows what it would have served, and `serve` refuses to
    /// start on such a collision).
    pub fn build(
        loaded: Vec<Arc<LoadedPlugin>>,
    ) -> (Registry, Vec<(Arc<LoadedPlugin>, LoadError)>) {
        let mut reg = Registry::default();
        let mut refused = Vec::new();
        for plugin in loaded {
            match reg.conflict(&plugin) {
                Some(e) => refused.push((plugin, e)),
                None => reg.insert(plugin),
            }
        }
        reg.finish();
        (reg, refused)
    }

    /// Build the registry of a hot reload over `current`: a name belongs to
    /// the plugin already serving it.
    ///
    /// - `established` are the plugins `current` serves that are still in the
    ///   folder, each as its new version beside its previous one (the same
    ///   plugin twice when it did not change or failed to reload). They keep
    ///   their names first. A new version that takes a tool or prompt another
    ///   established plugin serves is refused, and its previous version keeps
    ///   serving.
    /// - `newcomers` come after, in folder order: one that collides with a
    ///   name already served is refused, and the established plugin keeps it.
    pub fn build_over(
        current: &Registry,
        established: Vec<(Arc<LoadedPlugin>, Arc<LoadedPlugin>)>,
        newcomers: Vec<Arc<LoadedPlugin>>,
    ) -> (Registry, Vec<(Arc<LoadedPlugin>, LoadError)>) {
        let staying: BTreeSet<PathBuf> = established
            .iter()
            .map(|(_, previous)| previous.manifest_path.clone())
            .collect();
        // A name another staying plugin serves now: not for the taking.
        let taken_from_other = |plugin: &LoadedPlugin| -> Option<LoadError> {
            let other = |owner: &LoadedPlugin| {
                owner.manifest_path != plugin.manifest_path
                    && staying.contains(&owner.manifest_path)
            };
            if let Some(t) = plugin
                .tools
                .iter()
                .find(|t| current.tools.get(&t.name).is_some_and(|r| other(&r.plugin)))
            {
                return Some(LoadError::DuplicateTool {
                    tool: t.name.clone(),
                    first: current.tools[&t.name].plugin.manifest.name.clone(),
                    second: plugin.manifest.name.clone(),
                });
            }
            if let Some(e) = current
                .plugins
                .iter()
                .filter(|owner| other(owner))
                .find_map(|owner| shared_resource(owner, plugin))
            {
                return Some(e);
            }
            plugin
                .prompts
                .iter()
                .find(|p| {
                    current
                        .prompts
                        .get(&p.name)
                        .is_some_and(|r| other(&r.plugin))
                })
                .map(|p| LoadError::DuplicatePrompt {
                    prompt: p.name.clone(),
                    first: current.prompts[&p.name].plugin.manifest.name.clone(),
                    second: plugin.manifest.name.clone(),
                })
        };
        let mut reg = Registry::default();
        let mut refused = Vec::new();
        for (candidate, previous) in established {
            let conflict = reg
                .conflict(&candidate)
                .or_else(|| taken_from_other(&candidate));
            match conflict {
                None => reg.insert(candidate),
                Some(e) => {
                    let same = Arc::ptr_eq(&candidate, &previous);
                    if !same && reg.conflict(&previous).is_none() {
                        reg.insert(previous);
                    }
                    refused.push((candidate, e));
                }
            }
        }
        for plugin in newcomers {
            match reg.conflict(&plugin) {
                Some(e) => refused.push((plugin, e)),
                None => reg.insert(plugin),
            }
        }
        reg.finish();
        (reg, refused)
    }

    /// Why `plugin` cannot join this registry (a name already served), if so.
    fn conflict(&self, plugin: &LoadedPlugin) -> Option<LoadError> {
        if let Some(existing) = self
            .plugins
            .iter()
            .find(|p| p.manifest.name == plugin.manifest.name)
        {
            return Some(LoadError::DuplicatePlugin {
                plugin: plugin.manifest.name.clone(),
                first: existing.manifest_path.clone(),
                second: plugin.manifest_path.clone(),
            });
        }
        if let Some(e) = self
            .plugins
            .iter()
            .find_map(|owner| shared_resource(owner, plugin))
        {
            return Some(e);
        }
        for t in &plugin.tools {
            if let Some(existing) = self.tools.get(&t.name) {
                return Some(LoadError::DuplicateTool {
                    tool: t.name.clone(),
                    first: existing.plugin.manifest.name.clone(),
                    second: plugin.manifest.name.clone(),
                });
            }
        }
        for p in &plugin.prompts {
            if let Some(existing) = self.prompts.get(&p.name) {
                return Some(LoadError::DuplicatePrompt {
                    prompt: p.name.clone(),
                    first: existing.plugin.manifest.name.clone(),
                    second: plugin.manifest.name.clone(),
                });
            }
        }
        None
    }

    fn insert(&mut self, plugin: Arc<LoadedPlugin>) {
        for t in &plugin.tools {
            self.tools.insert(
                t.name.clone(),
                ToolRoute {
                    plugin: plugin.clone(),
                    descriptor: t.clone(),
                },
            );
        }
        for p in &plugin.prompts {
            self.prompts.insert(
                p.name.clone(),
                PromptRoute {
                    plugin: plugin.clone(),
                    descriptor: p.clone(),
                },
            );
        }
        self.plugins.push(plugin);
    }

    /// Join the server instructions of every plugin that gives some.
    fn finish(&mut self) {
        let parts: Vec<&str> = self
            .plugins
            .iter()
            .filter_map(|p| p.instructions.as_deref())
            .filter(|s| !s.trim().is_empty())
            .collect();
        self.instructions = (!parts.is_empty()).then(|| parts.join("\n\n"));
    }
}
/// A resource URI (or URI template, written the same) `plugin` would serve
/// that `owner` serves already: a URI belongs to one plugin, as a tool name does.
fn shared_resource(owner: &LoadedPlugin, plugin: &LoadedPlugin) -> Option<LoadError> {
    let clash = |uri: &str| LoadError::DuplicateResource {
        uri: uri.to_string(),
        first: owner.manifest.name.clone(),
        second: plugin.manifest.name.clone(),
    };
    if let Some(r) = plugin
        .resources
        .iter()
        .find(|r| owner.resources.iter().any(|o| o.uri == r.uri))
    {
        return Some(clash(&r.uri));
    }
    plugin
        .resource_templates
        .iter()
        .find(|t| {
            owner
                .resource_templates
                .iter()
                .any(|o| o.uri_template == t.uri_template)
        })
        .map(|t| clash(&t.uri_template))
}
