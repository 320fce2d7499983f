//! The host's own capability: `mcp:plugin/log` and `mcp:plugin/clock`, which
//! every plugin gets, the type-only `mcp:plugin/types`, and the client-facing
//! `mcp:plugin/notify`, `/sampling` and `/elicitation` (contract 0.2), which
//! a plugin gets only when its manifest grants them. Their state is the
//! call's core ([`CallCore`]): the bound context and the budgets.

mod asks;
mod clock;
mod elicitation;
mod log;
mod notify;
mod sampling;

use wasmtime::component::HasSelf;

use crate::bindings::mcp::plugin::types;
use crate::bindings::v2::mcp::plugin::types as types_v2;
use crate::capability::{Capability, Grant, Interface};
use crate::sandbox::state::CallCore;

pub struct Builtin;

const INTERFACES: &[Interface] = &[
    log::INTERFACE,
    clock::INTERFACE,
    notify::INTERFACE,
    sampling::INTERFACE,
    elicitation::INTERFACE,
    Interface {
        name: "mcp:plugin/types",
        summary: "the contract's types (no functions)",
        grant: Grant::Types,
        link: |l| {
            types::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)?;
            types_v2::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)
        },
    },
];

impl Capability for Builtin {
    fn name(&self) -> &'static str {
        "mcp"
    }

    fn interfaces(&self) -> &'static [Interface] {
        INTERFACES
    }
}

impl types::Host for CallCore {}
impl types_v2::Host for CallCore {}
