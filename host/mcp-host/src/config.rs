//! The host's settings: every one a flag and an environment variable, so the
//! server starts with no flags. Each module owns its own settings (`auth`,
//! `sandbox`, `plugins::signature`, `http::serve`); this is where they are
//! composed. A capability's settings are its own (the binary flattens them
//! beside these).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Settings of the host's `serve`.
#[derive(Debug, Clone, Args)]
pub struct HostConfig {
    /// Address to listen on (loopback by default).
    #[arg(long, env = "ACCESS_MCP_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Folder of plugins: each `NAME.toml` manifest beside its component.
    #[arg(long, env = "ACCESS_MCP_PLUGINS_DIR", default_value = "target/plugins")]
    pub plugins_dir: PathBuf,

    /// Hot reload: how often the plugins folder is checked for added, replaced
    /// or removed plugins, in milliseconds; 0 turns it off (SIGHUP still reloads).
    #[arg(long, env = "ACCESS_MCP_PLUGINS_POLL_MS", default_value_t = 1000)]
    pub plugins_poll_ms: u64,

    /// Folder for compiled components, keyed by content hash and engine.
    /// Default: `$XDG_CACHE_HOME/access-mcp` or `~/.cache/access-mcp`.
    #[arg(long, env = "ACCESS_MCP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    #[command(flatten)]
    pub sandbox: crate::sandbox::SandboxConfig,

    #[command(flatten)]
    pub auth: crate::auth::AuthConfig,

    #[command(flatten)]
    pub signatures: crate::plugins::SignatureConfig,

    /// Keep legacy MCP sessions (Mcp-Session-Id, SSE) for protocol versions before
    /// 2026-07-28. Off by default: every request is stateless, so replicas need
    /// no session affinity.
    #[arg(long, env = "ACCESS_MCP_STATEFUL", default_value_t = false)]
    pub stateful: bool,

    /// Comma list of accepted Host header patterns (`host`, `host:port`, `host:*`).
    /// Empty: no Host/Origin check, except loopback-only while the dev identity is on.
    #[arg(long, env = "MCP_ALLOWED_HOSTS", default_value = "")]
    pub allowed_hosts: String,

    /// Comma list of accepted `Origin` values (`https://app.example.com`,
    /// `http://localhost:*`); any other Origin is refused when the Host check is on.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", default_value = "")]
    pub allowed_origins: String,

    /// The canonical public URL of `/mcp`, for the protected-resource metadata.
    #[arg(long, env = "MCP_RESOURCE_URL")]
    pub resource_url: Option<String>,

    /// On SIGTERM, how long calls in flight may take to finish before exit.
    #[arg(long, env = "ACCESS_MCP_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Serve Prometheus metrics at /metrics.
    #[arg(long, env = "ACCESS_MCP_METRICS", default_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub metrics: bool,

    /// Confirmation before writes: `off`, `when-supported` (ask clients that
    /// support elicitation) or `required` (also refuse writes from clients that
    /// cannot be asked).
    #[arg(long, env = "MCP_WRITE_CONFIRMATION", value_enum,
          default_value_t = crate::confirm::ConfirmationMode::WhenSupported)]
    pub write_confirmation: crate::confirm::ConfirmationMode,

    /// How long a confirmation stays valid, in seconds.
    #[arg(long, env = "MCP_WRITE_CONFIRMATION_TTL_SECS", default_value_t = 300)]
    pub write_confirmation_ttl_secs: u64,

    /// Key (32 bytes or more) sealing the confirmation state a client echoes on
    /// its retry; give every replica the same one. Unset: a random key per process.
    #[arg(long, env = "MCP_WRITE_CONFIRMATION_KEY", hide_env_values = true)]
    pub write_confirmation_key: Option<String>,

    /// Per-user rate limit on /mcp, e.g. `120/min`; empty for none.
    #[arg(long, env = "MCP_RATE_LIMIT", default_value = "")]
    pub rate_limit: String,

    /// Failed authentications allowed per client address before its further
    /// failures are answered 429 instead of 401, e.g. `60/min`; empty for
    /// none. A request that authenticates is never refused by this limit.
    #[arg(long, env = "MCP_AUTH_FAILURE_LIMIT", default_value = "60/min")]
    pub auth_failure_limit: String,

    /// Redis URL (`redis://host:6379/0`) for the state replicas must share:
    /// spent confirmations, rate limits and authentication-failure counts.
    /// Unset: kept in this process (right for one replica only).
    #[arg(long, env = "ACCESS_MCP_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Proxies (comma list of CIDR blocks or addresses) whose
    /// `X-Forwarded-For` and `X-Forwarded-Proto` are believed. Empty: the
    /// socket peer is the client.
    #[arg(long, env = "ACCESS_MCP_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Largest request body accepted on /mcp, in bytes.
    #[arg(long, env = "ACCESS_MCP_HTTP_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    #[command(flatten)]
    pub connections: crate::http::serve::ConnLimits,
}
