//! What is being served right now: one immutable snapshot of the plugin
//! registry plus its MCP tool and prompt lists. The host swaps whole snapshots
//! (hot reload); a call holds the snapshot it started with until it ends.

use std::sync::Arc;

use arc_swap::ArcSwap;
use rmcp::model::{JsonObject, Prompt, PromptArgument, Tool, ToolAnnotations};
use tokio::sync::watch;

use crate::bindings::plugin_types::{PromptDescriptor, ToolDescriptor};
use crate::metrics::Metrics;
use crate::plugins::Registry;

/// One registry and the lists `tools/list` and `prompts/list` answer with.
pub struct Served {
    pub registry: Arc<Registry>,
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
}

impl Served {
    pub fn new(registry: Registry) -> Served {
        let tools = registry
            .tools
            .values()
            .map(|r| to_mcp_tool(&r.descriptor))
            .collect();
        let prompts = registry
            .prompts
            .values()
            .map(|r| to_mcp_prompt(&r.descriptor))
            .collect();
        Served {
            registry: Arc::new(registry),
            tools,
            prompts,
        }
    }
}

/// The current snapshot, swappable atomically, and a generation counter that
/// listeners (sessions, `subscriptions/listen`) watch to learn of a change.
pub struct ServedSet {
    current: ArcSwap<Served>,
    generation: watch::Sender<u64>,
}

/// What changed between two snapshots, for the list-changed notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub tools: bool,
    pub prompts: bool,
}

impl ServedSet {
    pub fn new(first: Served) -> ServedSet {
        ServedSet {
            current: ArcSwap::from_pointee(first),
            generation: watch::Sender::new(0),
        }
    }

    /// The snapshot in force; keep it for the whole call.
    pub fn load(&self) -> Arc<Served> {
        self.current.load_full()
    }

    /// Put `next` in force and tell listeners what changed.
    pub fn replace(&self, next: Served, metrics: Option<&Metrics>) -> Change {
        let next = Arc::new(next);
        let previous = self.current.swap(next.clone());
        if let Some(m) = metrics {
            m.plugins_loaded.set(next.registry.plugins.len() as i64);
            m.tools_served.set(next.registry.tools.len() as i64);
        }
        let change = Change {
            tools: previous.tools != next.tools,
            prompts: previous.prompts != next.prompts,
        };
        if change != Change::default() {
            self.generation.send_modify(|g| *g += 1);
        }
        change
    }

    /// A receiver that wakes on every change of the tool or prompt lists.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }
}

fn parse_schema(s: &str) -> JsonObject {
    serde_json::from_str::<JsonObject>(s).unwrap_or_default()
}

fn to_mcp_tool(d: &ToolDescriptor) -> Tool {
    let mut tool = Tool::new(
        d.name.clone(),
        d.description.clone(),
        Arc::new(parse_schema(&d.input_schema)),
    );
    if let Some(t) = &d.title {
        tool = tool.with_title(t.clone());
    }
    if let Some(o) = &d.output_schema {
        tool = tool.with_raw_output_schema(Arc::new(parse_schema(o)));
    }
    let a = &d.annotations;
    tool.with_annotations(ToolAnnotations::from_raw(
        d.title.clone(),
        a.read_only_hint,
        a.destructive_hint,
        a.idempotent_hint,
        a.open_world_hint,
    ))
}

fn to_mcp_prompt(d: &PromptDescriptor) -> Prompt {
    let args = d
        .arguments
        .iter()
        .map(|a| {
            let mut arg = PromptArgument::new(a.name.clone()).with_required(a.required);
            if let Some(desc) = &a.description {
                arg = arg.with_description(desc.clone());
            }
            arg
        })
        .collect();
    let mut p = Prompt::new(d.name.clone(), d.description.clone(), Some(args));
    if let Some(t) = &d.title {
        p = p.with_title(t.clone());
    }
    p
}
