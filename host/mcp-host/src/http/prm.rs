//! RFC 9728 protected-resource metadata (§1.4), served publicly at both
//! well-known paths, and the resource URL the 401 challenge points to. Both
//! come from `MCP_RESOURCE_URL`, or from a `Host` the operator allowed: never
//! from an arbitrary client's `Host`.

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::client_addr::TrustedProxies;
use super::guard::HostGuard;

/// What the documents say, fixed at startup.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    /// `MCP_RESOURCE_URL`, trailing `/` removed.
    pub resource_url: Option<String>,
    pub authorization_servers: Vec<String>,
    /// Which `Host` values are the operator's (`MCP_ALLOWED_HOSTS`).
    pub hosts: Arc<HostGuard>,
    /// Whose `X-Forwarded-Proto` is believed.
    pub proxies: TrustedProxies,
    /// Every scope the host's capabilities declare, sorted.
    pub scopes_supported: Vec<&'static str>,
}

impl ResourceInfo {
    /// The resource URL: `MCP_RESOURCE_URL`, else `<proto>://<Host>/mcp` when
    /// the `Host` is one `MCP_ALLOWED_HOSTS` lists; `None` otherwise, so a
    /// client's own `Host` never chooses where other clients are sent.
    pub fn resource(&self, req: &Request) -> Option<String> {
        if let Some(u) = &self.resource_url {
            return Some(u.clone());
        }
        let host = req.headers().get(header::HOST)?.to_str().ok()?;
        if !self.hosts.lists(host) {
            return None;
        }
        let peer = req
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let proto = peer
            .and_then(|p| self.proxies.forwarded_proto(p, req.headers()))
            .unwrap_or("http");
        Some(format!("{proto}://{host}/mcp"))
    }
}

/// `/.well-known/oauth-protected-resource` in front of the resource URL's path.
pub fn prm_url(resource: &str) -> String {
    let (scheme, rest) = resource.split_once("://").unwrap_or(("https", resource));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}")
}

pub async fn document(State(info): State<Arc<ResourceInfo>>, req: Request) -> Response {
    let Some(resource) = info.resource(&req) else {
        let body = json!({
            "error": "not_found",
            "error_description": "this server's resource URL is not configured (MCP_RESOURCE_URL) and this Host is not in MCP_ALLOWED_HOSTS",
        });
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "resource": resource,
            "authorization_servers": info.authorization_servers,
            "scopes_supported": info.scopes_supported,
            "bearer_methods_supported": ["header"],
        })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::prm_url;

    #[test]
    fn prm_url_is_derived_from_the_resource() {
        assert_eq!(
            prm_url("https://access.example.com/mcp"),
            "https://access.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            prm_url("http://127.0.0.1:8787/mcp/?x=1"),
            "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
        );
    }
}
