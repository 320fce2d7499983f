//! The caller bound to one MCP request: who it is and which scopes its token carries.
//! Plugins never see or choose this; host imports read it from the store.

use std::collections::BTreeSet;

/// Scope that every read import (and read tool) requires.
pub const SCOPE_READ_ALL: &str = "read_all";
/// Scope that every request operation (and write tool) requires.
pub const SCOPE_CREATE_REQUESTS: &str = "create_requests";
/// Every scope this host checks; a tool may require only one of these.
pub const KNOWN_SCOPES: &[&str] = &[SCOPE_CREATE_REQUESTS, SCOPE_READ_ALL];

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
    /// so every Access import it might try is refused.
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

    /// Both v1 scopes, as the dev identity gets them.
    pub fn all_v1_scopes() -> BTreeSet<String> {
        [SCOPE_READ_ALL, SCOPE_CREATE_REQUESTS]
            .into_iter()
            .map(String::from)
            .collect()
    }
}
