//! Capabilities: what a plugin may be granted besides the host's own `log` and
//! `clock`. In the shape of Spin's factors, each capability is one value that
//! owns its configuration (its own clap arguments, parsed by the binary that
//! composes it), adds the WIT interfaces it serves to a plugin's linker, builds
//! per-call state from the caller the host bound, and answers readiness and
//! metrics. The host knows capabilities only through [`Capability`]; a binary
//! composes them: `Host::new(cfg).with(capability)`.

mod builtin;

use std::any::Any;
use std::sync::Arc;

use wasmtime::component::Linker;

use crate::auth::directory::UserDirectory;
pub use crate::future::BoxFuture;
use crate::sandbox::state::{CallContext, CallState, CallStateSource, CallStates};

/// Adds one interface's imports to a plugin's linker.
pub type LinkFn = fn(&mut Linker<CallState>) -> wasmtime::Result<()>;

/// How a plugin comes to be allowed an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Only when its manifest grants it.
    Manifest,
    /// Always (the host's own log and clock).
    Always,
    /// Always, and not listed as a capability: an interface of types only.
    Types,
}

/// One WIT interface a capability serves.
pub struct Interface {
    /// Interface name without version, as manifests write it.
    pub name: &'static str,
    /// What granting it lets a plugin do (for operators and the audit report).
    pub summary: &'static str,
    pub grant: Grant,
    pub link: LinkFn,
}

/// One named readiness check (`/readyz` shows `name: ok | unavailable`).
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
}

/// A host capability.
pub trait Capability: Send + Sync + 'static {
    /// Short name, for logs and the audit report.
    fn name(&self) -> &'static str;

    /// The interfaces it serves.
    fn interfaces(&self) -> &'static [Interface];

    /// The scopes its tools and imports check; a tool may require only a scope
    /// some capability declares.
    fn scopes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Per-call state for its imports, built for each plugin call from the
    /// bound caller (also while a plugin is loading: then the context says so
    /// and the state must allow nothing).
    fn call_state(&self, _call: &CallContext) -> Option<Box<dyn Any + Send>> {
        None
    }

    /// Who a verified email is, when this capability keeps the users.
    fn user_directory(&self) -> Option<Arc<dyn UserDirectory>> {
        None
    }

    /// Readiness checks of what it depends on.
    fn ready(&self) -> BoxFuture<'_, Vec<Check>> {
        Box::pin(async { Vec::new() })
    }

    /// Register its metric families (called once, when metrics are on).
    fn register_metrics(&self, _registry: &mut prometheus_client::registry::Registry) {}

    /// Bring its gauges up to date just before the metrics are rendered.
    fn refresh_metrics(&self) {}

    /// Whether several replicas would share its data (then spent
    /// confirmations and rate limits should be shared too, through Redis).
    fn shared_by_replicas(&self) -> bool {
        false
    }

    /// Key-value pairs for the startup log line.
    fn describe(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// The capabilities a host serves, its own built-in one first.
#[derive(Clone)]
pub struct Capabilities {
    all: Vec<Arc<dyn Capability>>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            all: vec![Arc::new(builtin::Builtin)],
        }
    }
}

impl Capabilities {
    /// Add one; its interface names must be new.
    pub fn with(mut self, capability: Arc<dyn Capability>) -> Self {
        self.all.push(capability);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Capability>> {
        self.all.iter()
    }

    /// Every interface served, with the capability serving it.
    pub fn interfaces(&self) -> impl Iterator<Item = (&dyn Capability, &'static Interface)> {
        self.all
            .iter()
            .flat_map(|c| c.interfaces().iter().map(move |i| (c.as_ref(), i)))
    }

    /// The interface of this (unversioned) name.
    pub fn find(&self, name: &str) -> Option<&'static Interface> {
        self.interfaces().map(|(_, i)| i).find(|i| i.name == name)
    }

    /// The interfaces every plugin gets, whatever its manifest says.
    pub fn always_granted(&self) -> impl Iterator<Item = &'static Interface> {
        self.interfaces()
            .map(|(_, i)| i)
            .filter(|i| i.grant != Grant::Manifest)
    }

    /// Every scope some capability declares, sorted, each once.
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> =
            self.all.iter().flat_map(|c| c.scopes()).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The first capability's user directory, if any keeps users.
    pub fn user_directory(&self) -> Option<Arc<dyn UserDirectory>> {
        self.all.iter().find_map(|c| c.user_directory())
    }

    /// Every capability's readiness checks.
    pub async fn ready(&self) -> Vec<Check> {
        let mut out = Vec::new();
        for c in &self.all {
            out.extend(c.ready().await);
        }
        out
    }

    pub fn shared_by_replicas(&self) -> bool {
        self.all.iter().any(|c| c.shared_by_replicas())
    }
}

impl CallStateSource for Capabilities {
    /// Every capability's state for one call.
    fn call_states(&self, call: &CallContext) -> CallStates {
        CallStates::new(self.all.iter().filter_map(|c| c.call_state(call)).collect())
    }
}

/// Interface name of an import such as `example:kv/store@0.1.0` without its version.
pub fn unversioned(import: &str) -> &str {
    import.split('@').next().unwrap_or(import)
}
