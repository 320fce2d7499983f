//! Per-call store state: the call's core (the bound context and the
//! budgets), each capability's per-call state, and the deny-everything WASI
//! context. Built fresh for every call (invariant 5).

use std::any::Any;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::admission::MemoryLease;
use super::budget::{Budget, BudgetExceeded, BudgetLimits, CallBudget};
use crate::caller::{Caller, RequestMeta};
use crate::client_link::ClientLink;
use crate::confirm::WriteGate;

/// What the host binds to one plugin call. Plugins cannot see or change it
/// except through the imports their manifest grants.
#[derive(Clone)]
pub struct CallContext {
    pub plugin: Arc<str>,
    pub tool: Option<Arc<str>>,
    pub caller: Arc<Caller>,
    /// The MCP request this call serves, for logs and audit events.
    pub request: Arc<RequestMeta>,
    /// Whether a write import may write in this call (confirmation before writes).
    pub write_gate: WriteGate,
    /// The plugin is being loaded (its tools listed): capabilities grant no data.
    pub loading: bool,
    /// What the call may say to and ask of its client (contract 0.2's
    /// `notify`, `sampling` and `elicitation`).
    pub client: Arc<ClientLink>,
}

impl CallContext {
    /// The context used while loading a plugin: no caller, no scopes, no data.
    pub fn loading(plugin: Arc<str>) -> Self {
        CallContext {
            plugin,
            tool: None,
            caller: Arc::new(Caller::system()),
            request: Arc::new(RequestMeta::internal("load")),
            write_gate: WriteGate::Open,
            loading: true,
            client: Arc::new(ClientLink::none()),
        }
    }
}

/// What builds the per-call states of the capabilities a call may use (the
/// host's capability set), so the sandbox needs to know nothing of them.
pub trait CallStateSource: Send + Sync + 'static {
    fn call_states(&self, call: &CallContext) -> CallStates;
}

/// The capabilities' per-call states, found by type.
#[derive(Default)]
pub struct CallStates(Vec<Box<dyn Any + Send>>);

impl CallStates {
    pub fn new(states: Vec<Box<dyn Any + Send>>) -> Self {
        CallStates(states)
    }

    /// The state of type `T`. Every linked capability's state is built for
    /// every call, so it is always there; were it not, a default state (which
    /// must allow nothing) stands in rather than a panic.
    pub fn get_mut<T: Default + Send + 'static>(&mut self) -> &mut T {
        let at = match self.0.iter().position(|s| s.is::<T>()) {
            Some(i) => i,
            None => {
                self.0.push(Box::new(T::default()));
                self.0.len() - 1
            }
        };
        match self.0[at].downcast_mut::<T>() {
            Some(t) => t,
            None => unreachable!("the position found holds a T"),
        }
    }
}

/// Memory limiter: the per-instance cap, and the call's share of the
/// host-wide budget. It records why it refused growth, so the fault can be named.
pub struct MemoryLimiter {
    pub cap_bytes: usize,
    pub exceeded: bool,
    /// The host-wide budget could not cover this growth.
    pub budget_exhausted: bool,
    lease: Option<MemoryLease>,
    total_bytes: usize,
    peak_bytes: usize,
}

impl MemoryLimiter {
    pub fn new(cap_bytes: usize, lease: Option<MemoryLease>) -> Self {
        MemoryLimiter {
            cap_bytes,
            exceeded: false,
            budget_exhausted: false,
            lease,
            total_bytes: 0,
            peak_bytes: 0,
        }
    }

    /// The most linear memory this instance held at once (all its memories).
    pub fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
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
        let delta = desired.saturating_sub(current);
        if let Some(lease) = &mut self.lease
            && !lease.grow(delta)
        {
            self.budget_exhausted = true;
            return Err(wasmtime::format_err!(
                "the host's plugin memory budget is in use"
            ));
        }
        self.total_bytes = self.total_bytes.saturating_add(delta);
        self.peak_bytes = self.peak_bytes.max(self.total_bytes);
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

/// The call's core: what the host bound and what the call has spent. Every
/// import, the host's own and each capability's, counts against it.
pub struct CallCore {
    pub ctx: CallContext,
    budget: CallBudget,
    /// Set when a budget ended the call (the trap carries it too).
    pub(crate) over_budget: Option<BudgetExceeded>,
}

impl CallCore {
    /// What this call used of its budgets so far.
    pub fn budget_used(&self) -> super::budget::BudgetUse {
        self.budget.used()
    }

    /// Spend from the call's budgets; over one, the trap that ends the call.
    pub fn spend(
        &mut self,
        take: impl FnOnce(&mut CallBudget) -> Result<(), (Budget, u64)>,
    ) -> wasmtime::Result<()> {
        match take(&mut self.budget) {
            Ok(()) => Ok(()),
            Err((budget, limit)) => {
                let e = BudgetExceeded {
                    plugin: self.ctx.plugin.clone(),
                    budget,
                    limit,
                };
                self.over_budget = Some(e.clone());
                Err(wasmtime::Error::new(e))
            }
        }
    }

    /// Count one host-import call.
    pub fn spend_import(&mut self) -> wasmtime::Result<()> {
        self.spend(CallBudget::import)
    }
}

pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub core: CallCore,
    states: CallStates,
}

impl CallState {
    pub fn new(
        ctx: CallContext,
        states: CallStates,
        memory_cap: usize,
        lease: Option<MemoryLease>,
        budgets: BudgetLimits,
    ) -> Self {
        // Nothing granted: no preopens, no env, no args, no network, null stdio.
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_cap, lease),
            core: CallCore {
                ctx,
                budget: CallBudget::new(budgets),
                over_budget: None,
            },
            states,
        }
    }

    /// The call's core beside one capability's per-call state: what a
    /// capability's linker getter hands its imports.
    pub fn split<T: Default + Send + 'static>(&mut self) -> (&mut CallCore, &mut T) {
        (&mut self.core, self.states.get_mut::<T>())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Granted(Option<&'static str>);

    #[derive(Default)]
    struct Other;

    #[test]
    fn a_call_finds_each_capability_state_by_type_and_a_missing_one_allows_nothing() {
        let mut states = CallStates::new(vec![Box::new(Other), Box::new(Granted(Some("db")))]);
        assert_eq!(states.get_mut::<Granted>(), &Granted(Some("db")));
        states.get_mut::<Granted>().0 = Some("changed");
        assert_eq!(states.get_mut::<Granted>(), &Granted(Some("changed")));
        // Not built for this call (a bug): the type's default, never a panic.
        let mut empty = CallStates::default();
        assert_eq!(empty.get_mut::<Granted>(), &Granted(None));
    }

    #[test]
    fn the_loading_context_has_no_caller_and_says_it_is_loading() {
        let ctx = CallContext::loading(Arc::from("p"));
        assert!(ctx.loading && ctx.caller.scopes.is_empty() && ctx.caller.user_id.is_empty());
        // One caller, shared, not copied: cloning the context clones the Arc.
        let copy = ctx.clone();
        assert!(Arc::ptr_eq(&ctx.caller, &copy.caller) && Arc::ptr_eq(&ctx.request, &copy.request));
    }
}
