//! `access:directory/requests`: the three request operations, each a whole host
//! operation that re-checks `create_requests` itself.
//!
//! The scope gate is enforced here now; the operations themselves (supersede,
//! validation, approvers, auto-approval, audit events, one transaction each)
//! are the data-layer issue's work and answer `unavailable` until then.

use wasmtime::component::HasSelf;

use super::Capability;
use crate::bindings::access::directory::requests::{self as rq, Host};
use crate::bindings::access_types::{self as t, HostError};
use crate::caller::SCOPE_CREATE_REQUESTS;
use crate::sandbox::state::CallState;

pub const CAPABILITY: Capability = Capability {
    name: "access:directory/requests",
    summary: "file access, role and group requests as the caller (needs create_requests)",
    add_to_linker: |l| rq::add_to_linker::<_, HasSelf<CallState>>(l, |s| s),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

impl CallState {
    /// The scope denial if the token lacks `create_requests`, else "not available yet".
    fn request_refusal(&self, operation: &str) -> HostError {
        match self.db_for(SCOPE_CREATE_REQUESTS) {
            Err(denied) => denied,
            Ok(_) => HostError::Unavailable(format!(
                "{operation} is not available in this build of access-mcp yet"
            )),
        }
    }
}

impl Host for CallState {
    async fn create_access_request(
        &mut self,
        _input: rq::AccessRequestInput,
    ) -> HostResult<t::AccessRequest> {
        Ok(Err(self.request_refusal("create-access-request")))
    }

    async fn create_role_request(
        &mut self,
        _input: rq::RoleRequestInput,
    ) -> HostResult<t::RoleRequest> {
        Ok(Err(self.request_refusal("create-role-request")))
    }

    async fn create_group_request(
        &mut self,
        _input: rq::GroupRequestInput,
    ) -> HostResult<t::GroupRequest> {
        Ok(Err(self.request_refusal("create-group-request")))
    }
}
