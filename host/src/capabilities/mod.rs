//! Host capabilities a plugin can be granted, one module each (in the manner of
//! Spin's factors). Each knows its interface name and adds exactly its imports to
//! a plugin's linker; the loader calls only those its manifest grants.

mod clock;
mod directory;
mod log;
mod permissions;
mod requests;

use wasmtime::component::Linker;

use crate::bindings::access_types::HostError;
use crate::caller::Caller;
use crate::db::{Db, DbError};
use crate::sandbox::state::CallState;

/// One grantable host interface.
pub struct Capability {
    /// Interface name without version, as manifests write it.
    pub name: &'static str,
    /// What granting it lets a plugin do (for operators and the audit report).
    pub summary: &'static str,
    pub add_to_linker: fn(&mut Linker<CallState>) -> wasmtime::Result<()>,
}

/// Every capability the host can grant.
pub const ALL: &[Capability] = &[
    log::CAPABILITY,
    clock::CAPABILITY,
    directory::CAPABILITY,
    permissions::CAPABILITY,
    requests::CAPABILITY,
];

pub fn find(name: &str) -> Option<&'static Capability> {
    ALL.iter().find(|c| c.name == name)
}

/// Interface name of an import such as `access:directory/reads@0.1.0` without its version.
pub fn unversioned(import: &str) -> &str {
    import.split('@').next().unwrap_or(import)
}

/// The error text a missing scope produces, exactly as Access words it.
pub fn scope_error(scope: &str) -> String {
    format!("This tool requires the '{scope}' scope; the active token does not carry it.")
}

fn require_scope(caller: &Caller, scope: &str) -> Result<(), HostError> {
    if caller.has_scope(scope) {
        Ok(())
    } else {
        Err(HostError::Denied(scope_error(scope)))
    }
}

impl CallState {
    /// The database, once the caller holds `scope` (checked on every import).
    fn db_for(&self, scope: &str) -> Result<Db, HostError> {
        require_scope(&self.ctx.caller, scope)?;
        self.ctx
            .db
            .clone()
            .ok_or_else(|| HostError::Denied("no data access while a plugin is loading".into()))
    }
}

fn host_error(plugin: &str, e: DbError) -> HostError {
    tracing::warn!(plugin, error = %e, "database error in host import");
    match e {
        DbError::Unavailable(m) => HostError::Unavailable(format!("database unavailable: {m}")),
        other => HostError::Unavailable(other.to_string()),
    }
}

impl crate::bindings::mcp::plugin::types::Host for CallState {}
