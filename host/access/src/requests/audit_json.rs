//! The payloads of the audit events the operations emit, in Access's shapes.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::lookups::UserRef;
use crate::db::rows::GroupRow;

pub(super) fn user_json(u: &UserRef) -> Value {
    json!({"id": u.id, "email": u.email})
}

pub(super) fn ts_json(t: Option<NaiveDateTime>) -> Value {
    t.map(|t| json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
        .unwrap_or(Value::Null)
}

pub(super) fn group_json(g: &GroupRow) -> Value {
    json!({
        "id": g.id, "name": g.name, "type": g.group_type,
        "app": g.app_id.as_ref().map(|id| json!({"id": id, "name": g.app_name})),
        "plugin_data": g.plugin_data.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()),
    })
}
