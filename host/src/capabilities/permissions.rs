//! `access:directory/permissions`: who is calling, and Access's permission
//! predicates (§4) for that caller. Needs `read_all`.

use wasmtime::component::HasSelf;

use super::{Capability, host_error};
use crate::bindings::access::directory::permissions::{self as p, Host};
use crate::bindings::access_types::HostError;
use crate::caller::SCOPE_READ_ALL;
use crate::db::reads as q;
use crate::sandbox::state::CallState;

pub const CAPABILITY: Capability = Capability {
    name: "access:directory/permissions",
    summary: "learn the caller's id and evaluate Access's permission predicates for the caller (needs read_all)",
    add_to_linker: |l| p::add_to_linker::<_, HasSelf<CallState>>(l, |s| s),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

macro_rules! predicate {
    ($state:expr, |$db:ident, $user:ident| $call:expr) => {{
        $state.spend_import()?;
        let $db = match $state.db_for(SCOPE_READ_ALL) {
            Ok(db) => db,
            Err(e) => return Ok(Err(e)),
        };
        let $user = $state.ctx.caller.user_id.clone();
        Ok($call.await.map_err(|e| host_error(&$state.ctx.plugin, e)))
    }};
}

impl Host for CallState {
    async fn caller_id(&mut self) -> wasmtime::Result<String> {
        self.spend_import()?;
        Ok(self.ctx.caller.user_id.clone())
    }

    async fn is_group_owner(&mut self, group_id: String) -> HostResult<bool> {
        predicate!(self, |db, user| q::is_group_owner(&db, &user, &group_id))
    }

    async fn is_app_owner(&mut self, app_id: String) -> HostResult<bool> {
        predicate!(self, |db, user| q::is_app_owner(&db, &user, &app_id))
    }

    async fn is_access_admin(&mut self) -> HostResult<bool> {
        predicate!(self, |db, user| q::is_access_admin(&db, &user))
    }

    async fn can_manage_group(&mut self, group_id: String) -> HostResult<bool> {
        predicate!(self, |db, user| q::can_manage_group(&db, &user, &group_id))
    }
}
