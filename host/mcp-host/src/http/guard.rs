//! DNS-rebinding protection for `/mcp` (§1.5), with `MCP_ALLOWED_ORIGINS` and
//! the dev-identity hardening: while no token is needed, an empty
//! `MCP_ALLOWED_HOSTS` means loopback names only and Origins must be listed.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Default)]
pub struct HostGuard {
    /// `None`: no Host or Origin check at all (upstream's default).
    hosts: Option<Vec<String>>,
    origins: Vec<String>,
}

const LOOPBACK_HOSTS: &[&str] = &[
    "127.0.0.1",
    "127.0.0.1:*",
    "localhost",
    "localhost:*",
    "[::1]",
    "[::1]:*",
];

impl HostGuard {
    pub fn new(
        allowed_hosts: Vec<String>,
        allowed_origins: Vec<String>,
        dev_identity: bool,
    ) -> Self {
        let lower = |v: Vec<String>| {
            v.into_iter()
                .map(|s| s.to_ascii_lowercase())
                .collect::<Vec<_>>()
        };
        let hosts = if !allowed_hosts.is_empty() {
            Some(lower(allowed_hosts))
        } else if dev_identity {
            Some(LOOPBACK_HOSTS.iter().map(|s| s.to_string()).collect())
        } else {
            None
        };
        HostGuard {
            hosts,
            origins: lower(allowed_origins),
        }
    }

    pub fn active(&self) -> bool {
        self.hosts.is_some()
    }

    /// Whether `host` matches a pattern the operator listed (or, with the dev
    /// identity and no list, a loopback name); `false` when no Host check is on.
    pub fn lists(&self, host: &str) -> bool {
        self.hosts.is_some() && self.host_allowed(host)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let Some(allowed) = &self.hosts else {
            return true;
        };
        let host = host.to_ascii_lowercase();
        allowed.iter().any(|pattern| matches(pattern, &host))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.origins.iter().any(|pattern| matches(pattern, &origin))
    }
}

/// Exact match, or `name:*` against `name:<any port>`.
fn matches(pattern: &str, value: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix(":*") {
        return value
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|port| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()));
    }
    pattern == value
}

/// An Origin naming the very Host the request was sent to (already checked
/// against the allowed hosts): a page of this server's own origin, which
/// serves no pages, so nothing a rebinding attacker controls.
fn same_origin(origin: &str, host: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], message).into_response()
}

/// The guard, and `Cache-Control: no-store` on every answer of `/mcp`
/// (JSON-RPC results carry a user's data).
pub async fn check(State(guard): State<Arc<HostGuard>>, req: Request, next: Next) -> Response {
    let mut response = guarded(&guard, req, next).await;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

async fn guarded(guard: &HostGuard, req: Request, next: Next) -> Response {
    if guard.active() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let host = match host {
            Some(h) if guard.host_allowed(h) => h,
            _ => return refuse(StatusCode::MISDIRECTED_REQUEST, "Invalid Host header"),
        };
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let ok = origin
                .to_str()
                .is_ok_and(|o| same_origin(o, host) || guard.origin_allowed(o));
            if !ok {
                return refuse(StatusCode::FORBIDDEN, "Invalid Origin header");
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_same_origin_only_for_the_host_it_was_sent_to() {
        assert!(same_origin("http://127.0.0.1:8787", "127.0.0.1:8787"));
        assert!(same_origin("http://LOCALHOST:8787", "localhost:8787"));
        assert!(!same_origin("http://localhost:3000", "localhost:8787"));
        assert!(!same_origin("http://evil.example", "127.0.0.1:8787"));
        assert!(!same_origin("null", "127.0.0.1:8787"));
        assert!(!same_origin("http://127.0.0.1:8787.evil", "127.0.0.1:8787"));
    }

    #[test]
    fn patterns() {
        assert!(matches("example.com", "example.com"));
        assert!(!matches("example.com", "example.com:8080"));
        assert!(matches("example.com:*", "example.com:8080"));
        assert!(!matches("example.com:*", "example.com"));
        assert!(!matches("example.com:*", "example.com.evil:80"));
        assert!(matches("http://localhost:*", "http://localhost:3000"));
        let dev = HostGuard::new(vec![], vec![], true);
        assert!(
            dev.host_allowed("127.0.0.1:8787")
                && dev.host_allowed("LOCALHOST:1")
                && dev.host_allowed("[::1]:9")
        );
        assert!(!dev.host_allowed("attacker.example:8787"));
        assert!(!HostGuard::new(vec![], vec![], false).active());
    }
}
