//! list_roles and get_role. A role is a group of type role_group.

use serde_json::json;

use super::groups::{capped_lists_note, group_detail, group_detail_schema};
use super::{ToolSpec, non_empty, q_param, required_str, str_param};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads::{self, GroupFilter};
use access_kit::access::directory::types::GroupType;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{self, Json};

pub const LIST_ROLES: ToolSpec = ToolSpec {
    name: "list_roles",
    title: "List roles",
    description: "List roles: groups of type role_group (names start with \"Role-\") that stand \
for a job function. A role is mapped onto other groups, and every member of the role gets \
membership (or ownership) of them, so requesting the right role is preferred over requesting \
its groups one by one. Ordered by name; `q` searches name and description; `owner_id` (a user id \
or email, deleted users included) keeps only the roles that user currently owns (an active \
ownership row, direct or through a role mapping). Results are slim (id, type, name, description, created_at, updated_at): \
use get_role for members, owners and the groups a role grants. Requires the read_all scope.",
    params: || {
        let mut p = vec![
            q_param("role name and description"),
            str_param(
                "owner_id",
                "Only roles this user (id or email) currently owns; empty for all roles.",
            ),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || {
        envelope::schema(
            json!({"type": "object", "description": "RoleGroupListItem: id, type, name, description, created_at, updated_at"}),
        )
    },
    handler: list_roles,
};

fn list_roles(args: &Args) -> ToolResult<Json> {
    let q = args.string("q", "")?;
    let owner_id = args.string("owner_id", "")?;
    let paging = Paging::from_args(args)?;
    let owner_user_id = match non_empty(owner_id) {
        None => None,
        Some(key) => Some(
            reads::find_user(&key, true)?
                .ok_or_else(|| ToolError::new(format!("Owner not found: {key}")))?
                .id,
        ),
    };
    let filter = GroupFilter {
        query: q,
        managed: None,
        group_type: Some(GroupType::RoleGroup),
        owner_user_id,
    };
    let page = reads::list_groups(&filter, paging.request())?;
    let items = page.items.iter().map(wire::role_list_item);
    Ok(paging.envelope(page.total, items))
}

pub const GET_ROLE: ToolSpec = ToolSpec {
    name: "get_role",
    title: "Get role",
    description: concat!(
        "Full detail of one role by exact id or exact (case-sensitive) name; a deleted role is still \
returned when nothing live matches (check deleted_at). A role is a group (type role_group), so \
the fields are those of get_group with the role's own mapping lists. `active_` fields are in \
force now. active_user_memberships: the role's members (each of them receives what the role \
grants); active_user_ownerships: who manages the role and may file role requests for it. \
active_role_associated_group_member_mappings: the groups this role gives its members \
MEMBERSHIP of; active_role_associated_group_owner_mappings: the groups it gives its members \
OWNERSHIP of (each mapping has ended_at: null = indefinite). active_group_tags: tags on the role \
itself (only enabled ones enforce constraints).",
        capped_lists_note!(),
        " Requires the read_all scope."
    ),
    params: || {
        vec![required_str(
            "role_id_or_name",
            "Role id, or its exact (case-sensitive) name, e.g. \"Role-Backend-Engineer\".",
        )]
    },
    required: &["role_id_or_name"],
    output: group_detail_schema,
    handler: get_role,
};

fn get_role(args: &Args) -> ToolResult<Json> {
    let key = args.required_string("role_id_or_name")?;
    let role = reads::find_group(&key, Some(GroupType::RoleGroup), true)?
        .ok_or(ToolError::new("Role not found"))?;
    group_detail(role)
}
