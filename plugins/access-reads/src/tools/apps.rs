//! list_apps and get_app.

use std::collections::HashMap;

use serde_json::json;

use super::{ToolSpec, object_schema, q_param, required_str, t_list, t_obj, t_opt_str, t_str};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads::{self, GroupMembershipSlice, MembershipPage};
use access_kit::access::directory::types::Group;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{self, Json, Lookup, Obj};

pub const LIST_APPS: ToolSpec = ToolSpec {
    name: "list_apps",
    title: "List apps",
    description: "List Access apps, ordered by name; `q` searches name and description. An app \
is only a grouping inside Access of its app groups (named App-<app>-…): one owners group \
(App-<app>-Owners) whose members own the app, plus groups granting access to it. It is not an \
app registered in the identity provider. Use get_app for an app's groups and tags. Requires the \
read_all scope.",
    params: || {
        let mut p = vec![q_param("app name and description")];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || {
        envelope::schema(
            json!({"type": "object", "description": "AppSummary: id, name, description, created_at, updated_at, deleted_at"}),
        )
    },
    handler: list_apps,
};

fn list_apps(args: &Args) -> ToolResult<Json> {
    let q = args.string("q", "")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_apps(&q, paging.request())?;
    let items = page.items.iter().map(wire::app_summary);
    Ok(paging.envelope(page.total, items))
}

pub const GET_APP: ToolSpec = ToolSpec {
    name: "get_app",
    title: "Get app",
    description: "Full detail of one non-deleted app by exact id or exact (case-sensitive) name. \
active_owner_app_groups: the app's owners group(s); their members own the app, which makes them \
approvers for every group of the app, a tier consulted before Access admins. \
active_non_owner_app_groups: the app's other groups, which grant access to the app. Each group \
lists its active_user_memberships and active_user_ownerships (rows as in get_group: \
active_role_group_mapping is set when the grant comes through a role). active_app_tags: tags \
on the app; their constraints propagate to every group of the app (only enabled tags enforce). \
Large groups: each group's user lists hold at most the server's inline limit of rows (default \
100), newest first; when a list was cut, `active_user_memberships_total` / \
`active_user_ownerships_total` beside it give the full count (absent otherwise) — use \
list_group_memberships or list_audit_entries with group_id for the rest. Requires the read_all \
scope.",
    params: || {
        vec![required_str(
            "app_id_or_name",
            "App id, or its exact (case-sensitive) name.",
        )]
    },
    required: &["app_id_or_name"],
    output: || {
        object_schema(vec![
            ("id", t_str()),
            ("name", t_str()),
            ("description", t_str()),
            ("created_at", t_str()),
            ("updated_at", t_str()),
            ("deleted_at", t_opt_str()),
            ("app_group_lifecycle_plugin", t_opt_str()),
            ("plugin_data", t_obj()),
            ("active_app_tags", t_list()),
            ("active_owner_app_groups", t_list()),
            ("active_non_owner_app_groups", t_list()),
        ])
    },
    handler: get_app,
};

/// A group's capped member and owner rows.
struct GroupRows {
    members: MembershipPage,
    owners: MembershipPage,
}

/// The active member and owner rows of each group, capped at `limit` each:
/// two host calls (members, owners) whatever the number of groups.
fn rows_of_groups(groups: &[Group], limit: u32) -> ToolResult<HashMap<String, GroupRows>> {
    if groups.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    let by_group = |slices: Vec<GroupMembershipSlice>| -> HashMap<String, MembershipPage> {
        slices
            .into_iter()
            .map(|s| {
                let page = MembershipPage {
                    total: s.total,
                    items: s.items,
                };
                (s.group_id, page)
            })
            .collect()
    };
    let mut members = by_group(reads::memberships_of_groups(&ids, false, limit)?);
    let mut owners = by_group(reads::memberships_of_groups(&ids, true, limit)?);
    let take = |pages: &mut HashMap<String, MembershipPage>, id: &str| {
        pages.remove(id).unwrap_or(MembershipPage {
            total: 0,
            items: Vec::new(),
        })
    };
    Ok(ids
        .iter()
        .map(|id| {
            let rows = GroupRows {
                members: take(&mut members, id),
                owners: take(&mut owners, id),
            };
            (id.clone(), rows)
        })
        .collect())
}

fn get_app(args: &Args) -> ToolResult<Json> {
    let key = args.required_string("app_id_or_name")?;
    let app = reads::find_app(&key, false)?.ok_or(ToolError::new("App not found"))?;
    let limit = reads::inline_list_limit();
    let app_ids = [app.id.clone()];
    let app_tags = reads::app_tag_maps(Some(&app_ids), None)?;
    let groups = reads::app_groups(&app_ids)?;
    let rows = rows_of_groups(&groups, limit)?;

    let mut lookup = Lookup::new();
    lookup.add_app(&app);
    for g in &groups {
        lookup.add_group(g.clone());
    }
    for r in rows.values() {
        for m in r.members.items.iter().chain(&r.owners.items) {
            lookup.need_membership(m);
        }
    }
    for m in &app_tags {
        lookup.need_app_tag_map(m);
    }
    lookup.fetch()?;

    let app_group = |g: &Group| -> Json {
        let o = Obj::new()
            .s("id", &g.id)
            .s("type", wire::group_type(g.group_type))
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
            .os("app_id", g.app_id.as_deref())
            .b("is_owner", g.is_owner)
            .v("plugin_data", wire::json_text(&g.plugin_data))
            .ov("app", g.app.as_ref().map(wire::app_id_ref));
        match rows.get(&g.id) {
            Some(r) => o
                .capped("active_user_memberships", lookup.memberships(&r.members))
                .capped("active_user_ownerships", lookup.memberships(&r.owners))
                .done(),
            None => o.done(),
        }
    };
    let of_kind = |owner: bool| {
        groups
            .iter()
            .filter(move |g| g.is_owner == owner)
            .map(app_group)
    };

    Ok(wire::app_summary_fields(&app)
        .os(
            "app_group_lifecycle_plugin",
            app.app_group_lifecycle_plugin.as_deref(),
        )
        .v("plugin_data", wire::json_text(&app.plugin_data))
        .list(
            "active_app_tags",
            app_tags.iter().map(|m| lookup.app_tag_map(m)),
        )
        .list("active_owner_app_groups", of_kind(true))
        .list("active_non_owner_app_groups", of_kind(false))
        .done())
}
