//! Access's wire shapes (§2.2), composed from the host's typed records.
//!
//! Timestamps are RFC 822 (`Wed, 03 Jun 2026 15:46:31 +0000`) in every tool,
//! `list_audit_entries` included (§15 item 1 is fixed). Keys keep upstream's
//! order (serde_json's `preserve_order`).
//!
//! [`Lookup`] holds the related rows a response refers to. A tool registers
//! what it needs (`need_*`), then [`Lookup::fetch`] loads all of it with one
//! batch call per kind: a constant number of host calls whatever the row counts.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use serde_json::Value;

use crate::access::directory::reads;
use crate::access::directory::types::{
    App, AppRef, AppTagMap, Group, GroupTagMap, GroupType, Membership, RequestStatus, RoleMapping,
    Tag, TagConstraints, User,
};
use crate::error::ToolResult;
pub use crate::json::{Json, Obj};
use crate::mcp::plugin::clock::{self, Timestamp};

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

#[derive(Default)]
struct Need {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    tags: BTreeSet<String>,
    apps: BTreeSet<String>,
    app_tag_maps: BTreeSet<i64>,
    role_mappings: BTreeSet<i64>,
}

/// A related row, and the nested shapes written from it so far. The same row
/// is often nested many times in one response (the group of each of
/// `get_group`'s memberships, twice each as `group` and `active_group`; the
/// user of each of `get_user`'s), and copying its text is cheaper than
/// writing it again, so each shape is written once, when first asked for.
struct Row<T> {
    row: T,
    written: [OnceCell<Json>; 3],
}

/// The nested shapes of a row, by the slot each is kept in.
#[derive(Clone, Copy)]
enum Shape {
    /// `OktaUserSummary`, `GroupRefForMembership`, `TagSummary`, `AppSummary`.
    Summary = 0,
    /// The role reference inside role mappings.
    RoleRef = 1,
    /// `GroupRef` as requests embed it.
    RequestGroupRef = 2,
}

impl<T> Row<T> {
    fn new(row: T) -> Row<T> {
        Row {
            row,
            written: Default::default(),
        }
    }

    fn shape(&self, shape: Shape, write: fn(&T) -> Json) -> &Json {
        self.written[shape as usize].get_or_init(|| write(&self.row))
    }
}

/// Rows by id; `live` leaves out deleted ones.
struct Rows<T>(HashMap<String, Row<T>>);

impl<T: HasDeletedAt> Rows<T> {
    fn get(&self, id: &str, live: bool) -> Option<&Row<T>> {
        self.0
            .get(id)
            .filter(|r| !live || r.row.deleted_at().is_none())
    }

    fn insert(&mut self, id: String, row: T) {
        self.0.insert(id, Row::new(row));
    }

    fn contains(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows(HashMap::default())
    }
}

trait HasDeletedAt {
    fn deleted_at(&self) -> Option<Timestamp>;
}

macro_rules! has_deleted_at {
    ($($t:ty),*) => {$(
        impl HasDeletedAt for $t {
            fn deleted_at(&self) -> Option<Timestamp> {
                self.deleted_at
            }
        }
    )*};
}
has_deleted_at!(Group, User, Tag, App);

/// Related rows for composing nested shapes without further host calls.
pub struct Lookup {
    pub now: Timestamp,
    groups: Rows<Group>,
    users: Rows<User>,
    tags: Rows<Tag>,
    apps: Rows<App>,
    pub app_tag_maps: HashMap<i64, AppTagMap>,
    pub role_mappings: HashMap<i64, RoleMapping>,
    need: Need,
}

fn ids<T: Clone>(set: &BTreeSet<T>) -> Vec<T> {
    set.iter().cloned().collect()
}

impl Lookup {
    pub fn new() -> Lookup {
        Lookup {
            now: clock::now(),
            groups: Rows::default(),
            users: Rows::default(),
            tags: Rows::default(),
            apps: Rows::default(),
            app_tag_maps: HashMap::default(),
            role_mappings: HashMap::default(),
            need: Need::default(),
        }
    }

    // ---- registering what a response refers to

    pub fn add_group(&mut self, g: Group) {
        self.groups.insert(g.id.clone(), g);
    }

    pub fn add_user(&mut self, u: &User) {
        self.users.insert(u.id.clone(), u.clone());
    }

    pub fn add_tag(&mut self, t: &Tag) {
        self.tags.insert(t.id.clone(), t.clone());
    }

    pub fn add_app(&mut self, a: &App) {
        self.apps.insert(a.id.clone(), a.clone());
    }

    pub fn need_user(&mut self, id: &str) {
        self.need.users.insert(id.to_string());
    }

    pub fn need_group(&mut self, id: &str) {
        self.need.groups.insert(id.to_string());
    }

    pub fn need_membership(&mut self, m: &Membership) {
        self.need_user(&m.user_id);
        self.need_group(&m.group_id);
        if let Some(id) = m.role_group_map_id {
            self.need.role_mappings.insert(id);
        }
    }

    pub fn need_role_mapping(&mut self, m: &RoleMapping) {
        self.need_group(&m.role_id);
        self.need_group(&m.group_id);
    }

    pub fn need_group_tag_map(&mut self, m: &GroupTagMap) {
        self.need.tags.insert(m.tag_id.clone());
        self.need_group(&m.group_id);
        if let Some(id) = m.app_tag_map_id {
            self.need.app_tag_maps.insert(id);
        }
    }

    pub fn need_app_tag_map(&mut self, m: &AppTagMap) {
        self.need.tags.insert(m.tag_id.clone());
        self.need.apps.insert(m.app_id.clone());
    }

    /// Load everything registered and not yet known: at most one call per kind.
    pub fn fetch(&mut self) -> ToolResult<()> {
        let rm: BTreeSet<i64> = self
            .need
            .role_mappings
            .iter()
            .filter(|id| !self.role_mappings.contains_key(id))
            .copied()
            .collect();
        if !rm.is_empty() {
            for m in reads::role_mappings_by_id(&ids(&rm))? {
                self.need_role_mapping(&m);
                self.role_mappings.insert(m.id, m);
            }
        }
        let atm: BTreeSet<i64> = self
            .need
            .app_tag_maps
            .iter()
            .filter(|id| !self.app_tag_maps.contains_key(id))
            .copied()
            .collect();
        if !atm.is_empty() {
            for m in reads::app_tag_maps_by_id(&ids(&atm))? {
                self.need_app_tag_map(&m);
                self.app_tag_maps.insert(m.id, m);
            }
        }
        let need = std::mem::take(&mut self.need);
        let groups: Vec<String> = need
            .groups
            .into_iter()
            .filter(|id| !self.groups.contains(id))
            .collect();
        if !groups.is_empty() {
            for g in reads::groups_by_id(&groups)? {
                self.groups.insert(g.id.clone(), g);
            }
        }
        let users: Vec<String> = need
            .users
            .into_iter()
            .filter(|id| !self.users.contains(id))
            .collect();
        if !users.is_empty() {
            for u in reads::users_by_id(&users)? {
                self.users.insert(u.id.clone(), u);
            }
        }
        let tags: Vec<String> = need
            .tags
            .into_iter()
            .filter(|id| !self.tags.contains(id))
            .collect();
        if !tags.is_empty() {
            for t in reads::tags_by_id(&tags)? {
                self.tags.insert(t.id.clone(), t);
            }
        }
        let apps: Vec<String> = need
            .apps
            .into_iter()
            .filter(|id| !self.apps.contains(id))
            .collect();
        if !apps.is_empty() {
            for a in reads::apps_by_id(&apps)? {
                self.apps.insert(a.id.clone(), a);
            }
        }
        Ok(())
    }

    // ---- lookups

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id, false).map(|r| &r.row)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id, false).map(|r| &r.row)
    }

    /// `UserSummary` of a user id (a non-deleted one with `live`), or null.
    pub fn user_json(&self, id: Option<&str>, live: bool) -> Option<&Json> {
        Some(
            self.users
                .get(id?, live)?
                .shape(Shape::Summary, user_summary),
        )
    }

    /// `GroupRefForMembership` of a group id (a non-deleted one with `live`).
    fn group_ref_json(&self, id: &str, live: bool) -> Option<&Json> {
        Some(self.groups.get(id, live)?.shape(Shape::Summary, group_ref))
    }

    /// The role reference of a role id (a non-deleted one with `live`).
    fn role_ref_json(&self, id: &str, live: bool) -> Option<&Json> {
        Some(self.groups.get(id, live)?.shape(Shape::RoleRef, role_ref))
    }

    /// `GroupRef` (as requests embed it) of a group id (a non-deleted one with `live`).
    pub fn request_group_ref_json(&self, id: &str, live: bool) -> Option<&Json> {
        Some(
            self.groups
                .get(id, live)?
                .shape(Shape::RequestGroupRef, request_group_ref),
        )
    }

    /// `TagSummary` of a non-deleted tag id.
    fn live_tag_json(&self, id: &str) -> Option<&Json> {
        Some(self.tags.get(id, true)?.shape(Shape::Summary, tag_summary))
    }

    /// `AppSummary` of a non-deleted app id.
    fn live_app_json(&self, id: &str) -> Option<&Json> {
        Some(self.apps.get(id, true)?.shape(Shape::Summary, app_summary))
    }

    // ---- shapes

    /// `AppTagMapDetail`.
    pub fn app_tag_map(&self, m: &AppTagMap) -> Json {
        Obj::new()
            .t("created_at", m.created_at)
            .ot("ended_at", m.ended_at)
            .ov_ref("active_tag", self.live_tag_json(&m.tag_id))
            .ov_ref("active_app", self.live_app_json(&m.app_id))
            .done()
    }

    /// `OktaGroupTagMapDetail`.
    pub fn group_tag_map(&self, m: &GroupTagMap) -> Json {
        let app_mapping = m
            .app_tag_map_id
            .and_then(|id| self.app_tag_maps.get(&id))
            .filter(|a| is_active(a.ended_at, self.now))
            .map(|a| self.app_tag_map(a));
        Obj::new()
            .t("created_at", m.created_at)
            .ot("ended_at", m.ended_at)
            .ov_ref("active_tag", self.live_tag_json(&m.tag_id))
            .ov_ref("active_group", self.group_ref_json(&m.group_id, true))
            .ov("active_app_tag_mapping", app_mapping)
            .done()
    }

    /// The active tag attachments of one group, from a batch of attachments.
    pub fn tags_of_group(&self, maps: &[GroupTagMap], group_id: &str) -> Json {
        Json::array(
            maps.iter()
                .filter(|m| m.group_id == group_id && is_active(m.ended_at, self.now))
                .map(|m| self.group_tag_map(m)),
        )
    }

    /// `RoleGroupMapDetail`.
    pub fn role_mapping(&self, m: &RoleMapping) -> Json {
        Obj::new()
            .b("is_owner", m.is_owner)
            .t("created_at", m.created_at)
            .ot("ended_at", m.ended_at)
            .ov_ref("role_group", self.role_ref_json(&m.role_id, false))
            .ov_ref("active_role_group", self.role_ref_json(&m.role_id, true))
            .ov_ref("group", self.group_ref_json(&m.group_id, false))
            .ov_ref("active_group", self.group_ref_json(&m.group_id, true))
            .done()
    }

    /// `RoleGroupMappingForMembership`.
    fn role_mapping_for_membership(&self, m: &RoleMapping) -> Json {
        Obj::new()
            .t("created_at", m.created_at)
            .ot("ended_at", m.ended_at)
            .ov_ref("active_role_group", self.role_ref_json(&m.role_id, true))
            .ov_ref("role_group", self.role_ref_json(&m.role_id, false))
            .done()
    }

    /// `OktaUserGroupMemberDetail`.
    pub fn membership(&self, m: &Membership) -> Json {
        let mapping = m
            .role_group_map_id
            .and_then(|id| self.role_mappings.get(&id));
        let active_mapping = mapping.filter(|r| is_active(r.ended_at, self.now));
        Obj::new()
            .b("is_owner", m.is_owner)
            .t("created_at", m.created_at)
            .t("updated_at", m.updated_at)
            .ot("ended_at", m.ended_at)
            .s("created_reason", &m.created_reason)
            .b("should_expire", m.should_expire)
            .ov_ref("user", self.user_json(Some(&m.user_id), false))
            .ov_ref("active_user", self.user_json(Some(&m.user_id), true))
            .ov_ref("group", self.group_ref_json(&m.group_id, false))
            .ov_ref("active_group", self.group_ref_json(&m.group_id, true))
            .ov(
                "role_group_mapping",
                mapping.map(|r| self.role_mapping_for_membership(r)),
            )
            .ov(
                "active_role_group_mapping",
                active_mapping.map(|r| self.role_mapping_for_membership(r)),
            )
            .done()
    }

    /// A page of membership rows as a [`Capped`] list.
    pub fn memberships(&self, page: &reads::MembershipPage) -> Capped {
        Capped {
            items: page.items.iter().map(|m| self.membership(m)).collect(),
            total: page.total,
        }
    }

    /// A page of role mappings as a [`Capped`] list.
    pub fn role_mappings_capped(&self, page: &reads::RoleMappingPage) -> Capped {
        Capped {
            items: page.items.iter().map(|m| self.role_mapping(m)).collect(),
            total: page.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static WRITES: AtomicUsize = AtomicUsize::new(0);

    fn counted(name: &&str) -> Json {
        WRITES.fetch_add(1, Ordering::Relaxed);
        Json::string(name)
    }

    fn role_named(name: &&str) -> Json {
        Json::string(&format!("role {name}"))
    }

    /// A row nested many times is written once per shape; each shape keeps its own text.
    #[test]
    fn a_rows_shape_is_written_once_and_kept_apart_from_its_other_shapes() {
        let row = Row::new("Engineering");
        let first = row.shape(Shape::Summary, counted).clone();
        for _ in 0..5 {
            assert_eq!(row.shape(Shape::Summary, counted), &first);
        }
        assert_eq!(WRITES.load(Ordering::Relaxed), 1);
        assert_eq!(
            row.shape(Shape::RoleRef, role_named).as_str(),
            "\"role Engineering\""
        );
        assert_eq!(row.shape(Shape::Summary, counted), &first);
    }
}
