//! What the host binds to one MCP request: who is calling ([`Caller`], with the
//! scopes its token carries) and where the request came from ([`RequestMeta`]).
//! Plugins never see or choose either; host imports read them from the call's
//! store. Both travel as one `Arc` each, never copied into side structures.

use std::collections::BTreeSet;
use std::sync::Arc;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub email: String,
    pub scopes: BTreeSet<String>,
    /// The credential's expiry (Unix seconds), when it has one.
    pub expires_at: Option<u64>,
}

impl Caller {
    /// The caller used while a plugin is loaded (to list its tools): no user, no scopes,
    /// so every capability import it might try is refused.
    pub fn system() -> Self {
        Caller {
            user_id: String::new(),
            email: String::new(),
            scopes: BTreeSet::new(),
            expires_at: None,
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// The scope `required` names, when this caller lacks it (`None`: allowed).
    pub fn missing<'a>(&self, required: Option<&'a str>) -> Option<&'a str> {
        required.filter(|s| !self.has_scope(s))
    }
}

/// The error text a missing scope produces, exactly as Access words it.
pub fn scope_error(scope: &str) -> String {
    format!("This tool requires the '{scope}' scope; the active token does not carry it.")
}

/// What the HTTP layer learned about a request, carried in its extensions.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// Made by the host for this request.
    pub id: Arc<str>,
    /// The client's own `X-Request-Id`, when short and plain (recorded beside ours).
    pub client_request_id: Option<Arc<str>>,
    pub user_agent: Option<Arc<str>>,
    /// The client address (through trusted proxies only).
    pub ip: Option<Arc<str>>,
}

impl RequestMeta {
    /// A request made by the host itself (loading a plugin, a benchmark).
    pub fn internal(id: &str) -> Self {
        RequestMeta {
            id: Arc::from(id),
            client_request_id: None,
            user_agent: None,
            ip: None,
        }
    }
}
