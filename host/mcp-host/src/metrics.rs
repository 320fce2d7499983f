//! Prometheus metrics, served as text at `/metrics`. Every family is listed in
//! docs/observability.md with its meaning.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::capability::Capabilities;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolOutcome {
    pub tool: String,
    /// `ok`, `tool_error` (the tool answered with isError) or `fault` (the plugin failed).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolLabel {
    pub tool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolErrorKind {
    pub tool: String,
    /// `tool_error`, `scope`, or a plugin fault kind.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginFaultKind {
    pub plugin: String,
    /// `trap`, `deadline`, `memory`, `output_cap`, `malformed_output`, `instantiate`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Limit {
    /// `user` (MCP_RATE_LIMIT) or `auth_failures` (MCP_AUTH_FAILURE_LIMIT).
    pub limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Operation {
    /// `rate_limit` or `spend_confirmation`.
    pub op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalReason {
    /// `tool_collision`, `prompt_collision`, `resource_collision` or `plugin_name_collision`.
    pub reason: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub tool_calls: Family<ToolOutcome, Counter>,
    pub tool_duration: Family<ToolLabel, Histogram>,
    pub tool_errors: Family<ToolErrorKind, Counter>,
    pub plugin_faults: Family<PluginFaultKind, Counter>,
    pub auth_failures: Family<Reason, Counter>,
    pub rate_limited: Family<Limit, Counter>,
    pub shared_state_errors: Family<Operation, Counter>,
    pub reload_refusals: Family<RefusalReason, Counter>,
    pub plugins_loaded: Gauge,
    pub tools_served: Gauge,
}

impl Metrics {
    /// Count one tool call: `outcome` is `ok`, `tool_error` or `fault`; an
    /// outcome other than `ok` is also counted under `error_kind` (the fault
    /// kind, `scope`, or `tool_error`), and a fault under its plugin.
    pub fn count_tool_call(
        &self,
        tool: &str,
        plugin: &str,
        outcome: &'static str,
        error_kind: &'static str,
    ) {
        self.tool_calls
            .get_or_create(&ToolOutcome {
                tool: tool.to_string(),
                outcome,
            })
            .inc();
        if outcome == "ok" {
            return;
        }
        self.tool_errors
            .get_or_create(&ToolErrorKind {
                tool: tool.to_string(),
                kind: error_kind,
            })
            .inc();
        if outcome == "fault" {
            self.plugin_faults
                .get_or_create(&PluginFaultKind {
                    plugin: plugin.to_string(),
                    kind: error_kind,
                })
                .inc();
        }
    }

    /// Count one operation on the shared state store (Redis) that failed.
    pub fn count_shared_state_error(&self, op: &'static str) {
        self.shared_state_errors
            .get_or_create(&Operation { op })
            .inc();
    }

    /// Count one plugin that hot reload refused to load.
    pub fn count_reload_refusal(&self, reason: &'static str) {
        self.reload_refusals
            .get_or_create(&RefusalReason { reason })
            .inc();
    }

    /// The host's families under `prefix` (e.g. `access_mcp`), then each
    /// capability's own.
    pub fn new(prefix: &str, capabilities: &Capabilities) -> Arc<Self> {
        let mut registry = Registry::with_prefix(prefix);
        let tool_calls = Family::<ToolOutcome, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by tool and outcome",
            tool_calls.clone(),
        );
        let tool_duration = Family::<ToolLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        registry.register(
            "tool_call_duration_seconds",
            "Tool call latency in the host, by tool",
            tool_duration.clone(),
        );
        let tool_errors = Family::<ToolErrorKind, Counter>::default();
        registry.register(
            "tool_errors",
            "Failed tool calls by tool and kind",
            tool_errors.clone(),
        );
        let plugin_faults = Family::<PluginFaultKind, Counter>::default();
        registry.register(
            "plugin_faults",
            "Plugin faults by plugin and kind",
            plugin_faults.clone(),
        );
        let auth_failures = Family::<Reason, Counter>::default();
        registry.register(
            "auth_failures",
            "Unauthenticated /mcp requests by reason",
            auth_failures.clone(),
        );
        let rate_limited = Family::<Limit, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused with 429 by limit",
            rate_limited.clone(),
        );
        let shared_state_errors = Family::<Operation, Counter>::default();
        registry.register(
            "shared_state_errors",
            "Operations on the shared state store (Redis) that failed, by operation",
            shared_state_errors.clone(),
        );
        let reload_refusals = Family::<RefusalReason, Counter>::default();
        registry.register(
            "plugin_reload_refusals",
            "Plugins hot reload refused to load, by reason",
            reload_refusals.clone(),
        );
        let plugins_loaded = Gauge::default();
        registry.register(
            "plugins_loaded",
            "Plugins being served",
            plugins_loaded.clone(),
        );
        let tools_served = Gauge::default();
        registry.register("tools_served", "Tools being served", tools_served.clone());
        for c in capabilities.iter() {
            c.register_metrics(&mut registry);
        }
        Arc::new(Metrics {
            registry,
            tool_calls,
            tool_duration,
            tool_errors,
            plugin_faults,
            auth_failures,
            rate_limited,
            shared_state_errors,
            reload_refusals,
            plugins_loaded,
            tools_served,
        })
    }

    /// The Prometheus text exposition, with the capabilities' gauges read now.
    pub fn render(&self, capabilities: &Capabilities) -> String {
        for c in capabilities.iter() {
            c.refresh_metrics();
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
