//! list_tags and get_tag.

use serde_json::json;

use super::{
    ToolSpec, object_schema, q_param, required_str, t_bool, t_list, t_obj, t_opt_str, t_str,
};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{self, Json, Lookup};

pub const LIST_TAGS: ToolSpec = ToolSpec {
    name: "list_tags",
    title: "List tags",
    description: "List tags, ordered by name; `q` searches name and description. A tag attached \
to a group or an app carries constraints on access to it: member_time_limit / owner_time_limit \
(maximum grant length in seconds), require_member_reason / require_owner_reason, \
disallow_self_add_membership / disallow_self_add_ownership (owners may not add themselves). \
Only tags with enabled=true enforce anything, but the list includes disabled tags too. Use \
get_tag to see where a tag is attached. Requires the read_all scope.",
    params: || {
        let mut p = vec![q_param("tag name and description")];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || {
        envelope::schema(
            json!({"type": "object", "description": "TagListItem: id, name, description, constraints, enabled, created_at, updated_at"}),
        )
    },
    handler: list_tags,
};

fn list_tags(args: &Args) -> ToolResult<Json> {
    let q = args.string("q", "")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_tags(&q, paging.request())?;
    let items = page.items.iter().map(wire::tag_list_item);
    Ok(paging.envelope(page.total, items))
}

pub const GET_TAG: ToolSpec = ToolSpec {
    name: "get_tag",
    title: "Get tag",
    description: "Detail of one tag by exact id or exact (case-sensitive) name; a deleted tag is \
still returned when nothing live matches (check deleted_at). Gives its constraints (time limits \
in seconds, reason requirements, self-add restrictions), `enabled` (a disabled tag enforces \
nothing), and where it is attached now: active_group_tags (one per group, with active_group; \
active_app_tag_mapping is set when the attachment was propagated from a tag on the group's app) \
and active_app_tags (one per app, with active_app). Requires the read_all scope.",
    params: || {
        vec![required_str(
            "tag_id_or_name",
            "Tag id, or its exact (case-sensitive) name.",
        )]
    },
    required: &["tag_id_or_name"],
    output: || {
        object_schema(vec![
            ("id", t_str()),
            ("name", t_str()),
            ("description", t_str()),
            ("constraints", t_obj()),
            ("enabled", t_bool()),
            ("created_at", t_str()),
            ("updated_at", t_str()),
            ("deleted_at", t_opt_str()),
            ("active_group_tags", t_list()),
            ("active_app_tags", t_list()),
        ])
    },
    handler: get_tag,
};

fn get_tag(args: &Args) -> ToolResult<Json> {
    let key = args.required_string("tag_id_or_name")?;
    let tag = reads::find_tag(&key, true)?.ok_or(ToolError::new("Tag not found"))?;
    let tag_ids = [tag.id.clone()];
    let group_maps = reads::group_tag_maps(None, Some(&tag_ids))?;
    let app_maps = reads::app_tag_maps(None, Some(&tag_ids))?;

    let mut lookup = Lookup::new();
    lookup.add_tag(&tag);
    for m in &app_maps {
        lookup.need_app_tag_map(m);
        lookup.app_tag_maps.insert(m.id, m.clone());
    }
    for m in &group_maps {
        lookup.need_group_tag_map(m);
    }
    lookup.fetch()?;

    Ok(wire::tag_list_fields(&tag)
        .ot("deleted_at", tag.deleted_at)
        .list(
            "active_group_tags",
            group_maps.iter().map(|m| lookup.group_tag_map(m)),
        )
        .list(
            "active_app_tags",
            app_maps.iter().map(|m| lookup.app_tag_map(m)),
        )
        .done())
}
