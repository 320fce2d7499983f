//! list_audit_entries: the grant/history rows of `okta_user_group_member`.

use serde_json::json;

use super::{ToolSpec, non_empty, resolve_me, str_param};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads::{self, MembershipFilter};
use access_kit::access::directory::types::Membership;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{Json, Obj};

pub const LIST_AUDIT_ENTRIES: ToolSpec = ToolSpec {
    name: "list_audit_entries",
    title: "List access history",
    description: "Access history: the grant rows behind every membership and ownership, direct or \
through a role, newest first. Each row is one grant of one user in one group; when it ends \
(revoked or expired) the row stays with ended_at and ended_actor_id set. Filter by `user_id` \
(id, email or '@me'), `group_id` (id or exact name; deleted users and groups are found too) and \
`is_owner` (true: ownership rows, false: membership rows, null: both). `active_only` (default \
true) keeps the rows in force now; set it to false to include ended rows, e.g. to find when and \
by whom someone lost access. Rows are compact: id, user_id, group_id, role_group_map_id (set \
when the grant comes from a role mapping), is_owner, should_expire, created_at, ended_at (RFC \
822; null = indefinite), created_actor_id, ended_actor_id, created_reason and \
access_request_id (the access request whose approval created the row, else null). Use get_user \
or get_group for names. Requires the read_all scope.",
    params: || {
        let mut p = vec![
            str_param(
                "user_id",
                "Only this user's rows: user id, email, or '@me' for the calling user; empty for everyone.",
            ),
            str_param(
                "group_id",
                "Only this group's rows: group id or exact name; empty for every group.",
            ),
            (
                "is_owner",
                json!({"type": ["boolean", "null"], "default": null,
                "description": "true: ownership rows only; false: membership rows only; null: both."}),
            ),
            (
                "active_only",
                json!({"type": "boolean", "default": true,
                "description": "true: only rows in force now; false: also ended (revoked or expired) rows."}),
            ),
        ];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || {
        envelope::schema(
            json!({"type": "object", "description": "id, user_id, group_id, role_group_map_id, is_owner, should_expire, created_at, ended_at, created_actor_id, ended_actor_id, created_reason, access_request_id"}),
        )
    },
    handler: list_audit_entries,
};

fn entry(m: &Membership) -> Json {
    Obj::new()
        .i("id", m.id)
        .s("user_id", &m.user_id)
        .s("group_id", &m.group_id)
        .oi("role_group_map_id", m.role_group_map_id)
        .b("is_owner", m.is_owner)
        .b("should_expire", m.should_expire)
        .t("created_at", m.created_at)
        .ot("ended_at", m.ended_at)
        .os("created_actor_id", m.created_actor_id.as_deref())
        .os("ended_actor_id", m.ended_actor_id.as_deref())
        .s("created_reason", &m.created_reason)
        .os("access_request_id", m.access_request_id.as_deref())
        .done()
}

fn list_audit_entries(args: &Args) -> ToolResult<Json> {
    let user_arg = args.string("user_id", "")?;
    let group_arg = args.string("group_id", "")?;
    let is_owner = args.opt_bool("is_owner")?;
    let active_only = args.bool("active_only", true)?;
    let paging = Paging::from_args(args)?;

    let user_id = match non_empty(user_arg) {
        None => None,
        Some(original) => {
            let key = resolve_me(original.clone());
            let user = reads::find_user(&key, true)?
                .ok_or_else(|| ToolError::new(format!("User not found: {original}")))?;
            Some(user.id)
        }
    };
    let group_id = match non_empty(group_arg) {
        None => None,
        Some(key) => {
            let group = reads::find_group(&key, None, true)?
                .ok_or_else(|| ToolError::new(format!("Group not found: {key}")))?;
            Some(group.id)
        }
    };
    let filter = MembershipFilter {
        user_id,
        group_id,
        is_owner,
        active_only,
        live_groups_only: false,
    };
    let page = reads::list_memberships(&filter, paging.request())?;
    let items = page.items.iter().map(entry);
    Ok(paging.envelope(page.total, items))
}
