//! `mcp:plugin/clock`: the current time, from the host.

use std::time::{SystemTime, UNIX_EPOCH};

use wasmtime::component::HasSelf;

use crate::bindings::mcp::plugin::clock::{self, Timestamp};
use crate::bindings::v2::mcp::plugin::clock as clock_v2;
use crate::capability::{Grant, Interface};
use crate::sandbox::state::CallCore;

pub const INTERFACE: Interface = Interface {
    name: "mcp:plugin/clock",
    summary: "read the current time",
    grant: Grant::Always,
    link: |l| {
        clock::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)?;
        clock_v2::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)
    },
};

impl clock::Host for CallCore {
    async fn now(&mut self) -> wasmtime::Result<Timestamp> {
        self.spend_import()?;
        // Before the epoch only on a badly set clock: then the epoch itself.
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Timestamp {
            seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanoseconds: since.subsec_nanos(),
        })
    }
}

impl clock_v2::Host for CallCore {
    async fn now(&mut self) -> wasmtime::Result<clock_v2::Timestamp> {
        let t = clock::Host::now(self).await?;
        Ok(clock_v2::Timestamp {
            seconds: t.seconds,
            nanoseconds: t.nanoseconds,
        })
    }
}
