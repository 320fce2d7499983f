//! Access's WIT interfaces as host imports, one module per grantable
//! interface (`reads`, `permissions`, `requests`; `types` holds only types).
//! Each import gets an [`AccessView`]: the call's core (context and budgets,
//! the host's) beside Access's per-call state (the call's database handle).
//! Every import counts against the call's budgets and checks the scope it
//! needs on the caller the host bound: the boundary, whatever the plugin's
//! tool declared.

mod permissions;
mod reads;
mod requests;

use mcp_host::caller::{Caller, scope_error};
use mcp_host::capability::{Grant, Interface};
use mcp_host::sandbox::state::{CallCore, CallState};
use wasmtime::component::HasData;

use crate::bindings::access_types::{self as t, HostError};
use crate::db::{Db, DbError};

/// The interfaces of the Access capability.
pub const INTERFACES: &[Interface] = &[
    Interface {
        name: "access:directory/types",
        summary: "Access's record types (no functions)",
        grant: Grant::Types,
        link: |l| t::add_to_linker::<_, AccessData>(l, view),
    },
    reads::INTERFACE,
    permissions::INTERFACE,
    requests::INTERFACE,
];

/// What Access's imports hold during one plugin call: the call's database
/// handle (its reads share one connection and read transaction on SQLite).
/// The default, and the state while a plugin is loading, holds none: then
/// every import is refused.
#[derive(Default)]
pub struct AccessCall {
    pub(crate) db: Option<Db>,
}

/// What an Access import sees of the call.
pub struct AccessView<'a> {
    pub call: &'a mut CallCore,
    pub state: &'a mut AccessCall,
}

/// The linker's type-level name for [`AccessView`].
pub struct AccessData;

impl HasData for AccessData {
    type Data<'a> = AccessView<'a>;
}

/// The linker getter: the call's core beside Access's state.
pub fn view(s: &mut CallState) -> AccessView<'_> {
    let (call, state) = s.split::<AccessCall>();
    AccessView { call, state }
}

impl t::Host for AccessView<'_> {}

fn require_scope(caller: &Caller, scope: &str) -> Result<(), HostError> {
    if caller.has_scope(scope) {
        Ok(())
    } else {
        Err(HostError::Denied(scope_error(scope)))
    }
}

impl AccessView<'_> {
    /// The database, once the caller holds `scope` (checked on every import).
    fn db_for(&self, scope: &str) -> Result<Db, HostError> {
        require_scope(&self.call.ctx.caller, scope)?;
        self.state
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
