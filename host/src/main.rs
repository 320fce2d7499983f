//! The `access-mcp` binary: the edge where errors become exit codes.

use std::process::ExitCode;

/// mimalloc: the host allocates many short-lived JSON buffers per call, where it
/// is markedly cheaper than glibc malloc under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use access_mcp::config::ServeConfig;
use access_mcp::plugins::cli::{Outcome, PluginsCommand};

#[derive(Parser)]
#[command(
    name = "access-mcp",
    version,
    about = "MCP server for Access, with sandboxed WebAssembly tool plugins"
)]
struct Cli {
    /// Log format: `text` or `json`.
    #[arg(
        long,
        global = true,
        env = "ACCESS_MCP_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over Streamable HTTP at /mcp.
    Serve(Box<ServeConfig>),
    /// Create Access's schema and a demo organisation in a NEW database
    /// (a new SQLite file or an empty PostgreSQL database).
    Demo {
        /// Access URL of the new database, e.g. `postgresql://postgres@127.0.0.1/access_demo`.
        #[arg(long = "database-uri", env = "DATABASE_URI")]
        database_uri: String,
        /// The large synthetic organisation of the scale benchmark (10 000 users,
        /// 5 000 groups, 200 000 memberships, 20 000 requests) instead of the demo.
        #[arg(long)]
        large: bool,
    },
    /// Inspect, audit and sign the plugins of a folder (exit 0: all well,
    /// 1: could not run, 2: a plugin is refused or not validly signed).
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
}

fn init_logging(format: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,wasmtime=warn,cranelift=warn,rmcp=warn")
    });
    // Colours only for a person at a terminal: a log file or collector gets
    // plain text (and no escape sequences anyone could mistake for data).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("access-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: anyhow::Result<Outcome> = runtime.block_on(async {
        match cli.command {
            Command::Serve(cfg) => access_mcp::server::serve(*cfg).await?,
            Command::Plugins { command } => return access_mcp::plugins::cli::run(command).await,
            Command::Demo {
                database_uri,
                large,
            } => {
                use access_mcp::db::demo::{Contents, create};
                let contents = if large {
                    Contents::Large
                } else {
                    Contents::Demo
                };
                let started = std::time::Instant::now();
                create(
                    &database_uri,
                    contents,
                    &access_mcp::config::DirectoryConfig::default(),
                )
                .await?;
                eprintln!(
                    "created {contents:?} organisation in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Ok(Outcome::Ok)
    });
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("access-mcp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every flag and environment variable has its own name (clap checks the
    /// whole command tree: duplicate ids, conflicting short or long names).
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
