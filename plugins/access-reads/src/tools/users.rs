//! list_users and get_user.

use serde_json::json;

use super::{
    ToolSpec, active_rows, object_schema, q_param, required_str, resolve_me, t_list, t_obj,
    t_opt_obj, t_opt_str, t_str, t_total,
};
use crate::envelope::{self, Paging};
use access_kit::access::directory::reads;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::wire::{self, Json, Lookup};

pub const LIST_USERS: ToolSpec = ToolSpec {
    name: "list_users",
    title: "List users",
    description: "List active (non-deleted) users, ordered by email. `q` is a case-insensitive \
substring search over email, first name, last name, display name, \"first last\", and the \
profile attributes this server displays (by default Title and Manager), so q=\"engineer\" finds \
people by job title. Results are user summaries (id, email, names, timestamps); use get_user for \
a person's profile, manager and access. Requires the read_all scope.",
    params: || {
        let mut p = vec![q_param(
            "email, first/last/display name, \"first last\" and the displayed profile attributes (e.g. Title, Manager)",
        )];
        p.extend(envelope::params());
        p
    },
    required: &[],
    output: || {
        envelope::schema(
            json!({"type": "object", "description": "OktaUserSummary: id, email, first_name, last_name, display_name, created_at, updated_at, deleted_at"}),
        )
    },
    handler: list_users,
};

fn list_users(args: &Args) -> ToolResult<Json> {
    let q = args.string("q", "")?;
    let paging = Paging::from_args(args)?;
    let page = reads::list_users(&q, paging.request())?;
    let items = page.items.iter().map(wire::user_summary);
    Ok(paging.envelope(page.total, items))
}

pub const GET_USER: ToolSpec = ToolSpec {
    name: "get_user",
    title: "Get user",
    description: "Detail of one user by id, email (case-insensitive) or the literal '@me' for the \
calling user; a deleted (offboarded) user is still returned when no live user matches (check \
deleted_at). Carries the displayed profile attributes (e.g. Title, Manager; missing ones are \
null), manager (summary plus profile), and what the user holds now: active_group_memberships \
(groups and roles the user is a member of) and active_group_ownerships (groups and roles the \
user manages). Each row has group, created_at, ended_at (null = indefinite), created_reason and \
active_role_group_mapping: set, naming the role, when the grant comes through a role; null for \
a direct grant. Each list holds at most the server's inline limit of rows (default 100), newest \
first; when a list was cut, `active_group_memberships_total` / `active_group_ownerships_total` \
beside it give the full count (absent otherwise) — page through the rest with \
list_audit_entries(user_id=...). '@me' is whoever this server authenticated for the call: on a \
server running in development or test mode that is always the configured dev user, whatever \
credentials the client sent. Every read tool needs the read_all scope; note that a token whose \
scope claim names only other scopes (e.g. just 'openid email') gets neither Access scope, so \
every tool is refused.",
    params: || {
        vec![required_str(
            "user_id_or_email",
            "User id, email (case-insensitive), or '@me' for the calling user.",
        )]
    },
    required: &["user_id_or_email"],
    output: || {
        object_schema(vec![
            ("id", t_str()),
            ("email", t_str()),
            ("first_name", t_str()),
            ("last_name", t_str()),
            ("display_name", t_opt_str()),
            ("created_at", t_str()),
            ("updated_at", t_str()),
            ("deleted_at", t_opt_str()),
            ("profile", t_obj()),
            ("manager", t_opt_obj()),
            ("active_group_memberships", t_list()),
            ("active_group_memberships_total", t_total()),
            ("active_group_ownerships", t_list()),
            ("active_group_ownerships_total", t_total()),
        ])
    },
    handler: get_user,
};

fn get_user(args: &Args) -> ToolResult<Json> {
    let key = resolve_me(args.required_string("user_id_or_email")?);
    let user = reads::find_user(&key, true)?.ok_or(ToolError::new("User not found"))?;
    let limit = reads::inline_list_limit();
    let memberships = active_rows(Some(&user.id), None, false, limit)?;
    let ownerships = active_rows(Some(&user.id), None, true, limit)?;

    let mut lookup = Lookup::new();
    lookup.add_user(&user);
    if let Some(manager) = &user.manager_id {
        lookup.need_user(manager);
    }
    for m in memberships.items.iter().chain(&ownerships.items) {
        lookup.need_membership(m);
    }
    lookup.fetch()?;

    let manager = user
        .manager_id
        .as_deref()
        .and_then(|id| lookup.user(id))
        .map(|m| {
            wire::user_summary_fields(m)
                .v("profile", wire::profile(m))
                .done()
        });
    Ok(wire::user_summary_fields(&user)
        .v("profile", wire::profile(&user))
        .ov("manager", manager)
        .capped("active_group_memberships", lookup.memberships(&memberships))
        .capped("active_group_ownerships", lookup.memberships(&ownerships))
        .done())
}
