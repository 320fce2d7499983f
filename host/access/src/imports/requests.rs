//! `access:directory/requests`: the three request operations. The import
//! checks `create_requests` on the caller bound to the call (the boundary);
//! each operation (`crate::requests`) checks the permission it needs, runs in
//! one transaction, and writes its audit events with the plugin and tool. A tool
//! call may ask for one write operation, whatever the confirmation mode: a
//! second ends the call before it reaches the database.

use super::{AccessData, AccessView, view};
use crate::bindings::access::directory::requests::{self as rq, Host};
use crate::bindings::access_types::{self as t, HostError};
use crate::requests::{self as writes, WriteContext, WriteError, WriteSettings};
use crate::scopes::CREATE_REQUESTS as SCOPE_CREATE_REQUESTS;
use mcp_host::capability::{Grant, Interface};

pub const INTERFACE: Interface = Interface {
    name: "access:directory/requests",
    summary: "file access, role and group requests as the caller (needs create_requests)",
    grant: Grant::Manifest,
    link: |l| rq::add_to_linker::<_, AccessData>(l, view),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

fn to_host_error(plugin: &str, e: WriteError) -> HostError {
    match e {
        WriteError::Denied(m) => HostError::Denied(m),
        WriteError::NotFound(m) => HostError::NotFound(m),
        WriteError::Invalid(m) => HostError::Invalid(m),
        WriteError::Db(e) => super::host_error(plugin, e),
        WriteError::Unconfirmed(r) => HostError::Denied(r.to_string()),
    }
}

/// Bind the database after the scope check, and build the write context.
macro_rules! write_op {
    ($state:expr, |$db:ident, $w:ident| $call:expr) => {{
        $state.call.spend_import()?;
        $state.call.spend(|b| b.write())?;
        let $db = match $state.db_for(SCOPE_CREATE_REQUESTS) {
            Ok(db) => db,
            Err(e) => return Ok(Err(e)),
        };
        let $w = WriteContext {
            call: &$state.call.ctx,
            settings: WriteSettings {
                require_descriptions: $db.settings().require_descriptions,
            },
        };
        let plugin = $state.call.ctx.plugin.clone();
        Ok($call.await.map_err(|e| to_host_error(&plugin, e)))
    }};
}

impl Host for AccessView<'_> {
    async fn create_access_request(
        &mut self,
        input: rq::AccessRequestInput,
    ) -> HostResult<t::AccessRequest> {
        write_op!(self, |db, w| writes::create_access_request(&db, &w, &input))
    }

    async fn create_role_request(
        &mut self,
        input: rq::RoleRequestInput,
    ) -> HostResult<t::RoleRequest> {
        write_op!(self, |db, w| writes::create_role_request(&db, &w, &input))
    }

    async fn create_group_request(
        &mut self,
        input: rq::GroupRequestInput,
    ) -> HostResult<t::GroupRequest> {
        write_op!(self, |db, w| writes::create_group_request(&db, &w, &input))
    }
}
