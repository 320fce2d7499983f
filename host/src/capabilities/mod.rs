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

/// A database failure as the plugin (and so the client) sees it: what kind,
/// never the driver's text (SQL, hosts, file paths), which goes to the log.
fn host_error(plugin: &str, e: DbError) -> HostError {
    tracing::warn!(plugin, error = %e, "database error in host import");
    HostError::Unavailable(
        match e {
            DbError::Unavailable(_) | DbError::Connect(_) => {
                "the database is unavailable; retry later"
            }
            _ => "the database could not answer this request; the server log has the details",
        }
        .to_string(),
    )
}

impl crate::bindings::mcp::plugin::types::Host for CallState {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_reach_plugins_without_driver_text() {
        let e = host_error(
            "p",
            DbError::Query("near \"SELEC\": syntax error in SELECT secret FROM t".into()),
        );
        let HostError::Unavailable(m) = e else {
            panic!("unexpected {e:?}")
        };
        assert!(!m.contains("SELECT") && !m.contains("secret"), "{m}");
        let e = host_error("p", DbError::Unavailable("10.0.0.7:5432 refused".into()));
        let HostError::Unavailable(m) = e else {
            panic!("unexpected {e:?}")
        };
        assert!(m.contains("unavailable") && !m.contains("10.0.0.7"), "{m}");
    }
}
