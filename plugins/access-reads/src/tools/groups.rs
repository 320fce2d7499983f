//! list_groups, get_group, list_group_memberships, and the group detail shared
//! with get_role.

use serde_json::{Value, json};

use super::{
    ToolSpec, active_rows, object_schema, q_param, required_str, t_bool, t_list, t_obj, t_opt_bool,
    t_opt_obj, t_opt_str, t_str, t_str_list, t_total,
};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads::{self, GroupFilter, RoleMappingFilter};
use access_kit::access::directory::types::{Group, GroupType, PageRequest};
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{self, Json, Lookup, Obj};

/// What the inline limit means, for the detail tools' descriptions.
macro_rules! capped_lists_note {
    () => {
        " Large groups: each user and role-mapping list holds at most the server's inline limit of \
rows (default 100), newest first; when a list was cut, a sibling field `<list>_total` (e.g. \
`active_user_memberships_total`) gives the full count, and is absent otherwise. For the rest use \
list_group_memberships (every member and owner id) or list_audit_entries with group_id (pages \
through the rows)."
    };
}
pub(crate) use capped_lists_note;

pub const LIST_GROUPS: ToolSpec = ToolSpec {
    name: "list_groups",
    title: "List groups",
    description: "List Access groups of every type (plain okta_group, app_group and role_group), \
ordered by name, with free-text search over name and description. Each result carries its \
active_group_tags (attached tags; only those with enabled=true enforce their constraints); role groups also list the groups they grant \
(active_role_associated_group_member_mappings / _owner_mappings) and app groups their parent app. \
`managed` filters on is_managed: omit it (null) for both, true for groups managed in Access, false \
for ONLY the externally-managed groups (IdP built-in or rule-based), which Access cannot grant. \
Use get_group for members and owners. Requires the read_all scope.",
    params: || {
        let mut p = vec![
            q_param("group name and description"),
            (
                "managed",
                json!({"type": ["boolean", "null"], "default": null,
                "description": "null: all groups; true: only groups managed by Access; false: only externally-managed groups."}),
            ),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || envelope::schema(json!({"type": "object", "description": "GroupSummary"})),
    handler: list_groups,
};

fn list_groups(args: &Args) -> ToolResult<Json> {
    let q = args.string("q", "")?;
    let managed = args.opt_bool("managed")?;
    let paging = Paging::from_args(args)?;
    let filter = GroupFilter {
        query: q,
        managed,
        group_type: None,
        owner_user_id: None,
    };
    let page = reads::list_groups(&filter, paging.request())?;
    let summaries = summarize(page.items)?;
    Ok(paging.envelope(page.total, summaries))
}

/// `GroupSummary` for each group: a fixed number of host calls for the whole page.
/// The groups move into the lookup (their tags and role mappings refer back
/// to them) and are written from there, in the page's order.
pub fn summarize(groups: Vec<Group>) -> ToolResult<Vec<Json>> {
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    let role_ids: Vec<String> = groups
        .iter()
        .filter(|g| g.group_type == GroupType::RoleGroup)
        .map(|g| g.id.clone())
        .collect();
    let tag_maps = if ids.is_empty() {
        Vec::new()
    } else {
        reads::group_tag_maps(Some(&ids), None)?
    };
    let role_maps = if role_ids.is_empty() {
        Vec::new()
    } else {
        reads::role_mappings_of_roles(&role_ids)?
    };

    let mut lookup = Lookup::new();
    for g in groups {
        lookup.add_group(g);
    }
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    for m in &role_maps {
        lookup.need_role_mapping(m);
    }
    lookup.fetch()?;

    Ok(ids
        .iter()
        .filter_map(|id| lookup.group(id))
        .map(|g| {
            let o = Obj::new()
                .s("id", &g.id)
                .s("name", &g.name)
                .s("description", &g.description)
                .b("is_managed", g.is_managed)
                .t("created_at", g.created_at)
                .t("updated_at", g.updated_at)
                .v("active_group_tags", lookup.tags_of_group(&tag_maps, &g.id))
                .s("type", wire::group_type(g.group_type));
            match g.group_type {
                GroupType::RoleGroup => {
                    let of_role = |owner: bool| -> Json {
                        Json::array(
                            role_maps
                                .iter()
                                .filter(|m| m.role_id == g.id && m.is_owner == owner)
                                .map(|m| lookup.role_mapping(m)),
                        )
                    };
                    o.v(
                        "active_role_associated_group_member_mappings",
                        of_role(false),
                    )
                    .v("active_role_associated_group_owner_mappings", of_role(true))
                    .done()
                }
                GroupType::AppGroup => o.ov("app", g.app.as_ref().map(wire::app_id_ref)).done(),
                GroupType::OktaGroup => o.done(),
            }
        })
        .collect())
}

pub const GET_GROUP: ToolSpec = ToolSpec {
    name: "get_group",
    title: "Get group",
    description: concat!(
        "Full detail of one group of any type, by exact id or exact (case-sensitive) name. A deleted \
group is still returned when nothing live matches, so check deleted_at. Fields starting with \
`active_` are in force now (ended_at null = indefinite, or in the future). \
active_user_memberships: users who are members; active_user_ownerships: users who own (manage) \
the group and approve its requests. Each row has user, group, created_at, ended_at, \
created_reason, should_expire and active_role_group_mapping: set (naming the role) when the grant \
comes through a role, null for a direct grant. Plain and app groups: active_role_member_mappings \
/ active_role_owner_mappings are the roles whose members get membership / ownership of THIS \
group. Role groups instead carry active_role_associated_group_member_mappings / _owner_mappings: \
the groups the role grants. active_group_tags: the tags attached to the group; only tags with \
enabled=true enforce their constraints (time limits in seconds, required reasons, no self-add). \
App groups also carry app_id, is_owner (true for the app's owners group), plugin_data and app. \
is_managed=false means the group is managed outside Access (IdP rules) and cannot be requested.",
        capped_lists_note!(),
        " Requires the read_all scope."
    ),
    params: || {
        vec![required_str(
            "group_id_or_name",
            "Group id, or its exact (case-sensitive) name.",
        )]
    },
    required: &["group_id_or_name"],
    output: group_detail_schema,
    handler: get_group,
};

fn get_group(args: &Args) -> ToolResult<Json> {
    let key = args.required_string("group_id_or_name")?;
    let group = reads::find_group(&key, None, true)?.ok_or(ToolError::new("Group not found"))?;
    group_detail(group)
}

/// Output schema of `GroupDetail` (all three variants).
pub fn group_detail_schema() -> Value {
    object_schema(vec![
        ("id", t_str()),
        ("name", t_str()),
        ("description", t_str()),
        ("is_managed", t_bool()),
        ("externally_managed_data", t_obj()),
        ("created_at", t_str()),
        ("updated_at", t_str()),
        ("deleted_at", t_opt_str()),
        ("active_user_memberships", t_list()),
        ("active_user_memberships_total", t_total()),
        ("active_user_ownerships", t_list()),
        ("active_user_ownerships_total", t_total()),
        ("active_group_tags", t_list()),
        (
            "type",
            json!({"type": "string", "enum": ["okta_group", "role_group", "app_group"]}),
        ),
        ("active_role_associated_group_member_mappings", t_list()),
        (
            "active_role_associated_group_member_mappings_total",
            t_total(),
        ),
        ("active_role_associated_group_owner_mappings", t_list()),
        (
            "active_role_associated_group_owner_mappings_total",
            t_total(),
        ),
        ("app_id", t_opt_str()),
        ("is_owner", t_opt_bool()),
        ("plugin_data", t_obj()),
        ("app", t_opt_obj()),
        ("active_role_member_mappings", t_list()),
        ("active_role_member_mappings_total", t_total()),
        ("active_role_owner_mappings", t_list()),
        ("active_role_owner_mappings_total", t_total()),
    ])
}

/// `GroupDetail`, discriminated by type, with every inline list capped.
pub fn group_detail(g: Group) -> ToolResult<Json> {
    let limit = reads::inline_list_limit();
    let members = active_rows(None, Some(&g.id), false, limit)?;
    let owners = active_rows(None, Some(&g.id), true, limit)?;
    let tag_maps = reads::group_tag_maps(Some(std::slice::from_ref(&g.id)), None)?;
    let is_role = g.group_type == GroupType::RoleGroup;
    let mappings = |is_owner: bool| {
        let filter = RoleMappingFilter {
            role_id: is_role.then(|| g.id.clone()),
            group_id: (!is_role).then(|| g.id.clone()),
            is_owner: Some(is_owner),
            active_only: true,
        };
        reads::list_role_mappings(&filter, PageRequest { offset: 0, limit })
    };
    let member_maps = mappings(false)?;
    let owner_maps = mappings(true)?;

    let mut lookup = Lookup::new();
    lookup.add_group(g.clone());
    for m in members.items.iter().chain(&owners.items) {
        lookup.need_membership(m);
    }
    for m in member_maps.items.iter().chain(&owner_maps.items) {
        lookup.need_role_mapping(m);
    }
    for m in &tag_maps {
        lookup.need_group_tag_map(m);
    }
    lookup.fetch()?;

    let v = Obj::new()
        .s("id", &g.id)
        .s("name", &g.name)
        .s("description", &g.description)
        .b("is_managed", g.is_managed)
        .v(
            "externally_managed_data",
            wire::json_text(&g.externally_managed_data),
        )
        .t("created_at", g.created_at)
        .t("updated_at", g.updated_at)
        .ot("deleted_at", g.deleted_at)
        .capped("active_user_memberships", lookup.memberships(&members))
        .capped("active_user_ownerships", lookup.memberships(&owners))
        .v("active_group_tags", lookup.tags_of_group(&tag_maps, &g.id))
        .s("type", wire::group_type(g.group_type));
    let (v, member_key, owner_key) = match g.group_type {
        GroupType::RoleGroup => (
            v,
            "active_role_associated_group_member_mappings",
            "active_role_associated_group_owner_mappings",
        ),
        GroupType::AppGroup => (
            v.os("app_id", g.app_id.as_deref())
                .b("is_owner", g.is_owner)
                .v("plugin_data", wire::json_text(&g.plugin_data))
                .ov("app", g.app.as_ref().map(wire::app_id_ref)),
            "active_role_member_mappings",
            "active_role_owner_mappings",
        ),
        GroupType::OktaGroup => (
            v,
            "active_role_member_mappings",
            "active_role_owner_mappings",
        ),
    };
    Ok(
        v.capped(member_key, lookup.role_mappings_capped(&member_maps))
            .capped(owner_key, lookup.role_mappings_capped(&owner_maps))
            .done(),
    )
}

pub const LIST_GROUP_MEMBERSHIPS: ToolSpec = ToolSpec {
    name: "list_group_memberships",
    title: "List group memberships",
    description: "The ids of everyone who currently holds a group, as two lists: `members` (user ids \
with membership) and `owners` (user ids with ownership). Counts direct and role-derived grants \
alike; each user appears at most once per list, in no particular order. The group is looked up \
by exact id or exact name among non-deleted groups only (a deleted group is \"Group not found\"). \
Not paginated: it returns every id, so it is the complete list when get_group's inline lists \
were cut. Use get_user for a person's detail, list_audit_entries for when and why each grant \
was made. Requires the read_all scope.",
    params: || {
        vec![required_str(
            "group_id_or_name",
            "Group id, or its exact (case-sensitive) name.",
        )]
    },
    required: &["group_id_or_name"],
    output: || object_schema(vec![("members", t_str_list()), ("owners", t_str_list())]),
    handler: list_group_memberships,
};

fn list_group_memberships(args: &Args) -> ToolResult<Json> {
    let key = args.required_string("group_id_or_name")?;
    let group = reads::find_group(&key, None, false)?.ok_or(ToolError::new("Group not found"))?;
    let ids = reads::group_members(&group.id)?;
    Ok(Obj::new()
        .v("members", Json::strings(&ids.members))
        .v("owners", Json::strings(&ids.owners))
        .done())
}
