//! Access's wire shapes (§2.2), composed from the host's typed records.
//! Timestamps are RFC 822 (`Wed, 03 Jun 2026 15:46:31 +0000`) in every tool
//! except `list_audit_entries`, which keeps upstream's ISO-8601 form.

use std::collections::HashMap;

use chrono::DateTime;
use serde_json::{Map, Value, json};

use crate::access::directory::types::{
    App, AppRef, AppTagMap, Group, GroupTagMap, GroupType, RoleMapping, Tag, TagConstraints, User,
};
use crate::mcp::plugin::clock::Timestamp;

pub fn rfc822(t: Timestamp) -> Value {
    match DateTime::from_timestamp(t.seconds, t.nanoseconds) {
        Some(d) => Value::String(d.format("%a, %d %b %Y %H:%M:%S +0000").to_string()),
        None => Value::Null,
    }
}

pub fn opt_rfc822(t: Option<Timestamp>) -> Value {
    t.map(rfc822).unwrap_or(Value::Null)
}

pub fn iso_naive(t: Option<Timestamp>) -> Value {
    match t.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanoseconds)) {
        Some(d) => Value::String(d.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()),
        None => Value::Null,
    }
}

/// Whether a row with this `ended_at` is in force at `now`.
pub fn is_active(ended_at: Option<Timestamp>, now: Timestamp) -> bool {
    match ended_at {
        None => true,
        Some(e) => (e.seconds, e.nanoseconds) > (now.seconds, now.nanoseconds),
    }
}

pub fn group_type(t: GroupType) -> &'static str {
    match t {
        GroupType::OktaGroup => "okta_group",
        GroupType::RoleGroup => "role_group",
        GroupType::AppGroup => "app_group",
    }
}

fn json_text(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| json!({}))
}

pub fn constraints(c: &TagConstraints) -> Value {
    let mut m = Map::new();
    if let Some(v) = c.member_time_limit {
        m.insert("member_time_limit".into(), json!(v));
    }
    if let Some(v) = c.owner_time_limit {
        m.insert("owner_time_limit".into(), json!(v));
    }
    if let Some(v) = c.require_member_reason {
        m.insert("require_member_reason".into(), json!(v));
    }
    if let Some(v) = c.require_owner_reason {
        m.insert("require_owner_reason".into(), json!(v));
    }
    if let Some(v) = c.disallow_self_add_membership {
        m.insert("disallow_self_add_membership".into(), json!(v));
    }
    if let Some(v) = c.disallow_self_add_ownership {
        m.insert("disallow_self_add_ownership".into(), json!(v));
    }
    Value::Object(m)
}

pub fn tag_summary(t: &Tag) -> Value {
    json!({"id": t.id, "name": t.name, "constraints": constraints(&t.constraints), "enabled": t.enabled})
}

pub fn app_summary(a: &App) -> Value {
    json!({
        "id": a.id, "name": a.name, "description": a.description,
        "created_at": rfc822(a.created_at), "updated_at": rfc822(a.updated_at),
        "deleted_at": opt_rfc822(a.deleted_at),
    })
}

pub fn app_id_ref(a: &AppRef) -> Value {
    json!({
        "id": a.id, "name": a.name, "deleted_at": opt_rfc822(a.deleted_at),
        "app_group_lifecycle_plugin": a.app_group_lifecycle_plugin,
    })
}

/// `GroupRefForMembership`.
pub fn group_ref(g: &Group) -> Value {
    json!({
        "id": g.id, "type": group_type(g.group_type), "name": g.name, "description": g.description,
        "is_owner": g.is_owner, "is_managed": g.is_managed, "deleted_at": opt_rfc822(g.deleted_at),
        "app": g.app.as_ref().map(app_id_ref),
    })
}

/// The role reference inside role mappings.
pub fn role_ref(g: &Group) -> Value {
    json!({
        "id": g.id, "type": group_type(g.group_type), "name": g.name,
        "is_managed": g.is_managed, "deleted_at": opt_rfc822(g.deleted_at),
    })
}

pub fn user_summary(u: &User) -> Value {
    json!({
        "id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "display_name": u.display_name, "created_at": rfc822(u.created_at),
        "updated_at": rfc822(u.updated_at), "deleted_at": opt_rfc822(u.deleted_at),
    })
}

/// Lookup tables for composing nested shapes without further host calls.
#[derive(Default)]
pub struct Lookup {
    pub groups: HashMap<String, Group>,
    pub tags: HashMap<String, Tag>,
    pub apps: HashMap<String, App>,
    pub app_tag_maps: HashMap<i64, AppTagMap>,
}

impl Lookup {
    fn live_group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id).filter(|g| g.deleted_at.is_none())
    }

    fn live_tag(&self, id: &str) -> Option<&Tag> {
        self.tags.get(id).filter(|t| t.deleted_at.is_none())
    }

    /// `AppTagMapDetail`.
    pub fn app_tag_map(&self, m: &AppTagMap) -> Value {
        json!({
            "created_at": rfc822(m.created_at), "ended_at": opt_rfc822(m.ended_at),
            "active_tag": self.live_tag(&m.tag_id).map(tag_summary),
            "active_app": self.apps.get(&m.app_id).filter(|a| a.deleted_at.is_none()).map(app_summary),
        })
    }

    /// `OktaGroupTagMapDetail`, as seen from the group.
    pub fn group_tag_map(&self, m: &GroupTagMap) -> Value {
        json!({
            "created_at": rfc822(m.created_at), "ended_at": opt_rfc822(m.ended_at),
            "active_tag": self.live_tag(&m.tag_id).map(tag_summary),
            "active_app_tag_mapping": m.app_tag_map_id
                .and_then(|id| self.app_tag_maps.get(&id))
                .map(|a| self.app_tag_map(a)),
        })
    }

    /// `RoleGroupMapDetail`.
    pub fn role_mapping(&self, m: &RoleMapping) -> Value {
        let role = self.groups.get(&m.role_id);
        let group = self.groups.get(&m.group_id);
        json!({
            "is_owner": m.is_owner, "created_at": rfc822(m.created_at), "ended_at": opt_rfc822(m.ended_at),
            "role_group": role.map(role_ref),
            "active_role_group": self.live_group(&m.role_id).map(role_ref),
            "group": group.map(group_ref),
            "active_group": self.live_group(&m.group_id).map(group_ref),
        })
    }
}
