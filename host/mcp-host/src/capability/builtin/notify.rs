//! `mcp:plugin/notify` (contract 0.2, granted by the manifest): log messages
//! and progress to the client during a tool call, through the call's
//! [`ClientLink`](crate::client_link::ClientLink), which filters by the
//! client's level and bounds them per call. Each counts as a host import.

// Logging is deprecated by SEP-2577 (rmcp marks its types), but clients of
// every protocol this host serves still use it.
#![allow(deprecated)]

use wasmtime::component::HasSelf;

use crate::bindings::v2::mcp::plugin::notify::{self, LogLevel};
use crate::capability::{Grant, Interface};
use crate::client_link::Delivery;
use crate::sandbox::state::CallCore;

pub const INTERFACE: Interface = Interface {
    name: "mcp:plugin/notify",
    summary: "send log messages and progress to the client, and updates of its resources to subscribed sessions, during a tool call (bounded per call)",
    grant: Grant::Manifest,
    link: |l| notify::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core),
};

#[allow(deprecated)]
fn level(level: LogLevel) -> rmcp::model::LoggingLevel {
    use rmcp::model::LoggingLevel as L;
    match level {
        LogLevel::Debug => L::Debug,
        LogLevel::Info => L::Info,
        LogLevel::Notice => L::Notice,
        LogLevel::Warning => L::Warning,
        LogLevel::Error => L::Error,
        LogLevel::Critical => L::Critical,
        LogLevel::Alert => L::Alert,
        LogLevel::Emergency => L::Emergency,
    }
}

fn delivered(d: Delivery) -> bool {
    matches!(d, Delivery::Sent | Delivery::AlreadySent)
}

impl notify::Host for CallCore {
    async fn log_message(
        &mut self,
        level_: LogLevel,
        logger: Option<String>,
        data: String,
    ) -> wasmtime::Result<bool> {
        self.spend_import()?;
        let link = self.ctx.client.clone();
        let d = link
            .log_message(&self.ctx.plugin, level(level_), logger, data)
            .await;
        Ok(delivered(d))
    }

    async fn resource_updated(&mut self, uri: String) -> wasmtime::Result<bool> {
        self.spend_import()?;
        let link = self.ctx.client.clone();
        Ok(delivered(
            link.resource_updated(&self.ctx.plugin, &uri).await,
        ))
    }

    async fn progress(
        &mut self,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    ) -> wasmtime::Result<bool> {
        self.spend_import()?;
        let link = self.ctx.client.clone();
        let d = link
            .progress(&self.ctx.plugin, progress, total, message)
            .await;
        Ok(delivered(d))
    }
}
