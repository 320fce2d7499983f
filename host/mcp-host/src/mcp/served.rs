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

/// The current snapshot, swappable atomically, and a channel on which
/// listeners (sessions, `subscriptions/listen`) see each new one.
pub struct ServedSet {
    current: ArcSwap<Served>,
    published: watch::Sender<Arc<Served>>,
}

/// What changed between two snapshots, for the list-changed notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub tools: bool,
    pub prompts: bool,
}

impl Change {
    pub fn between(before: &Served, after: &Served) -> Change {
        Change {
            tools: before.tools != after.tools,
            prompts: before.prompts != after.prompts,
        }
    }

    pub fn any(self) -> bool {
        self.tools || self.prompts
    }
}

impl ServedSet {
    pub fn new(first: Served, metrics: Option<&Metrics>) -> ServedSet {
        let first = Arc::new(first);
        record(&first, metrics);
        ServedSet {
            current: ArcSwap::new(first.clone()),
            published: watch::Sender::new(first),
        }
    }

    /// The snapshot in force; keep it for the whole call.
    pub fn load(&self) -> Arc<Served> {
        self.current.load_full()
    }

    /// Put `next` in force and publish it to listeners.
    pub fn replace(&self, next: Served, metrics: Option<&Metrics>) -> Change {
        let next = Arc::new(next);
        record(&next, metrics);
        let previous = self.current.swap(next.clone());
        self.published.send_replace(next.clone());
        Change::between(&previous, &next)
    }

    /// The changes from now on, one [`Change`] per snapshot that changed a list.
    pub fn changes(&self) -> ChangeFeed {
        let mut rx = self.published.subscribe();
        let seen = rx.borrow_and_update().clone();
        ChangeFeed { rx, seen }
    }
}

fn record(served: &Served, metrics: Option<&Metrics>) {
    if let Some(m) = metrics {
        m.plugins_loaded.set(served.registry.plugins.len() as i64);
        m.tools_served.set(served.registry.tools.len() as i64);
    }
}

/// A listener's view of [`ServedSet`]: what changed since it last looked.
pub struct ChangeFeed {
    rx: watch::Receiver<Arc<Served>>,
    seen: Arc<Served>,
}

impl ChangeFeed {
    /// Wait for the next change of the tool or prompt list (`None`: shutting down).
    pub async fn next(&mut self) -> Option<Change> {
        loop {
            self.rx.changed().await.ok()?;
            let now = self.rx.borrow_and_update().clone();
            let change = Change::between(&self.seen, &now);
            self.seen = now;
            if change.any() {
                return Some(change);
            }
        }
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
