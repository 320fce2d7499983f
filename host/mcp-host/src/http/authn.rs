//! The authentication layer of `/mcp`: binds the caller and request metadata
//! to the request, or answers 401 (with the RFC 9728 pointer when the resource
//! URL is known), 429 (rate limits) or 403 (the insufficient-scope challenge
//! of protocol 2026-07-28).
//!
//! - The client address is the socket peer, or what trusted proxies say
//!   (`client_addr`); it keys the failure limit and is what the audit records.
//! - The failure limit (`MCP_AUTH_FAILURE_LIMIT`) never refuses a request that
//!   authenticates: a valid user behind the same address (a proxy, an office
//!   NAT) is served while someone else's bad tokens are refused with 429.
//! - The request id is made here; a client's `X-Request-Id` is recorded
//!   beside it (`client_request_id`) when it is short and plain.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::client_addr::TrustedProxies;
use super::prm::{ResourceInfo, prm_url};
use crate::auth::{Authenticator, Outcome};
use crate::caller::{RequestMeta, scope_error};
use crate::mcp::HostState;
use crate::metrics::{Limit as LimitLabel, Metrics, Reason};
use crate::shared::{Decision, Limit, SharedState};

pub struct AuthLayer {
    pub auth: Arc<Authenticator>,
    pub metrics: Option<Arc<Metrics>>,
    pub shared: Arc<SharedState>,
    pub proxies: TrustedProxies,
    pub resource: Arc<ResourceInfo>,
    pub host: Arc<HostState>,
}

/// Longest client request id and user agent kept.
const MAX_CLIENT_REQUEST_ID: usize = 128;
const MAX_USER_AGENT: usize = 256;

fn header_text<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn peer_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn count_limited(layer: &AuthLayer, limit: &'static str) {
    if let Some(m) = &layer.metrics {
        m.rate_limited.get_or_create(&LimitLabel { limit }).inc();
    }
}

fn too_many(retry_after: u64) -> Response {
    let mut r = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        r#"{"message":"Too Many Requests"}"#.into(),
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn unauthorized(layer: &AuthLayer, req: &Request) -> Response {
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        r#"{"message":"Unauthorized"}"#.into(),
    );
    let realm = &layer.host.identity.realm;
    let challenge = match layer.resource.resource(req) {
        Some(resource) => format!(
            r#"Bearer realm="{realm}", resource_metadata="{}""#,
            prm_url(&resource)
        ),
        None => format!(r#"Bearer realm="{realm}""#),
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A client's request id, if it is short and made of plain characters.
fn client_request_id(req: &Request) -> Option<Arc<str>> {
    header_text(req, "x-request-id")
        .filter(|v| {
            (1..=MAX_CLIENT_REQUEST_ID).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map(Arc::from)
}

pub async fn authenticate(
    State(layer): State<Arc<AuthLayer>>,
    mut req: Request,
    next: Next,
) -> Response {
    let client = layer.proxies.client(peer_ip(&req), req.headers());
    let outcome = match layer.auth.authenticate(req.headers()).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "cannot authenticate");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"message":"Service Unavailable: the user directory cannot be reached"}"#.into(),
            );
        }
    };
    let metrics = layer.metrics.as_deref();
    let caller = match outcome {
        Outcome::Authenticated(c) => c,
        Outcome::Unauthenticated(reason) => {
            tracing::info!(reason, %client, "unauthenticated /mcp request");
            if let Some(m) = metrics {
                m.auth_failures.get_or_create(&Reason { reason }).inc();
            }
            let key = client.to_string();
            if let Decision::Deny(wait) =
                layer.shared.check(Limit::AuthFailures, &key, metrics).await
            {
                count_limited(&layer, "auth_failures");
                return too_many(wait);
            }
            return unauthorized(&layer, &req);
        }
    };
    if let Decision::Deny(wait) = layer
        .shared
        .check(Limit::User, &caller.user_id, metrics)
        .await
    {
        count_limited(&layer, "user");
        return too_many(wait);
    }
    // Protocol 2026-07-28 names the tool in headers: challenge a missing scope
    // before dispatch, as RFC 6750's insufficient_scope.
    let is_2026 = header_text(&req, "mcp-protocol-version") == Some("2026-07-28");
    if is_2026
        && header_text(&req, "mcp-method") == Some("tools/call")
        && let Some(tool) = header_text(&req, "mcp-name")
        && let registry = layer.host.registry()
        && let Some(scope) = registry.missing_scope(tool, &caller)
    {
        let body = serde_json::json!({"error": "insufficient_scope", "error_description": scope_error(scope)});
        let mut r = json_response(StatusCode::FORBIDDEN, body.to_string());
        let mut challenge = format!(r#"Bearer error="insufficient_scope", scope="{scope}""#);
        if let Some(resource) = layer.resource.resource(&req) {
            challenge.push_str(&format!(r#", resource_metadata="{}""#, prm_url(&resource)));
        }
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return r;
    }
    let meta = RequestMeta {
        id: Arc::from(new_request_id().as_str()),
        client_request_id: client_request_id(&req),
        // Cut to size only: it reaches the audit line JSON-encoded.
        user_agent: header_text(&req, header::USER_AGENT.as_str()).map(|ua| {
            let mut end = ua.len().min(MAX_USER_AGENT);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            Arc::from(&ua[..end])
        }),
        ip: Some(Arc::from(client.to_string().as_str())),
    };
    super::trace::record_caller(&req, &caller.user_id);
    req.extensions_mut().insert(Arc::new(caller));
    req.extensions_mut().insert(Arc::new(meta));
    next.run(req).await
}
