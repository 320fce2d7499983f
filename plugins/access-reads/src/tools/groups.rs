//! list_groups (and, with the plugins issue, the rest of the group tools).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{ToolSpec, q_param};
use crate::access::directory::reads::{self, GroupFilter};
use crate::access::directory::types::{Group, GroupType};
use crate::args::Args;
use crate::envelope::{self, Paging};
use crate::error::ToolResult;
use crate::mcp::plugin::clock;
use crate::wire::{self, Lookup};

pub const LIST_GROUPS: ToolSpec = ToolSpec {
    name: "list_groups",
    title: "List groups",
    description: "List Access groups of every type (plain okta_group, app_group and role_group), \
ordered by name, with free-text search over name and description. Each result carries its \
active_group_tags (tags whose constraints apply); role groups also list the groups they grant \
(active_role_associated_group_member_mappings / _owner_mappings) and app groups their parent app. \
`managed` filters on is_managed: omit it (null) for both, true for groups managed in Access, false \
for ONLY the externally-managed groups (IdP built-in or rule-based), which Access cannot grant.",
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

fn list_groups(args: &Args) -> ToolResult<Value> {
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
    let summaries = summarize(&page.items)?;
    Ok(paging.envelope(page.total, summaries))
}

/// `GroupSummary` for each group: a fixed number of host calls for the whole page.
pub fn summarize(groups: &[Group]) -> ToolResult<Vec<Value>> {
    let now = clock::now();
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
    let role_maps = reads::role_mappings_of_roles(&role_ids)?;

    let mut lookup = Lookup::default();
    for g in groups {
        lookup.groups.insert(g.id.clone(), g.clone());
    }
    let targets: BTreeSet<String> = role_maps
        .iter()
        .map(|m| m.group_id.clone())
        .filter(|id| !lookup.groups.contains_key(id))
        .collect();
    for g in reads::groups_by_id(&targets.into_iter().collect::<Vec<_>>())? {
        lookup.groups.insert(g.id.clone(), g);
    }
    let tag_ids: BTreeSet<String> = tag_maps.iter().map(|m| m.tag_id.clone()).collect();
    let app_tag_ids: Vec<i64> = tag_maps.iter().filter_map(|m| m.app_tag_map_id).collect();
    let app_tag_maps = reads::app_tag_maps_by_id(&app_tag_ids)?;
    let mut all_tags = tag_ids;
    all_tags.extend(app_tag_maps.iter().map(|m| m.tag_id.clone()));
    for t in reads::tags_by_id(&all_tags.into_iter().collect::<Vec<_>>())? {
        lookup.tags.insert(t.id.clone(), t);
    }
    let app_ids: BTreeSet<String> = app_tag_maps.iter().map(|m| m.app_id.clone()).collect();
    for a in reads::apps_by_id(&app_ids.into_iter().collect::<Vec<_>>())? {
        lookup.apps.insert(a.id.clone(), a);
    }
    for m in app_tag_maps {
        lookup.app_tag_maps.insert(m.id, m);
    }

    Ok(groups
        .iter()
        .map(|g| {
            let tags: Vec<Value> = tag_maps
                .iter()
                .filter(|m| m.group_id == g.id && wire::is_active(m.ended_at, now))
                .map(|m| lookup.group_tag_map(m))
                .collect();
            let mut v = json!({
                "id": g.id, "name": g.name, "description": g.description, "is_managed": g.is_managed,
                "created_at": wire::rfc822(g.created_at), "updated_at": wire::rfc822(g.updated_at),
                "active_group_tags": tags, "type": wire::group_type(g.group_type),
            });
            match g.group_type {
                GroupType::RoleGroup => {
                    let of_role = |owner: bool| -> Vec<Value> {
                        role_maps
                            .iter()
                            .filter(|m| m.role_id == g.id && m.is_owner == owner)
                            .map(|m| lookup.role_mapping(m))
                            .collect()
                    };
                    v["active_role_associated_group_member_mappings"] = Value::Array(of_role(false));
                    v["active_role_associated_group_owner_mappings"] = Value::Array(of_role(true));
                }
                GroupType::AppGroup => {
                    v["app"] = g.app.as_ref().map(wire::app_id_ref).unwrap_or(Value::Null);
                }
                GroupType::OktaGroup => {}
            }
            v
        })
        .collect())
}
