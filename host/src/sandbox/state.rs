//! Per-call store state: the bound caller, the database handle, and the
//! deny-everything WASI context. Built fresh for every call (invariant 5).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::caller::Caller;
use crate::confirm::WriteGate;
use crate::db::Db;

/// What the host binds to one plugin call. Plugins cannot see or change it
/// except through the imports their manifest grants.
#[derive(Clone)]
pub struct CallContext {
    pub plugin: Arc<str>,
    pub tool: Option<Arc<str>>,
    pub caller: Arc<Caller>,
    /// `None` while a plugin is being loaded (its tools listed): no data access.
    pub db: Option<Db>,
    /// Request id of the MCP request this call serves, for logs and audit events.
    pub request_id: Arc<str>,
    /// The HTTP request's User-Agent and client IP, for audit events.
    pub user_agent: Option<Arc<str>>,
    pub ip: Option<Arc<str>>,
    /// Whether a write import may write in this call (confirmation before writes).
    pub write_gate: WriteGate,
}

impl CallContext {
    /// The context used while loading a plugin: no caller, no scopes, no database.
    pub fn loading(plugin: Arc<str>) -> Self {
        CallContext {
            plugin,
            tool: None,
            caller: Arc::new(Caller::system()),
            db: None,
            request_id: Arc::from("load"),
            user_agent: None,
            ip: None,
            write_gate: WriteGate::Open,
        }
    }
}

/// Memory limiter that records when it refused growth, so the fault can be named.
pub struct MemoryLimiter {
    pub cap_bytes: usize,
    pub exceeded: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap_bytes {
            self.exceeded = true;
            return Err(wasmtime::format_err!(
                "memory cap of {} MiB exceeded",
                self.cap_bytes / (1024 * 1024)
            ));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub ctx: CallContext,
}

impl CallState {
    pub fn new(ctx: CallContext, memory_cap: usize) -> Self {
        // Nothing granted: no preopens, no env, no args, no network, null stdio.
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                cap_bytes: memory_cap,
                exceeded: false,
            },
            ctx,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
