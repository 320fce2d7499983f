//! Rows as both engines return them (see the column lists in `reads`), and
//! their conversion into the WIT records plugins receive.

use chrono::NaiveDateTime;
use sqlx::FromRow;

use super::time::{opt_to_wit, to_wit};
use crate::bindings::access_types as t;

fn group_type(s: &str) -> t::GroupType {
    match s {
        "role_group" => t::GroupType::RoleGroup,
        "app_group" => t::GroupType::AppGroup,
        _ => t::GroupType::OktaGroup,
    }
}

pub fn group_type_sql(g: t::GroupType) -> &'static str {
    match g {
        t::GroupType::OktaGroup => "okta_group",
        t::GroupType::RoleGroup => "role_group",
        t::GroupType::AppGroup => "app_group",
    }
}

pub fn status_sql(s: t::RequestStatus) -> &'static str {
    match s {
        t::RequestStatus::Pending => "PENDING",
        t::RequestStatus::Approved => "APPROVED",
        t::RequestStatus::Rejected => "REJECTED",
    }
}

fn status(s: &str) -> t::RequestStatus {
    match s {
        "APPROVED" => t::RequestStatus::Approved,
        "REJECTED" => t::RequestStatus::Rejected,
        _ => t::RequestStatus::Pending,
    }
}

/// Columns: see `reads::GROUP_COLUMNS`.
#[derive(Debug, FromRow, serde::Deserialize)]
pub struct GroupRow {
    pub id: String,
    pub group_type: String,
    pub name: String,
    pub description: String,
    pub is_managed: bool,
    pub externally_managed_data: Option<String>,
    pub plugin_data: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub app_id: Option<String>,
    pub app_is_owner: Option<bool>,
    pub app_name: Option<String>,
    pub app_deleted_at: Option<NaiveDateTime>,
    pub app_lifecycle_plugin: Option<String>,
}

impl From<GroupRow> for t::Group {
    fn from(r: GroupRow) -> Self {
        let app = match (&r.app_id, &r.app_name) {
            (Some(id), Some(name)) => Some(t::AppRef {
                id: id.clone(),
                name: name.clone(),
                deleted_at: opt_to_wit(r.app_deleted_at),
                app_group_lifecycle_plugin: r.app_lifecycle_plugin.clone(),
            }),
            _ => None,
        };
        t::Group {
            group_type: group_type(&r.group_type),
            id: r.id,
            name: r.name,
            description: r.description,
            is_managed: r.is_managed,
            externally_managed_data: r.externally_managed_data.unwrap_or_else(|| "{}".into()),
            plugin_data: r.plugin_data.unwrap_or_else(|| "{}".into()),
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            deleted_at: opt_to_wit(r.deleted_at),
            app_id: r.app_id,
            is_owner: r.app_is_owner.unwrap_or(false),
            app,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct UserRow {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: Option<String>,
    pub employee_number: Option<String>,
    pub manager_id: Option<String>,
    pub profile: Option<String>,
}

impl UserRow {
    /// Keep only the displayed profile attributes, in the configured order.
    pub fn into_wit(self, display: &[String]) -> t::User {
        let profile: serde_json::Map<String, serde_json::Value> = self
            .profile
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default();
        let attributes = display
            .iter()
            .map(|name| t::ProfileAttribute {
                name: name.clone(),
                value_json: profile
                    .get(name)
                    .filter(|v| !v.is_null())
                    .map(|v| v.to_string()),
            })
            .collect();
        t::User {
            id: self.id,
            created_at: to_wit(self.created_at),
            updated_at: to_wit(self.updated_at),
            deleted_at: opt_to_wit(self.deleted_at),
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            display_name: self.display_name,
            employee_number: self.employee_number,
            manager_id: self.manager_id,
            profile: attributes,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub app_group_lifecycle_plugin: Option<String>,
    pub plugin_data: Option<String>,
}

impl From<AppRow> for t::App {
    fn from(r: AppRow) -> Self {
        t::App {
            id: r.id,
            name: r.name,
            description: r.description,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            deleted_at: opt_to_wit(r.deleted_at),
            app_group_lifecycle_plugin: r.app_group_lifecycle_plugin,
            plugin_data: r.plugin_data.unwrap_or_else(|| "{}".into()),
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct TagRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub constraints: Option<String>,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

pub fn parse_constraints(json: Option<&str>) -> t::TagConstraints {
    let map: serde_json::Map<String, serde_json::Value> = json
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    let int = |k: &str| map.get(k).and_then(serde_json::Value::as_i64);
    let flag = |k: &str| map.get(k).and_then(serde_json::Value::as_bool);
    t::TagConstraints {
        member_time_limit: int("member_time_limit"),
        owner_time_limit: int("owner_time_limit"),
        require_member_reason: flag("require_member_reason"),
        require_owner_reason: flag("require_owner_reason"),
        disallow_self_add_membership: flag("disallow_self_add_membership"),
        disallow_self_add_ownership: flag("disallow_self_add_ownership"),
    }
}

impl From<TagRow> for t::Tag {
    fn from(r: TagRow) -> Self {
        t::Tag {
            constraints: parse_constraints(r.constraints.as_deref()),
            id: r.id,
            name: r.name,
            description: r.description,
            enabled: r.enabled,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            deleted_at: opt_to_wit(r.deleted_at),
        }
    }
}

#[derive(Debug, Clone, FromRow, serde::Deserialize)]
pub struct MembershipRow {
    pub id: i64,
    pub user_id: String,
    pub group_id: String,
    pub role_group_map_id: Option<i64>,
    pub is_owner: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub created_actor_id: Option<String>,
    pub ended_actor_id: Option<String>,
    pub created_reason: Option<String>,
    pub should_expire: bool,
    pub access_request_id: Option<String>,
    /// Set only by queries that count each group's rows beside a capped page.
    #[sqlx(default)]
    #[serde(default)]
    pub group_total: Option<i64>,
}

impl From<MembershipRow> for t::Membership {
    fn from(r: MembershipRow) -> Self {
        t::Membership {
            id: r.id,
            user_id: r.user_id,
            group_id: r.group_id,
            role_group_map_id: r.role_group_map_id,
            is_owner: r.is_owner,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            ended_at: opt_to_wit(r.ended_at),
            created_actor_id: r.created_actor_id,
            ended_actor_id: r.ended_actor_id,
            created_reason: r.created_reason.unwrap_or_default(),
            should_expire: r.should_expire,
            access_request_id: r.access_request_id,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct RoleMappingRow {
    pub id: i64,
    pub role_id: String,
    pub group_id: String,
    pub is_owner: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub created_actor_id: Option<String>,
    pub ended_actor_id: Option<String>,
    pub created_reason: Option<String>,
    pub should_expire: bool,
}

impl From<RoleMappingRow> for t::RoleMapping {
    fn from(r: RoleMappingRow) -> Self {
        t::RoleMapping {
            id: r.id,
            role_id: r.role_id,
            group_id: r.group_id,
            is_owner: r.is_owner,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            ended_at: opt_to_wit(r.ended_at),
            created_actor_id: r.created_actor_id,
            ended_actor_id: r.ended_actor_id,
            created_reason: r.created_reason.unwrap_or_default(),
            should_expire: r.should_expire,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct GroupTagMapRow {
    pub id: i64,
    pub tag_id: String,
    pub group_id: String,
    pub app_tag_map_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

impl From<GroupTagMapRow> for t::GroupTagMap {
    fn from(r: GroupTagMapRow) -> Self {
        t::GroupTagMap {
            id: r.id,
            tag_id: r.tag_id,
            group_id: r.group_id,
            app_tag_map_id: r.app_tag_map_id,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            ended_at: opt_to_wit(r.ended_at),
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct AppTagMapRow {
    pub id: i64,
    pub tag_id: String,
    pub app_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

impl From<AppTagMapRow> for t::AppTagMap {
    fn from(r: AppTagMapRow) -> Self {
        t::AppTagMap {
            id: r.id,
            tag_id: r.tag_id,
            app_id: r.app_id,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            ended_at: opt_to_wit(r.ended_at),
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct AccessRequestRow {
    pub id: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requested_group_id: String,
    pub request_ownership: bool,
    pub request_reason: Option<String>,
    pub request_ending_at: Option<NaiveDateTime>,
    pub resolver_user_id: Option<String>,
    pub resolution_reason: Option<String>,
    pub approval_ending_at: Option<NaiveDateTime>,
    pub approved_membership_id: Option<i64>,
}

impl From<AccessRequestRow> for t::AccessRequest {
    fn from(r: AccessRequestRow) -> Self {
        t::AccessRequest {
            status: status(&r.status),
            id: r.id,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            resolved_at: opt_to_wit(r.resolved_at),
            requester_user_id: r.requester_user_id,
            requested_group_id: r.requested_group_id,
            request_ownership: r.request_ownership,
            request_reason: r.request_reason.unwrap_or_default(),
            request_ending_at: opt_to_wit(r.request_ending_at),
            resolver_user_id: r.resolver_user_id,
            resolution_reason: r.resolution_reason.unwrap_or_default(),
            approval_ending_at: opt_to_wit(r.approval_ending_at),
            approved_membership_id: r.approved_membership_id,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct RoleRequestRow {
    pub id: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requester_role_id: String,
    pub requested_group_id: String,
    pub request_ownership: bool,
    pub request_reason: Option<String>,
    pub request_ending_at: Option<NaiveDateTime>,
    pub resolver_user_id: Option<String>,
    pub resolution_reason: Option<String>,
    pub approval_ending_at: Option<NaiveDateTime>,
    pub approved_membership_id: Option<i64>,
}

impl From<RoleRequestRow> for t::RoleRequest {
    fn from(r: RoleRequestRow) -> Self {
        t::RoleRequest {
            status: status(&r.status),
            id: r.id,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            resolved_at: opt_to_wit(r.resolved_at),
            requester_user_id: r.requester_user_id,
            requester_role_id: r.requester_role_id,
            requested_group_id: r.requested_group_id,
            request_ownership: r.request_ownership,
            request_reason: r.request_reason.unwrap_or_default(),
            request_ending_at: opt_to_wit(r.request_ending_at),
            resolver_user_id: r.resolver_user_id,
            resolution_reason: r.resolution_reason.unwrap_or_default(),
            approval_ending_at: opt_to_wit(r.approval_ending_at),
            approved_membership_id: r.approved_membership_id,
        }
    }
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct GroupRequestRow {
    pub id: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requested_group_name: String,
    pub requested_group_description: Option<String>,
    pub requested_group_type: String,
    pub requested_app_id: Option<String>,
    pub requested_group_tags: Option<String>,
    pub requested_ownership_ending_at: Option<NaiveDateTime>,
    pub request_reason: Option<String>,
    pub resolved_group_name: Option<String>,
    pub resolved_group_description: Option<String>,
    pub resolved_group_type: Option<String>,
    pub resolved_app_id: Option<String>,
    pub resolved_group_tags: Option<String>,
    pub resolved_ownership_ending_at: Option<NaiveDateTime>,
    pub resolver_user_id: Option<String>,
    pub resolution_reason: Option<String>,
    pub approved_group_id: Option<String>,
}

/// Access reads a non-list `requested_group_tags` back as `[]`.
fn tag_list(json: Option<&str>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str::<Vec<serde_json::Value>>(j).ok())
        .map(|v| {
            v.into_iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl From<GroupRequestRow> for t::GroupRequest {
    fn from(r: GroupRequestRow) -> Self {
        t::GroupRequest {
            status: status(&r.status),
            requested_group_type: group_type(&r.requested_group_type),
            requested_group_tags: tag_list(r.requested_group_tags.as_deref()),
            resolved_group_type: r.resolved_group_type.as_deref().map(group_type),
            resolved_group_tags: r.resolved_group_tags.as_deref().map(|j| tag_list(Some(j))),
            id: r.id,
            created_at: to_wit(r.created_at),
            updated_at: to_wit(r.updated_at),
            resolved_at: opt_to_wit(r.resolved_at),
            requester_user_id: r.requester_user_id,
            requested_group_name: r.requested_group_name,
            requested_group_description: r.requested_group_description.unwrap_or_default(),
            requested_app_id: r.requested_app_id,
            requested_ownership_ending_at: opt_to_wit(r.requested_ownership_ending_at),
            request_reason: r.request_reason.unwrap_or_default(),
            resolved_group_name: r.resolved_group_name,
            resolved_group_description: r.resolved_group_description,
            resolved_app_id: r.resolved_app_id,
            resolved_ownership_ending_at: opt_to_wit(r.resolved_ownership_ending_at),
            resolver_user_id: r.resolver_user_id,
            resolution_reason: r.resolution_reason.unwrap_or_default(),
            approved_group_id: r.approved_group_id,
        }
    }
}
