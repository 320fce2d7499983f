//! The `access-mcp` binary: the generic MCP host with the Access capability
//! composed in (`Host::new(host).with(Access)`), and the edge where errors
//! become exit codes.

use std::process::ExitCode;

/// mimalloc: the host allocates many short-lived JSON buffers per call, where it
/// is markedly cheaper than glibc malloc under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use mcp_host::telemetry::{self, LogFormat};

use access::{Access, AccessConfig, AccessContract};
use clap::Args;
use mcp_host::config::HostConfig;
use mcp_host::plugins::cli::{Outcome, PluginsCommand};
use mcp_host::{Capabilities, Host, Identity};

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
    Serve(Box<ServeArgs>),
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
    /// The database: `db indexes` prints the indexes this server's queries rely
    /// on that the database lacks (exit 0: none missing, 2: some missing);
    /// `--apply` creates them.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Inspect, audit and sign the plugins of a folder (exit 0: all well,
    /// 1: could not run, 2: a plugin is refused or not validly signed).
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// The recommended indexes the database lacks, as `CREATE INDEX` statements.
    Indexes {
        #[command(flatten)]
        database: access::DatabaseConfig,
        /// Create the missing indexes (on a large table this takes a while and
        /// locks writes to it on PostgreSQL; run it when that is acceptable).
        #[arg(long)]
        apply: bool,
    },
}

/// `db indexes`: print what is missing (exit 2), or create it with `--apply`.
async fn db_indexes(database: access::DatabaseConfig, apply: bool) -> anyhow::Result<Outcome> {
    use access::db::indexes;
    let db = access::db::Db::connect(&database, &access::DirectoryConfig::default()).await?;
    let missing = indexes::missing(&db).await?;
    if missing.is_empty() {
        println!("-- every index this server's queries rely on is present");
        return Ok(Outcome::Ok);
    }
    if apply {
        indexes::create(&db, &missing).await?;
        for r in &missing {
            println!("{}", r.create);
        }
        println!("-- created {} index(es)", missing.len());
        return Ok(Outcome::Ok);
    }
    println!("-- missing: {}", indexes::COST);
    for r in &missing {
        println!("{}", r.create);
    }
    Ok(Outcome::Problems)
}

/// `serve`: the host's settings and the Access capability's, side by side.
#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    host: HostConfig,
    #[command(flatten)]
    access: AccessConfig,
}

/// How this server names itself.
fn identity() -> Identity {
    Identity {
        server_name: "Access".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        realm: "access".into(),
        metrics_prefix: "access_mcp".into(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let access = Access::connect(&args.access).await?;
    Host::new(args.host)
        .named(identity())
        .with(access)
        .serve()
        .await?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = if cli.log_format == "json" {
        LogFormat::Json
    } else {
        LogFormat::Text
    };
    let telemetry = telemetry::init(
        format,
        "info,sqlx=warn,wasmtime=warn,cranelift=warn,rmcp=warn",
        "access-mcp",
        env!("CARGO_PKG_VERSION"),
    );
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
            Command::Serve(args) => serve(*args).await?,
            Command::Plugins { command } => {
                let capabilities =
                    Capabilities::default().with(std::sync::Arc::new(AccessContract));
                return mcp_host::plugins::cli::run(command, &capabilities).await;
            }
            Command::Db {
                command: DbCommand::Indexes { database, apply },
            } => return db_indexes(database, apply).await,
            Command::Demo {
                database_uri,
                large,
            } => {
                use access::db::demo::{Contents, create};
                let contents = if large {
                    Contents::Large
                } else {
                    Contents::Demo
                };
                let started = std::time::Instant::now();
                create(&database_uri, contents, &access::DirectoryConfig::default()).await?;
                eprintln!(
                    "created {contents:?} organisation in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Ok(Outcome::Ok)
    });
    let code = match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("access-mcp: {e:#}");
            ExitCode::FAILURE
        }
    };
    // The exporter's client blocks: send the last spans outside the runtime.
    drop(runtime);
    telemetry.shutdown();
    code
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
