//! The request shapes (§2.2): `AccessRequestSummary`/`Detail`,
//! `RoleRequestSummary`/`Detail` and `GroupRequestDetail`, composed from the
//! host's request records and a [`Lookup`] of the users and groups they name,
//! plus their output schemas.
//!
//! Used by access-reads (the request read tools) and access-requests (the
//! create tools answer with the created request).

use serde_json::Value;

use crate::access::directory::types::{AccessRequest, GroupRequest, RoleRequest};
use crate::spec::{object_schema, t_bool, t_opt_obj, t_opt_str, t_str, t_str_list};
use crate::wire::{self, Json, Lookup, Obj};

/// The output schema of an access or role request shape; `extra` goes after
/// `requester` (upstream's key order).
pub fn request_schema(extra: Vec<(&'static str, Value)>) -> Value {
    let mut props = vec![
        ("id", t_str()),
        ("requester_user_id", t_opt_str()),
        ("requester_role_id", t_opt_str()),
        ("requested_group_id", t_opt_str()),
        ("request_ownership", t_bool()),
        ("request_reason", t_opt_str()),
        ("request_ending_at", t_opt_str()),
        ("status", t_str()),
        ("resolver_user_id", t_opt_str()),
        ("resolution_reason", t_opt_str()),
        ("resolved_at", t_opt_str()),
        ("approval_ending_at", t_opt_str()),
        ("created_at", t_str()),
        ("updated_at", t_str()),
        ("requester", t_opt_obj()),
    ];
    props.extend(extra);
    props.extend([
        ("requested_group", t_opt_obj()),
        ("active_requested_group", t_opt_obj()),
        ("resolver", t_opt_obj()),
        ("active_resolver", t_opt_obj()),
    ]);
    object_schema(props)
}

/// Output schema of `AccessRequestSummary` / `AccessRequestDetail`.
pub fn access_request_schema() -> Value {
    request_schema(vec![("active_requester", t_opt_obj())])
}

/// Output schema of `RoleRequestSummary` / `RoleRequestDetail`.
pub fn role_request_schema() -> Value {
    request_schema(vec![
        ("requester_role", t_opt_obj()),
        ("active_requester_role", t_opt_obj()),
    ])
}

/// Output schema of `GroupRequestDetail`.
pub fn group_request_schema() -> Value {
    object_schema(vec![
        ("id", t_str()),
        ("status", t_str()),
        ("requested_group_name", t_str()),
        ("requested_group_description", t_str()),
        ("requested_group_type", t_str()),
        ("requested_app_id", t_opt_str()),
        ("requested_group_tags", t_str_list()),
        ("requested_ownership_ending_at", t_opt_str()),
        ("request_reason", t_str()),
        ("resolved_group_name", t_opt_str()),
        ("resolved_group_description", t_opt_str()),
        ("resolved_group_type", t_opt_str()),
        ("resolved_app_id", t_opt_str()),
        ("resolved_group_tags", t_str_list()),
        ("resolved_ownership_ending_at", t_opt_str()),
        ("resolution_reason", t_str()),
        ("resolved_at", t_opt_str()),
        ("approved_group_id", t_opt_str()),
        ("created_at", t_str()),
        ("updated_at", t_str()),
        ("requester", t_opt_obj()),
        ("resolver", t_opt_obj()),
    ])
}

// ---------------------------------------------------------------- access requests

fn access_scalars(r: &AccessRequest) -> Obj {
    Obj::new()
        .s("id", &r.id)
        .s("requester_user_id", &r.requester_user_id)
        .s("requested_group_id", &r.requested_group_id)
        .b("request_ownership", r.request_ownership)
        .s("request_reason", &r.request_reason)
        .ot("request_ending_at", r.request_ending_at)
        .s("status", wire::status(r.status))
        .os("resolver_user_id", r.resolver_user_id.as_deref())
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .ot("approval_ending_at", r.approval_ending_at)
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
}

/// Register the users and group an access request names.
pub fn need_access(lookup: &mut Lookup, r: &AccessRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
    lookup.need_group(&r.requested_group_id);
}

/// `AccessRequestSummary` / `AccessRequestDetail`, given the `requested_group` to use.
pub fn access_request(lookup: &Lookup, r: &AccessRequest, requested_group: Option<&Json>) -> Json {
    access_scalars(r)
        .ov_ref(
            "requester",
            lookup.user_json(Some(&r.requester_user_id), false),
        )
        .ov_ref(
            "active_requester",
            lookup.user_json(Some(&r.requester_user_id), true),
        )
        .ov_ref("requested_group", requested_group)
        .ov_ref(
            "active_requested_group",
            lookup.request_group_ref_json(&r.requested_group_id, true),
        )
        .ov_ref(
            "resolver",
            lookup.user_json(r.resolver_user_id.as_deref(), false),
        )
        .ov_ref(
            "active_resolver",
            lookup.user_json(r.resolver_user_id.as_deref(), true),
        )
        .done()
}

/// `AccessRequestSummary`: `requested_group` is the plain `GroupRef`.
pub fn access_request_summary(lookup: &Lookup, r: &AccessRequest) -> Json {
    access_request(
        lookup,
        r,
        lookup.request_group_ref_json(&r.requested_group_id, false),
    )
}

// ---------------------------------------------------------------- role requests

fn role_scalars(r: &RoleRequest) -> Obj {
    Obj::new()
        .s("id", &r.id)
        .s("requester_user_id", &r.requester_user_id)
        .s("requester_role_id", &r.requester_role_id)
        .s("requested_group_id", &r.requested_group_id)
        .b("request_ownership", r.request_ownership)
        .s("request_reason", &r.request_reason)
        .ot("request_ending_at", r.request_ending_at)
        .s("status", wire::status(r.status))
        .os("resolver_user_id", r.resolver_user_id.as_deref())
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .ot("approval_ending_at", r.approval_ending_at)
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
}

/// Register the users, role and group a role request names.
pub fn need_role(lookup: &mut Lookup, r: &RoleRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
    lookup.need_group(&r.requester_role_id);
    lookup.need_group(&r.requested_group_id);
}

/// `RoleRequestSummary` / `RoleRequestDetail`, given `requester_role` and
/// `requested_group`. `active_requester_role` is the role when it is not
/// deleted (upstream returned the requested group there: §15 item 6, fixed).
pub fn role_request(
    lookup: &Lookup,
    r: &RoleRequest,
    role: Option<&Json>,
    group: Option<&Json>,
) -> Json {
    role_scalars(r)
        .ov_ref(
            "requester",
            lookup.user_json(Some(&r.requester_user_id), false),
        )
        .ov_ref("requester_role", role)
        .ov_ref(
            "active_requester_role",
            lookup.request_group_ref_json(&r.requester_role_id, true),
        )
        .ov_ref("requested_group", group)
        .ov_ref(
            "active_requested_group",
            lookup.request_group_ref_json(&r.requested_group_id, true),
        )
        .ov_ref(
            "resolver",
            lookup.user_json(r.resolver_user_id.as_deref(), false),
        )
        .ov_ref(
            "active_resolver",
            lookup.user_json(r.resolver_user_id.as_deref(), true),
        )
        .done()
}

/// `RoleRequestSummary`: the role and the group are plain `GroupRef`s.
pub fn role_request_summary(lookup: &Lookup, r: &RoleRequest) -> Json {
    role_request(
        lookup,
        r,
        lookup.request_group_ref_json(&r.requester_role_id, false),
        lookup.request_group_ref_json(&r.requested_group_id, false),
    )
}

// ---------------------------------------------------------------- group requests

/// Register the users a group request names.
pub fn need_group_request(lookup: &mut Lookup, r: &GroupRequest) {
    lookup.need_user(&r.requester_user_id);
    if let Some(id) = &r.resolver_user_id {
        lookup.need_user(id);
    }
}

/// `GroupRequestDetail`.
pub fn group_request(lookup: &Lookup, r: &GroupRequest) -> Json {
    let tags = |t: &[String]| Json::strings(t);
    Obj::new()
        .s("id", &r.id)
        .s("status", wire::status(r.status))
        .s("requested_group_name", &r.requested_group_name)
        .s(
            "requested_group_description",
            &r.requested_group_description,
        )
        .s(
            "requested_group_type",
            wire::group_type(r.requested_group_type),
        )
        .os("requested_app_id", r.requested_app_id.as_deref())
        .v("requested_group_tags", tags(&r.requested_group_tags))
        .ot(
            "requested_ownership_ending_at",
            r.requested_ownership_ending_at,
        )
        .s("request_reason", &r.request_reason)
        .os("resolved_group_name", r.resolved_group_name.as_deref())
        .os(
            "resolved_group_description",
            r.resolved_group_description.as_deref(),
        )
        .os(
            "resolved_group_type",
            r.resolved_group_type.map(wire::group_type),
        )
        .os("resolved_app_id", r.resolved_app_id.as_deref())
        .v(
            "resolved_group_tags",
            tags(r.resolved_group_tags.as_deref().unwrap_or_default()),
        )
        .ot(
            "resolved_ownership_ending_at",
            r.resolved_ownership_ending_at,
        )
        .s("resolution_reason", &r.resolution_reason)
        .ot("resolved_at", r.resolved_at)
        .os("approved_group_id", r.approved_group_id.as_deref())
        .t("created_at", r.created_at)
        .t("updated_at", r.updated_at)
        .ov_ref(
            "requester",
            lookup.user_json(Some(&r.requester_user_id), false),
        )
        .ov_ref(
            "resolver",
            lookup.user_json(r.resolver_user_id.as_deref(), false),
        )
        .done()
}
