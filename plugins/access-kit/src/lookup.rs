//! The related rows a response refers to, loaded in batches and written once.
//!
//! A tool registers what it needs (`need_*`), then [`Lookup::fetch`] loads all
//! of it with one batch call per kind: a constant number of host calls whatever
//! the row counts. The nested shapes of each related row (a user's summary, a
//! group's reference) are written the first time they are asked for and copied
//! after that.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use crate::access::directory::reads;
use crate::access::directory::types::{
    App, AppTagMap, Group, GroupTagMap, Membership, RoleMapping, Tag, User,
};
use crate::error::ToolResult;
use crate::json::{Json, Obj};
use crate::mcp::plugin::clock::{self, Timestamp};
use crate::wire::{
    Capped, app_summary, group_ref, is_active, request_group_ref, role_ref, tag_summary,
    user_summary,
};

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
    // No `Default`: making a lookup reads the host's clock (a host import),
    // which a `Default` should not do behind the reader's back.
    #[allow(clippy::new_without_default)]
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
