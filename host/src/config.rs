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

    /// Hot reload: how often the plugins folder is checked for added, replaced
    /// or removed plugins, in milliseconds; 0 turns it off (SIGHUP still reloads).
    #[arg(long, env = "ACCESS_MCP_PLUGINS_POLL_MS", default_value_t = 1000)]
    pub plugins_poll_ms: u64,

    /// Folder for compiled components, keyed by content hash and engine.
    /// Default: `$XDG_CACHE_HOME/access-mcp` or `~/.cache/access-mcp`.
    #[arg(long, env = "ACCESS_MCP_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub sandbox: SandboxConfig,

    #[command(flatten)]
    pub auth: crate::auth::AuthConfig,

    #[command(flatten)]
    pub signatures: crate::plugins::SignatureConfig,

    #[command(flatten)]
    pub directory: DirectoryConfig,

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

    /// SQLite only: run reads in place on the serving thread (`true`, the
    /// default) or on sqlx's connection worker threads like the writes (`false`).
    #[arg(long, env = "ACCESS_MCP_SQLITE_INLINE_READS", default_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub sqlite_inline_reads: bool,
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

    /// Total linear memory all plugin instances may hold at once, in MiB. A
    /// call reserves what its plugin needs to start and grows within what is
    /// free; growth past it ends that call as busy.
    #[arg(long, env = "ACCESS_MCP_MEMORY_BUDGET_MIB", default_value_t = 512)]
    pub memory_budget_mib: u64,

    /// Calls that may wait for an instance slot or memory; more are refused as busy.
    #[arg(long, env = "ACCESS_MCP_CALL_QUEUE", default_value_t = 256)]
    pub call_queue: usize,

    /// How long a call may wait for an instance slot or memory, in milliseconds.
    #[arg(long, env = "ACCESS_MCP_CALL_QUEUE_WAIT_MS", default_value_t = 2000)]
    pub call_queue_wait_ms: u64,

    /// Threads that run plugin calls (apart from those serving HTTP); 0: one per CPU.
    #[arg(long, env = "ACCESS_MCP_SANDBOX_THREADS", default_value_t = 0)]
    pub sandbox_threads: usize,

    #[command(flatten)]
    pub budgets: crate::sandbox::budget::BudgetLimits,

    /// Write `/tmp/perf-<pid>.map` so `perf report` names the plugins' wasm
    /// functions (for profiling; off by default).
    #[arg(long, env = "ACCESS_MCP_WASM_PERFMAP", default_value = "false",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub wasm_perfmap: bool,
}

impl SandboxConfig {
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.plugin_deadline_ms)
    }
    pub fn memory_bytes(&self) -> usize {
        mib(self.plugin_memory_mib)
    }
    pub fn memory_budget_bytes(&self) -> usize {
        mib(self.memory_budget_mib)
    }
}

fn mib(n: u64) -> usize {
    usize::try_from(n.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            plugin_deadline_ms: 5000,
            plugin_memory_mib: 64,
            plugin_output_bytes: 4 * 1024 * 1024,
            max_instances: 256,
            memory_budget_mib: 512,
            call_queue: 256,
            call_queue_wait_ms: 2000,
            sandbox_threads: 0,
            budgets: crate::sandbox::budget::BudgetLimits::default(),
            wasm_perfmap: false,
        }
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
