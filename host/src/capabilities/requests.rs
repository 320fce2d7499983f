//! `access:directory/requests`: the three request operations. Each is a whole
//! host operation (`db::writes`) that re-checks `create_requests` and the
//! permission it needs on the caller bound to the call, runs in one
//! transaction, and writes its audit events with the plugin and tool. A tool
//! call may ask for one write operation, whatever the confirmation mode: a
//! second ends the call before it reaches the database.

use wasmtime::component::HasSelf;

use super::Capability;
use crate::audit::AuditContext;
use crate::bindings::access::directory::requests::{self as rq, Host};
use crate::bindings::access_types::{self as t, HostError};
use crate::caller::SCOPE_CREATE_REQUESTS;
use crate::db::writes::{self, WriteContext, WriteError, WriteSettings};
use crate::sandbox::state::CallState;

pub const CAPABILITY: Capability = Capability {
    name: "access:directory/requests",
    summary: "file access, role and group requests as the caller (needs create_requests)",
    add_to_linker: |l| rq::add_to_linker::<_, HasSelf<CallState>>(l, |s| s),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

impl CallState {
    fn audit_context(&self) -> AuditContext {
        AuditContext {
            plugin: self.ctx.plugin.to_string(),
            tool: self.ctx.tool.as_deref().map(String::from),
            request_id: self.ctx.request_id.to_string(),
            client_request_id: self.ctx.client_request_id.as_deref().map(String::from),
            user_agent: self.ctx.user_agent.as_deref().map(String::from),
            ip: self.ctx.ip.as_deref().map(String::from),
        }
    }
}

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
        $state.spend_import()?;
        $state.spend(|b| b.write())?;
        let $db = match $state.db_for(SCOPE_CREATE_REQUESTS) {
            Ok(db) => db,
            Err(e) => return Ok(Err(e)),
        };
        let caller = $state.ctx.caller.clone();
        let $w = WriteContext {
            caller: &caller,
            audit: $state.audit_context(),
            settings: WriteSettings {
                require_descriptions: $db.settings().require_descriptions,
            },
            gate: &$state.ctx.write_gate,
        };
        let plugin = $state.ctx.plugin.clone();
        Ok($call.await.map_err(|e| to_host_error(&plugin, e)))
    }};
}

impl Host for CallState {
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
