//! `mcp:plugin/log`: structured log records from plugins, on the `plugin`
//! target, tagged with the plugin name and request id. A plugin's text is
//! never trusted in a log line: the message, field names and values are
//! escaped ([`crate::logtext`]) and cut to size, and the records and bytes of
//! one call count against its budgets.

use wasmtime::component::HasSelf;

use crate::bindings::mcp::plugin::log::{self, Level};
use crate::bindings::v2::mcp::plugin::log as log_v2;
use crate::capability::{Grant, Interface};
use crate::logtext::escaped;
use crate::sandbox::state::CallCore;

pub const INTERFACE: Interface = Interface {
    name: "mcp:plugin/log",
    summary: "write structured log records",
    grant: Grant::Always,
    link: |l| {
        log::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)?;
        log_v2::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core)
    },
};

/// Longest message kept, in bytes.
const MAX_MESSAGE: usize = 4096;
/// Fields kept per record, and the longest name and value.
const MAX_FIELDS: usize = 32;
const MAX_FIELD_NAME: usize = 64;
const MAX_FIELD_VALUE: usize = 1024;

impl log_v2::Host for CallCore {
    async fn log(
        &mut self,
        level: log_v2::Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let level = match level {
            log_v2::Level::Trace => Level::Trace,
            log_v2::Level::Debug => Level::Debug,
            log_v2::Level::Info => Level::Info,
            log_v2::Level::Warn => Level::Warn,
            log_v2::Level::Error => Level::Error,
        };
        log::Host::log(self, level, message, fields).await
    }
}

impl log::Host for CallCore {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let size = message.len() + fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        self.spend_import()?;
        self.spend(|b| b.log(size))?;
        let plugin = &*self.ctx.plugin;
        let request_id = &*self.ctx.request.id;
        let message = escaped(&message, MAX_MESSAGE);
        let fields = fields
            .iter()
            .take(MAX_FIELDS)
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    escaped(k, MAX_FIELD_NAME),
                    escaped(v, MAX_FIELD_VALUE)
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        match level {
            Level::Trace => {
                tracing::trace!(target: "plugin", plugin, request_id, fields, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "plugin", plugin, request_id, fields, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "plugin", plugin, request_id, fields, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "plugin", plugin, request_id, fields, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "plugin", plugin, request_id, fields, "{message}")
            }
        }
        Ok(())
    }
}
