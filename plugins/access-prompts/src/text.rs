//! The guidance text: the `request_access` prompt (Access §9.1) and the server
//! instructions (§9.2), corrected to tell the truth about default scopes.

pub const REQUEST_ACCESS_DESCRIPTION: &str = "Walk a user through submitting an Access request: \
prefer roles over direct group membership, prefer short-duration over indefinite access, and surface \
tag constraints (reason requirements, time limits) up front so the request is not rejected.";

pub fn request_access(target: &str) -> String {
    let target_line = if target.is_empty() {
        "The user has not yet named a specific group or role; ask what they need access to and why."
            .to_string()
    } else {
        format!("The user is asking about: {target}")
    };
    format!(
        "You are helping the user submit an Access request. Before drafting anything, walk through \
these checks, which reflect least privilege and time-bound access.

{target_line}

1. Is there a role that already grants this access? Look with `list_roles` and `get_role`. If a \
role covers the user's job function, requesting that role beats requesting the group: roles are the \
maintainable RBAC primitive.

2. Is the access needed indefinitely or for a specific task? For task-bound needs (incident \
response, a one-time investigation, a vendor onboarding window), request time-bounded access with \
`ending_at`. If the user has not named a duration and no tag enforces a limit, offer the standard \
set: 12 hours, 5 days, two weeks, 30 days, 90 days, or indefinite.

3. Inspect tag constraints on the target. `get_group` and `get_role` return `active_group_tags`. \
Enabled tags can force a reason, force a time limit, or disallow self-add. Surface them so the \
request satisfies them on the first try.

4. Submit via `create_access_request`. Always include a clear `reason`, even when no tag requires \
one, because reviewing owners rely on it. Set `ending_at` to match step 2.

Never try to approve or modify a request through MCP: the approve, reject and direct-add paths are \
intentionally not exposed."
    )
}

pub const INSTRUCTIONS: &str = "Access is an access-control portal implementing RBAC over an upstream \
identity provider's groups and roles. It was originally built for Okta; the `Okta` prefix on entity \
names (OktaUser, OktaGroup) is legacy and vestigial, not a deployment requirement.

Core concepts:
- OktaGroup: a plain IdP group. AppGroup: a group tied to an Access App (name prefix `App-<App>-`; \
the app's owners group is `App-<App>-Owners`). RoleGroup: a job-function group (prefix `Role-`); \
mapping a role to a group grants every role member access to that group.
- AccessRequest: a user asks for membership or ownership of one group or role for themselves. \
RoleRequest: a role owner asks for their role to be mapped onto a group. GroupRequest: a user asks \
for a new group, role or app group to be created.
- Tags carry constraints: member and owner time limits, reason requirements, self-add \
restrictions. Disabled tags do not apply.

Design goals to surface: prefer roles over direct membership; prefer time-bounded access for \
anything that is not day-to-day (offer 12 hours, 5 days, two weeks, 30 days, 90 days, or \
indefinite); least privilege: never recommend a tier broader than needed.

Tools: the read tools (list_/get_ groups, roles, apps, users, tags, access/role/group requests, \
list_group_memberships, list_audit_entries) require the `read_all` scope. For list_audit_entries, \
query by `user_id` (`@me` for yourself) or `group_id`; when a user reports recently losing access, \
set `active_only=false` to find the revocation (rows carry `ended_at` and `ended_actor_id`). The \
write tools require `create_requests`: create_access_request (for yourself, open to any \
authenticated user), create_role_request (only role owners and Access admins), \
create_group_request (open to anyone; app-group requests need `app_id`). Approvals, rejections \
and direct membership edits are not exposed.

Scopes: the token's scopes decide which tools work. A token without a scope claim gets the \
operator's fallback scopes (MCP_FALLBACK_SCOPES), which by default include both `read_all` and \
`create_requests`, so default sessions can file requests; an operator can make sessions read-only \
by setting the fallback to `read_all` or by removing the request-writes plugin. Even with \
`create_requests`, requests cannot be approved through MCP.";
