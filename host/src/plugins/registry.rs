//! The set of plugins being served, and the routing of tools and prompts to them.
//! Built once from a loaded folder; a new registry can replace it as a whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::loader::{LoadError, LoadedPlugin};
use crate::bindings::plugin_types::{PromptDescriptor, ToolDescriptor};

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

impl Registry {
    /// Build the registry, refusing any plugin whose tool or prompt name an
    /// earlier plugin already serves; each refused plugin comes back beside its
    /// refusal (the audit report shows what it would have served).
    pub fn build(
        loaded: Vec<Arc<LoadedPlugin>>,
    ) -> (Registry, Vec<(Arc<LoadedPlugin>, LoadError)>) {
        let mut reg = Registry::default();
        let mut refused = Vec::new();
        'plugins: for plugin in loaded {
            for t in &plugin.tools {
                if let Some(existing) = reg.tools.get(&t.name) {
                    let e = LoadError::DuplicateTool {
                        tool: t.name.clone(),
                        first: existing.plugin.manifest.name.clone(),
                        second: plugin.manifest.name.clone(),
                    };
                    refused.push((plugin.clone(), e));
                    continue 'plugins;
                }
            }
            for p in &plugin.prompts {
                if let Some(existing) = reg.prompts.get(&p.name) {
                    let e = LoadError::DuplicatePrompt {
                        prompt: p.name.clone(),
                        first: existing.plugin.manifest.name.clone(),
                        second: plugin.manifest.name.clone(),
                    };
                    refused.push((plugin.clone(), e));
                    continue 'plugins;
                }
            }
            for t in &plugin.tools {
                reg.tools.insert(
                    t.name.clone(),
                    ToolRoute {
                        plugin: plugin.clone(),
                        descriptor: t.clone(),
                    },
                );
            }
            for p in &plugin.prompts {
                reg.prompts.insert(
                    p.name.clone(),
                    PromptRoute {
                        plugin: plugin.clone(),
                        descriptor: p.clone(),
                    },
                );
            }
            reg.plugins.push(plugin);
        }
        let parts: Vec<&str> = reg
            .plugins
            .iter()
            .filter_map(|p| p.instructions.as_deref())
            .filter(|s| !s.trim().is_empty())
            .collect();
        reg.instructions = (!parts.is_empty()).then(|| parts.join("\n\n"));
        (reg, refused)
    }
}
