//! `access:directory/permissions`: who is calling, and Access's permission
//! predicates (§4) for that caller. Needs `read_all`.

use super::{AccessData, AccessView, host_error, view};
use crate::bindings::access::directory::permissions::{self as p, Host};
use crate::bindings::access_types::HostError;
use crate::db::reads as q;
use crate::scopes::READ_ALL as SCOPE_READ_ALL;
use mcp_host::capability::{Grant, Interface};

pub const INTERFACE: Interface = Interface {
    name: "access:directory/permissions",
    summary: "learn the caller's id and evaluate Access's permission predicates for the caller (needs read_all)",
    grant: Grant::Manifest,
    link: |l| p::add_to_linker::<_, AccessData>(l, view),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

macro_rules! predicate {
    ($state:expr, |$db:ident, $user:ident| $call:expr) => {{
        $state.call.spend_import()?;
        let $db = match $state.db_for(SCOPE_READ_ALL) {
            Ok(db) => db,
            Err(e) => return Ok(Err(e)),
        };
        let $user = $state.call.ctx.caller.user_id.clone();
        Ok($call
            .await
            .map_err(|e| host_error(&$state.call.ctx.plugin, e)))
    }};
}

impl Host for AccessView<'_> {
    async fn caller_id(&mut self) -> wasmtime::Result<String> {
        self.call.spend_import()?;
        Ok(self.call.ctx.caller.user_id.clone())
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
