//! The authentication layer of `/mcp`: binds the caller and request metadata
//! to the request, or answers 401 (with the RFC 9728 pointer), 429 (rate
//! limits) or 403 (the insufficient-scope challenge of protocol 2026-07-28).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::prm::{ResourceInfo, prm_url};
use super::ratelimit::Limits;
use crate::auth::{Authenticator, Outcome};
use crate::capabilities::scope_error;
use crate::mcp::{HostState, RequestMeta};
use crate::metrics::{Limit, Metrics, Reason};

pub struct AuthLayer {
    pub auth: Arc<Authenticator>,
    pub metrics: Option<Arc<Metrics>>,
    pub limits: Arc<Limits>,
    pub resource: Arc<ResourceInfo>,
    pub host: Arc<HostState>,
}

fn header_text<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The client IP as Access takes it: the first `X-Forwarded-For` entry, else
/// `X-Real-IP`, else the socket peer.
fn client_ip(req: &Request) -> Option<String> {
    if let Some(first) = header_text(req, "x-forwarded-for").and_then(|v| v.split(',').next()) {
        let first = first.trim();
        if !first.is_empty() {
            return Some(first.to_string());
        }
    }
    if let Some(real) = header_text(req, "x-real-ip").filter(|v| !v.trim().is_empty()) {
        return Some(real.trim().to_string());
    }
    peer_ip(req).map(|ip| ip.to_string())
}

fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn count_limited(layer: &AuthLayer, limit: &'static str) {
    if let Some(m) = &layer.metrics {
        m.rate_limited.get_or_create(&Limit { limit }).inc();
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
    let prm = prm_url(&layer.resource.resource(req.headers()));
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        r#"{"message":"Unauthorized"}"#.into(),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        r#"Bearer realm="access", resource_metadata="{prm}""#
    )) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub async fn authenticate(
    State(layer): State<Arc<AuthLayer>>,
    mut req: Request,
    next: Next,
) -> Response {
    // Refuse an IP that keeps failing before doing any JWT work for it. Keyed
    // on the socket peer (headers are the client's to forge).
    let peer = peer_ip(&req);
    if let Some(ip) = peer
        && let Some(wait) = layer.limits.ip_blocked(ip)
    {
        count_limited(&layer, "auth_failures");
        return too_many(wait);
    }
    let outcome = match layer.auth.authenticate(req.headers()).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "cannot authenticate: database error");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"message":"Service Unavailable: the database cannot be reached"}"#.into(),
            );
        }
    };
    let caller = match outcome {
        Outcome::Authenticated(c) => c,
        Outcome::Unauthenticated(reason) => {
            tracing::info!(reason, "unauthenticated /mcp request");
            if let Some(m) = &layer.metrics {
                m.auth_failures.get_or_create(&Reason { reason }).inc();
            }
            if let Some(ip) = peer
                && let Some(wait) = layer.limits.record_failure(ip)
            {
                count_limited(&layer, "auth_failures");
                return too_many(wait);
            }
            return unauthorized(&layer, &req);
        }
    };
    if let Err(wait) = layer.limits.check_user(&caller.user_id) {
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
        && let Some(route) = registry.tools.get(tool)
        && let Some(scope) = route.descriptor.required_scope.as_deref()
        && !caller.has_scope(scope)
    {
        let prm = prm_url(&layer.resource.resource(req.headers()));
        let body = serde_json::json!({"error": "insufficient_scope", "error_description": scope_error(scope)});
        let mut r = json_response(StatusCode::FORBIDDEN, body.to_string());
        let challenge = format!(
            r#"Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{prm}""#
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return r;
    }
    let request_id = header_text(&req, "x-request-id")
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(String::from)
        .unwrap_or_else(new_request_id);
    let meta = RequestMeta {
        id: Arc::from(request_id.as_str()),
        user_agent: header_text(&req, header::USER_AGENT.as_str()).map(Arc::from),
        ip: client_ip(&req).map(|ip| Arc::from(ip.as_str())),
    };
    req.extensions_mut().insert(Arc::new(caller));
    req.extensions_mut().insert(meta);
    next.run(req).await
}
