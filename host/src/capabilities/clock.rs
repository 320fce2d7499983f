//! `mcp:plugin/clock`: the current time, from the host.

use wasmtime::component::HasSelf;

use super::Capability;
use crate::bindings::mcp::plugin::clock::{self, Timestamp};
use crate::sandbox::state::CallState;

pub const CAPABILITY: Capability = Capability {
    name: "mcp:plugin/clock",
    summary: "read the current time",
    add_to_linker: |l| clock::add_to_linker::<_, HasSelf<CallState>>(l, |s| s),
};

impl clock::Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<Timestamp> {
        self.spend_import()?;
        Ok(crate::db::time::to_wit(crate::db::time::now()))
    }
}
