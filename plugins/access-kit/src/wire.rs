//! Access's wire shapes (§2.2), composed from the host's typed records.
//!
//! Timestamps are RFC 822 (`Wed, 03 Jun 2026 15:46:31 +0000`) in every tool,
//! `list_audit_entries` included (§15 item 1 is fixed). Keys keep upstream's
//! order (serde_json's `preserve_order`).
//!
//! This module writes shapes from rows a tool already holds; the related rows
//! those shapes nest (a membership's user and group, a mapping's role) are
//! loaded in batches and written once each by [`Lookup`] (`crate::lookup`),
//! re-exported here since every tool uses both.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::access::directory::types::{
    App, AppRef, Group, GroupType, RequestStatus, Tag, TagConstraints, User,
};
pub use crate::json::{Json, Obj};
pub use crate::lookup::Lookup;
use crate::mcp::plugin::clock::Timestamp;

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

pub fn status(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => "PENDING",
        RequestStatus::Approved => "APPROVED",
        RequestStatus::Rejected => "REJECTED",
    }
}

/// Opaque JSON kept by Access, in compact form (`{}` when unparseable).
pub fn json_text(s: &str) -> Json {
    match serde_json::from_str::<Value>(s) {
        Ok(v) => Json::value(&v),
        Err(_) => Obj::new().done(),
    }
}

pub fn constraints(c: &TagConstraints) -> Json {
    let mut o = Obj::new();
    if let Some(v) = c.member_time_limit {
        o = o.i("member_time_limit", v);
    }
    if let Some(v) = c.owner_time_limit {
        o = o.i("owner_time_limit", v);
    }
    let flags = [
        ("require_member_reason", c.require_member_reason),
        ("require_owner_reason", c.require_owner_reason),
        (
            "disallow_self_add_membership",
            c.disallow_self_add_membership,
        ),
        ("disallow_self_add_ownership", c.disallow_self_add_ownership),
    ];
    for (key, value) in flags {
        if let Some(v) = value {
            o = o.b(key, v);
        }
    }
    o.done()
}

/// `TagSummary`.
pub fn tag_summary(t: &Tag) -> Json {
    Obj::new()
        .s("id", &t.id)
        .s("name", &t.name)
        .v("constraints", constraints(&t.constraints))
        .b("enabled", t.enabled)
        .done()
}

/// `TagListItem`.
pub fn tag_list_item(t: &Tag) -> Json {
    tag_list_fields(t).done()
}

/// The fields of `TagListItem`, for shapes that add to them.
pub fn tag_list_fields(t: &Tag) -> Obj {
    Obj::new()
        .s("id", &t.id)
        .s("name", &t.name)
        .s("description", &t.description)
        .v("constraints", constraints(&t.constraints))
        .b("enabled", t.enabled)
        .t("created_at", t.created_at)
        .t("updated_at", t.updated_at)
}

/// `AppSummary`.
pub fn app_summary(a: &App) -> Json {
    app_summary_fields(a).done()
}

/// The fields of `AppSummary`, for shapes that add to them.
pub fn app_summary_fields(a: &App) -> Obj {
    Obj::new()
        .s("id", &a.id)
        .s("name", &a.name)
        .s("description", &a.description)
        .t("created_at", a.created_at)
        .t("updated_at", a.updated_at)
        .ot("deleted_at", a.deleted_at)
}

/// `AppIdRef`.
pub fn app_id_ref(a: &AppRef) -> Json {
    Obj::new()
        .s("id", &a.id)
        .s("name", &a.name)
        .ot("deleted_at", a.deleted_at)
        .os(
            "app_group_lifecycle_plugin",
            a.app_group_lifecycle_plugin.as_deref(),
        )
        .done()
}

fn app_of(g: &Group) -> Option<Json> {
    g.app.as_ref().map(app_id_ref)
}

/// `GroupRefForMembership`.
pub fn group_ref(g: &Group) -> Json {
    Obj::new()
        .s("id", &g.id)
        .s("type", group_type(g.group_type))
        .s("name", &g.name)
        .s("description", &g.description)
        // `is_owner` exists on app groups only; other types read back as null.
        .ob(
            "is_owner",
            (g.group_type == GroupType::AppGroup).then_some(g.is_owner),
        )
        .b("is_managed", g.is_managed)
        .ot("deleted_at", g.deleted_at)
        .ov("app", app_of(g))
        .done()
}

/// The role reference inside role mappings: `{id, type, name, is_managed, deleted_at}`.
pub fn role_ref(g: &Group) -> Json {
    Obj::new()
        .s("id", &g.id)
        .s("type", group_type(g.group_type))
        .s("name", &g.name)
        .b("is_managed", g.is_managed)
        .ot("deleted_at", g.deleted_at)
        .done()
}

/// `GroupRef` (embedded in requests): the app variant adds `app_id`, `is_owner`, `app`.
pub fn request_group_ref(g: &Group) -> Json {
    request_group_ref_fields(g).done()
}

/// The fields of `GroupRef`, for shapes that add to them.
pub fn request_group_ref_fields(g: &Group) -> Obj {
    let o = Obj::new()
        .s("id", &g.id)
        .s("name", &g.name)
        .s("description", &g.description)
        .b("is_managed", g.is_managed)
        .ot("deleted_at", g.deleted_at)
        .s("type", group_type(g.group_type));
    match g.group_type {
        GroupType::AppGroup => o
            .os("app_id", g.app_id.as_deref())
            .b("is_owner", g.is_owner)
            .ov("app", app_of(g)),
        _ => o,
    }
}

/// `RoleGroupListItem`.
pub fn role_list_item(g: &Group) -> Json {
    Obj::new()
        .s("id", &g.id)
        .s("type", group_type(g.group_type))
        .s("name", &g.name)
        .s("description", &g.description)
        .t("created_at", g.created_at)
        .t("updated_at", g.updated_at)
        .done()
}

/// `OktaUserSummary`.
pub fn user_summary(u: &User) -> Json {
    user_summary_fields(u).done()
}

/// The fields of `OktaUserSummary`, for shapes that add to them.
pub fn user_summary_fields(u: &User) -> Obj {
    Obj::new()
        .s("id", &u.id)
        .s("email", &u.email)
        .s("first_name", &u.first_name)
        .s("last_name", &u.last_name)
        .os("display_name", u.display_name.as_deref())
        .t("created_at", u.created_at)
        .t("updated_at", u.updated_at)
        .ot("deleted_at", u.deleted_at)
}

/// The displayed profile attributes, in the operator's order; a missing key is null.
pub fn profile(u: &User) -> Json {
    let mut o = Obj::new();
    let mut seen = BTreeSet::new();
    for a in &u.profile {
        if !seen.insert(a.name.as_str()) {
            continue; // an attribute listed twice shows once, where it first appears
        }
        let value = a
            .value_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
            .map(|v| Json::value(&v));
        o = o.ov(&a.name, value);
    }
    o.done()
}

/// A list that may have been cut at the inline limit: its rows and the full count.
pub struct Capped {
    pub items: Vec<Json>,
    pub total: u64,
}

impl Obj {
    /// The list under `key`, and `<key>_total` beside it only when rows were left out.
    pub fn capped(self, key: &str, list: Capped) -> Obj {
        let cut = list.total > list.items.len() as u64;
        let o = self.list(key, list.items);
        if cut {
            o.i(
                &format!("{key}_total"),
                i64::try_from(list.total).unwrap_or(i64::MAX),
            )
        } else {
            o
        }
    }
}
