//! Engine configuration: compiled once per process, shared by every plugin.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::sandbox::SandboxConfig;

/// How often the epoch advances; deadlines are checked at this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

pub fn build_engine(cfg: &SandboxConfig) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    let slots = cfg.max_instances.max(1);
    pool.total_component_instances(slots);
    // A Rust wasip2 component has a handful of core instances and one or two memories.
    pool.max_core_instances_per_component(32);
    pool.total_core_instances(slots.saturating_mul(8));
    pool.max_memories_per_component(4);
    pool.total_memories(slots.saturating_mul(2));
    pool.max_tables_per_component(8);
    pool.total_tables(slots.saturating_mul(4));
    pool.max_memory_size(cfg.memory_bytes());
    pool.total_stacks(slots);
    // Reset a freed slot's first pages with memset rather than madvise, so the
    // next instance does not page-fault them back in (the hot path of a call);
    // with PAGEMAP_SCAN (Linux 6.7+, else ignored) only the pages the call
    // dirtied are reset, rather than every accessible page up to that size.
    pool.linear_memory_keep_resident(4 << 20);
    pool.table_keep_resident(64 << 10);
    pool.pagemap_scan(Enabled::Auto);

    let mut config = Config::new();
    config.epoch_interruption(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.max_wasm_stack(1 << 20);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    if cfg.wasm_perfmap {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config)
}

/// Advance the engine's epoch every [`EPOCH_TICK`] for the life of the process.
pub fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .ok();
}
