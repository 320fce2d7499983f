//! The sandbox's settings: limits of one call, of all calls together, and the
//! threads they run on.

use std::time::Duration;

use clap::Args;

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
    pub budgets: super::budget::BudgetLimits,

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
            budgets: super::budget::BudgetLimits::default(),
            wasm_perfmap: false,
        }
    }
}
