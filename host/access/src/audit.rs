//! Audit events: one JSON line per event on the `access.audit` log target, as
//! Access writes them, with `source: "mcp"` plus the plugin, the tool, the
//! caller and the request id. Events are emitted only after their transaction
//! commits, so a rolled-back write leaves no audit line. Only host code writes
//! to this target: plugin records go to `plugin`, escaped, so no plugin can
//! write a line that reads as an audit event.

use mcp_host::sandbox::state::CallContext;
use serde_json::{Map, Value, json};

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

    /// The JSON line for this event, with where it came from: the call's
    /// context, bound by the host, never by a plugin.
    pub fn to_json(&self, ctx: &CallContext) -> Value {
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
        m.insert("plugin".into(), json!(&*ctx.plugin));
        if let Some(tool) = &ctx.tool {
            m.insert("tool".into(), json!(&**tool));
        }
        let request = &ctx.request;
        m.insert("request_id".into(), json!(&*request.id));
        if let Some(id) = &request.client_request_id {
            m.insert("client_request_id".into(), json!(&**id));
        }
        if let Some(ua) = &request.user_agent {
            m.insert("user_agent".into(), json!(&**ua));
        }
        if let Some(ip) = &request.ip {
            m.insert("ip".into(), json!(&**ip));
        }
        Value::Object(m)
    }
}

/// Write the events, one JSON line each, on the `access.audit` target.
pub fn emit(events: &[AuditEvent], ctx: &CallContext) {
    for e in events {
        let line = e.to_json(ctx).to_string();
        tracing::info!(target: "access.audit", audit = %line, "{line}");
    }
}
