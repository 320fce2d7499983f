//! Audit events: one JSON line per event on the `access.audit` log target, as
//! Access writes them, with `source: "mcp"` plus the plugin, the tool, the
//! caller and the request id. Events are emitted only after their transaction
//! commits, so a rolled-back write leaves no audit line. Only host code writes
//! to this target: plugin records go to `plugin`, escaped, so no plugin can
//! write a line that reads as an audit event.

use serde_json::{Map, Value, json};

/// Where a write came from: bound by the host, never by a plugin.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub plugin: String,
    pub tool: Option<String>,
    pub request_id: String,
    /// The client's own request id (sanitised by the HTTP layer).
    pub client_request_id: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// One audit event, built during a write and emitted after commit.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub event_type: &'static str,
    pub fields: Map<String, Value>,
}

impl AuditEvent {
    pub fn new(event_type: &'static str) -> Self {
        AuditEvent {
            event_type,
            fields: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_string(), value);
        self
    }

    /// The JSON line for this event.
    pub fn to_json(&self, ctx: &AuditContext) -> Value {
        let mut m = Map::new();
        m.insert("event_type".into(), json!(self.event_type));
        for (k, v) in &self.fields {
            // Access drops null values except a few keys it always keeps.
            let keep_null = matches!(k.as_str(), "current_user_id" | "current_user_email");
            if !v.is_null() || keep_null {
                m.insert(k.clone(), v.clone());
            }
        }
        m.insert("source".into(), json!("mcp"));
        m.insert("plugin".into(), json!(ctx.plugin));
        if let Some(tool) = &ctx.tool {
            m.insert("tool".into(), json!(tool));
        }
        m.insert("request_id".into(), json!(ctx.request_id));
        if let Some(id) = &ctx.client_request_id {
            m.insert("client_request_id".into(), json!(id));
        }
        if let Some(ua) = &ctx.user_agent {
            m.insert("user_agent".into(), json!(ua));
        }
        if let Some(ip) = &ctx.ip {
            m.insert("ip".into(), json!(ip));
        }
        Value::Object(m)
    }
}

/// Write the events, one JSON line each, on the `access.audit` target.
pub fn emit(events: &[AuditEvent], ctx: &AuditContext) {
    for e in events {
        let line = e.to_json(ctx).to_string();
        tracing::info!(target: "access.audit", audit = %line, "{line}");
    }
}
