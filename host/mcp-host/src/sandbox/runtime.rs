//! The threads plugin calls run on, apart from the ones that serve HTTP.
//!
//! A plugin call is CPU work (WebAssembly) interleaved with blocking
//! blocking work in capability imports (Access's SQLite reads run in place).
//! On the runtime
//! that accepts connections and answers `/healthz`, a few heavy calls would
//! hold every worker; here they hold only these, and HTTP keeps being
//! served: health probes, metrics, refusals (401, 429, busy) and the
//! hand-off of new calls.

use std::future::Future;

use tokio::runtime::{Builder, Handle, Runtime};

use super::fault::PluginFault;

pub struct SandboxRuntime {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl SandboxRuntime {
    /// A runtime of `threads` workers (at least one).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("sandbox")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(SandboxRuntime {
            runtime: Some(runtime),
            handle,
        })
    }

    /// The number of workers this machine suggests (its available parallelism).
    pub fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// Run `work` on the sandbox threads and wait for it; `plugin` names the
    /// plugin if the work panics (it never should: faults are values).
    pub async fn run<T: Send + 'static>(
        &self,
        plugin: &str,
        work: impl Future<Output = Result<T, PluginFault>> + Send + 'static,
    ) -> Result<T, PluginFault> {
        match self.handle.spawn(work).await {
            Ok(r) => r,
            Err(e) => Err(PluginFault::Trap {
                plugin: plugin.to_string(),
                detail: if e.is_panic() {
                    "the host failed while running this call".into()
                } else {
                    "the call was cancelled: the host is shutting down".into()
                },
            }),
        }
    }
}

impl Drop for SandboxRuntime {
    fn drop(&mut self) {
        // Dropping a runtime inside another one's async context would panic.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
