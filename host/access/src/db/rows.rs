//! Rows as both engines return them (see the column lists in `reads`), and
//! their conversion into the WIT records plugins receive.

use chrono::NaiveDateTime;
use sqlx::FromRow;

use super::time::{opt_to_wit, stored, to_wit};
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
    pub deleted_at: Option<NaiveDateTime>,
    pub app_id: Option<String>,
    pub app_is_owner: Option<bool>,
    pub app_name: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
        let mut values = match self.profile.as_deref() {
            Some(p) if !display.is_empty() => displayed_values(p, display),
            _ => None,
        }
        .unwrap_or_default()
        .into_iter();
        let attributes = display
            .iter()
            .map(|name| t::ProfileAttribute {
                name: name.clone(),
                value_json: values
                    .next()
                    .flatten()
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

/// The values of the `display` attributes in a stored profile (a JSON object),
/// in `display`'s order; `None` when the profile is not one valid JSON object.
/// Only the displayed values are built: a profile can hold dozens of
/// attributes, and building them all was most of decoding a user. A key that
/// occurs twice keeps its last value, as a parsed map would.
fn displayed_values(profile: &str, display: &[String]) -> Option<Vec<Option<serde_json::Value>>> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};

    struct Pick<'a>(&'a [String]);

    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = Vec<Option<serde_json::Value>>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = Vec<Option<serde_json::Value>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = vec![None; self.0.len()];
            while let Some(key) = map.next_key::<String>()? {
                match self.0.iter().position(|name| *name == key) {
                    Some(i) => found[i] = Some(map.next_value()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(found)
        }
    }

    let mut de = serde_json::Deserializer::from_str(profile);
    let values = Pick(display).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(values)
}

#[derive(Debug, FromRow, serde::Deserialize)]
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub description: String,
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requested_group_id: String,
    pub request_ownership: bool,
    pub request_reason: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
    pub request_ending_at: Option<NaiveDateTime>,
    pub resolver_user_id: Option<String>,
    pub resolution_reason: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requester_role_id: String,
    pub requested_group_id: String,
    pub request_ownership: bool,
    pub request_reason: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
    pub request_ending_at: Option<NaiveDateTime>,
    pub resolver_user_id: Option<String>,
    pub resolution_reason: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
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
    #[serde(deserialize_with = "stored::required")]
    pub created_at: NaiveDateTime,
    #[serde(deserialize_with = "stored::required")]
    pub updated_at: NaiveDateTime,
    #[serde(default, deserialize_with = "stored::optional")]
    pub resolved_at: Option<NaiveDateTime>,
    pub requester_user_id: String,
    pub requested_group_name: String,
    pub requested_group_description: Option<String>,
    pub requested_group_type: String,
    pub requested_app_id: Option<String>,
    pub requested_group_tags: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
    pub requested_ownership_ending_at: Option<NaiveDateTime>,
    pub request_reason: Option<String>,
    pub resolved_group_name: Option<String>,
    pub resolved_group_description: Option<String>,
    pub resolved_group_type: Option<String>,
    pub resolved_app_id: Option<String>,
    pub resolved_group_tags: Option<String>,
    #[serde(default, deserialize_with = "stored::optional")]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What decoding did before `displayed_values`: parse the whole profile.
    fn by_whole_parse(profile: &str, display: &[String]) -> Vec<Option<String>> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(profile).unwrap_or_default();
        display
            .iter()
            .map(|n| map.get(n).filter(|v| !v.is_null()).map(|v| v.to_string()))
            .collect()
    }

    #[test]
    fn displayed_values_match_a_whole_parse() {
        let display: Vec<String> = ["Title", "Manager", "Tags", "caf\u{e9}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for profile in [
            r#"{"Title": "SRE", "Other": {"deep": [1, 2, {"x": null}]}, "Manager": "Ann"}"#,
            r#"{"Title": null, "Tags": ["a", "b\"c"], "Manager": 12.50}"#,
            r#"{"Title": "first", "Title": "second"}"#,
            r#"{"caf\u00e9": "\u00e9t\u00e9", "Title": "\ud83d\ude00"}"#,
            r#"{}"#,
            r#"[]"#,
            r#"null"#,
            r#"{"Title": "SRE"} trailing"#,
            r#"{"Title": "SRE", "Manager": }"#,
            r#"not json"#,
            "",
        ] {
            let ours: Vec<Option<String>> = displayed_values(profile, &display)
                .unwrap_or_default()
                .into_iter()
                .chain(std::iter::repeat(None))
                .take(display.len())
                .map(|v| v.filter(|v| !v.is_null()).map(|v| v.to_string()))
                .collect();
            assert_eq!(ours, by_whole_parse(profile, &display), "{profile}");
        }
    }
}
