//! RFC 9728 protected-resource metadata (§1.4), served publicly at both
//! well-known paths, and the resource URL the 401 challenge points to.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

/// What the documents say, fixed at startup.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    /// `MCP_RESOURCE_URL`, trailing `/` removed.
    pub resource_url: Option<String>,
    pub authorization_servers: Vec<String>,
}

impl ResourceInfo {
    /// The resource URL: `MCP_RESOURCE_URL`, else `<proto>://<Host>/mcp`.
    pub fn resource(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.resource_url {
            return u.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split(',').next())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .unwrap_or("http");
        format!("{proto}://{host}/mcp")
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

pub async fn document(State(info): State<Arc<ResourceInfo>>, req: Request) -> Json<Value> {
    Json(json!({
        "resource": info.resource(req.headers()),
        "authorization_servers": info.authorization_servers,
        "scopes_supported": ["create_requests", "read_all"],
        "bearer_methods_supported": ["header"],
    }))
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
