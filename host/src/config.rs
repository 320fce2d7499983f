//! Server configuration: every setting is a flag and an environment variable,
//! so the server starts with no flags. Access's own variable names are kept
//! (`DATABASE_URI`, `ENV`, `CURRENT_OKTA_USER_EMAIL`, `APP_NAME`, …).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Settings of `access-mcp serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on (loopback by default).
    #[arg(long, env = "ACCESS_MCP_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// Folder of plugins: each `NAME.toml` manifest beside its component.
    #[arg(long, env = "ACCESS_MCP_PLUGINS_DIR", default_value = "target/plugins")]
    pub plugins_dir: PathBuf,

    /// Folder for compiled components, keyed by content hash and engine.
    /// Default: `$XDG_CACHE_HOME/access-mcp` or `~/.cache/access-mcp`.
    #[arg(long, env = "ACCESS_MCP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub sandbox: SandboxConfig,

    #[command(flatten)]
    pub identity: IdentityConfig,

    #[command(flatten)]
    pub directory: DirectoryConfig,

    /// Keep legacy MCP sessions (Mcp-Session-Id, SSE) for protocol versions before
    /// 2026-07-28. Off by default: every request is stateless, so replicas need
    /// no session affinity.
    #[arg(long, env = "ACCESS_MCP_STATEFUL", default_value_t = false)]
    pub stateful: bool,

    /// Comma list of accepted Host header patterns (`host`, `host:port`, `host:*`).
    #[arg(long, env = "MCP_ALLOWED_HOSTS", default_value = "")]
    pub allowed_hosts: String,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Access's database URL: `sqlite:///path/access.db`, `postgresql://…`,
    /// `postgresql+pg8000://…`. Unset: the embedded SQLite demo database.
    #[arg(long = "database-uri", env = "DATABASE_URI")]
    pub database_uri: Option<String>,

    /// Path of the embedded demo database used when `DATABASE_URI` is unset.
    /// Created with Access's schema and a demo organisation on first start.
    #[arg(
        long,
        env = "ACCESS_MCP_DEMO_DB",
        default_value = "target/access-demo.db"
    )]
    pub demo_db: PathBuf,

    /// Maximum connections in the database pool.
    #[arg(long, env = "ACCESS_MCP_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxConfig {
    /// Wall-clock deadline of one plugin call, in milliseconds.
    #[arg(long, env = "ACCESS_MCP_PLUGIN_DEADLINE_MS", default_value_t = 5000)]
    pub plugin_deadline_ms: u64,

    /// Linear-memory cap of one plugin instance, in MiB.
    #[arg(long, env = "ACCESS_MCP_PLUGIN_MEMORY_MIB", default_value_t = 64)]
    pub plugin_memory_mib: u64,

    /// Cap on the bytes one plugin call may return (text plus structured content).
    #[arg(long, env = "ACCESS_MCP_PLUGIN_OUTPUT_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub plugin_output_bytes: usize,

    /// Plugin instances that may exist at once (the pooling allocator's size);
    /// further calls wait for a free slot.
    #[arg(long, env = "ACCESS_MCP_MAX_INSTANCES", default_value_t = 256)]
    pub max_instances: u32,
}

impl SandboxConfig {
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.plugin_deadline_ms)
    }
    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.plugin_memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            plugin_deadline_ms: 5000,
            plugin_memory_mib: 64,
            plugin_output_bytes: 4 * 1024 * 1024,
            max_instances: 256,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct IdentityConfig {
    /// Access's environment: `development` and `test` enable the dev identity.
    #[arg(long = "env", env = "ENV", default_value = "development")]
    pub env: String,

    /// Email of the dev identity (a non-deleted user of the database).
    #[arg(
        long,
        env = "CURRENT_OKTA_USER_EMAIL",
        default_value = "wumpus@discord.com"
    )]
    pub current_okta_user_email: String,

    /// Allow the dev identity on a non-loopback listen address (dangerous: anyone
    /// who can reach the port acts as the dev user).
    #[arg(long, env = "ACCESS_MCP_ALLOW_DEV_ON_NETWORK", default_value_t = false)]
    pub allow_dev_on_network: bool,
}

impl IdentityConfig {
    pub fn dev_identity_enabled(&self) -> bool {
        matches!(self.env.as_str(), "development" | "test")
            && !self.current_okta_user_email.is_empty()
            && self.current_okta_user_email != "Unauthenticated"
    }
}

#[derive(Debug, Clone, Args)]
pub struct DirectoryConfig {
    /// Name of the reserved app whose owner groups' members are Access admins.
    #[arg(long, env = "APP_NAME", default_value = "Access")]
    pub app_name: String,

    /// Profile keys shown for users (comma list).
    #[arg(
        long,
        env = "USER_DISPLAY_CUSTOM_ATTRIBUTES",
        default_value = "Title,Manager"
    )]
    pub user_display_custom_attributes: String,

    /// Rows inlined per list in get_group, get_role, get_app and get_user; the
    /// totals are given beside each capped list.
    #[arg(long, env = "MCP_INLINE_LIST_LIMIT", default_value_t = 100)]
    pub inline_list_limit: u32,

    /// Group requests must carry a non-empty description.
    #[arg(long, env = "REQUIRE_DESCRIPTIONS", default_value = "false",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub require_descriptions: bool,
}

impl DirectoryConfig {
    pub fn display_attributes(&self) -> Vec<String> {
        split_list(&self.user_display_custom_attributes)
    }
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        DirectoryConfig {
            app_name: "Access".into(),
            user_display_custom_attributes: "Title,Manager".into(),
            inline_list_limit: 100,
            require_descriptions: false,
        }
    }
}

/// Split a comma list, trimming parts and dropping empty ones.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}
