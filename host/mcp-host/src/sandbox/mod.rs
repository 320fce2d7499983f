//! The sandbox: one wasmtime engine (pooling allocator, epoch interruption),
//! the on-disk cache of compiled components, and per-call execution with a
//! fresh instance, a deadline, a memory cap, an output cap and per-call
//! budgets, on its own threads, admitted against a host-wide memory budget.

pub mod admission;
pub mod budget;
pub mod cache;
pub mod call;
mod config;
pub mod engine;
pub mod fault;
pub mod json_check;
pub mod runtime;
pub mod state;

pub use call::Sandbox;
pub use config::SandboxConfig;
pub use fault::PluginFault;
