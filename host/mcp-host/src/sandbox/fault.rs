//! How a plugin call can fail, named so operators and clients can tell why.

/// A fault of one plugin call. It fails that call only.
#[derive(Debug, thiserror::Error)]
pub enum PluginFault {
    #[error("plugin `{plugin}` trapped: {detail}")]
    Trap { plugin: String, detail: String },
    #[error("plugin `{plugin}` exceeded its deadline of {ms} ms")]
    Deadline { plugin: String, ms: u64 },
    #[error("plugin `{plugin}` exceeded its memory cap of {mib} MiB")]
    Memory { plugin: String, mib: u64 },
    #[error("plugin `{plugin}` returned {bytes} bytes, over the output cap of {cap} bytes")]
    OutputTooLarge {
        plugin: String,
        bytes: usize,
        cap: usize,
    },
    #[error("plugin `{plugin}` returned malformed output: {detail}")]
    MalformedOutput { plugin: String, detail: String },
    #[error("plugin `{plugin}` could not be started: {detail}")]
    Instantiate { plugin: String, detail: String },
    /// Over one of the per-call budgets (the message names plugin, budget and limit).
    #[error("{0}")]
    Budget(super::budget::BudgetExceeded),
    /// The host has no capacity for this call now; retrying later may succeed.
    #[error("the server is busy ({detail}); nothing was done, retry shortly")]
    Busy { detail: String },
    /// Not a fault: the run ended to ask the client (sampling, elicitation);
    /// the host asks, then runs the call again ([`crate::client_link`]).
    #[error("plugin `{plugin}` is waiting for the client's answer")]
    NeedsInput { plugin: String },
}

impl PluginFault {
    /// A short stable name of the fault kind (for logs and metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            PluginFault::Trap { .. } => "trap",
            PluginFault::Deadline { .. } => "deadline",
            PluginFault::Memory { .. } => "memory",
            PluginFault::OutputTooLarge { .. } => "output_cap",
            PluginFault::MalformedOutput { .. } => "malformed_output",
            PluginFault::Instantiate { .. } => "instantiate",
            PluginFault::Budget(_) => "budget",
            PluginFault::Busy { .. } => "busy",
            PluginFault::NeedsInput { .. } => "needs_input",
        }
    }
}
