//! `mcp:plugin/log`: structured log records from plugins, tagged with the plugin name.

use wasmtime::component::HasSelf;

use super::Capability;
use crate::bindings::mcp::plugin::log::{self, Level};
use crate::sandbox::state::CallState;

pub const CAPABILITY: Capability = Capability {
    name: "mcp:plugin/log",
    summary: "write structured log records",
    add_to_linker: |l| log::add_to_linker::<_, HasSelf<CallState>>(l, |s| s),
};

impl log::Host for CallState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let plugin = &*self.ctx.plugin;
        let request_id = &*self.ctx.request_id;
        let message: String = message.chars().take(4096).collect();
        let fields = fields
            .iter()
            .take(32)
            .map(|(k, v)| format!("{k}={v}"))
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
