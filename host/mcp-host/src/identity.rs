//! How the host names itself: set by the binary that composes it, so nothing
//! generic carries a product's name.

/// The names a deployment shows.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `serverInfo.name` in `initialize` (e.g. "Access").
    pub server_name: String,
    /// `serverInfo.version`.
    pub version: String,
    /// The `realm` of 401 challenges (e.g. "access").
    pub realm: String,
    /// Prefix of every metric family (e.g. "access_mcp").
    pub metrics_prefix: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            server_name: "mcp-host".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            realm: "mcp".into(),
            metrics_prefix: "mcp_host".into(),
        }
    }
}
