//! The Access capability's settings, with Access's own variable names
//! (`DATABASE_URI`, `APP_NAME`, `USER_DISPLAY_CUSTOM_ATTRIBUTES`,
//! `REQUIRE_DESCRIPTIONS`, …). The binary flattens [`AccessConfig`] beside the
//! host's settings.

use std::path::PathBuf;

use clap::Args;
use mcp_host::comma_list::split_list;

/// Every setting of the Access capability.
#[derive(Debug, Clone, Args)]
pub struct AccessConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub directory: DirectoryConfig,
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
