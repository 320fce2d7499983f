//! `access:directory/reads`: typed, read-only access to the directory.
//! Every function re-checks `read_all` on the caller bound to the call, and
//! counts against the call's budgets: one host-import call each, and the rows
//! it returns (a read is refused once the row budget is spent; the rows of the
//! read that overspends it are not delivered).

use super::{AccessData, AccessView, host_error, view};
use crate::bindings::access::directory::reads::{self as r, Host};
use crate::bindings::access_types::{self as t, HostError};
use crate::db::reads as q;
use crate::scopes::READ_ALL as SCOPE_READ_ALL;
use mcp_host::capability::{Grant, Interface};

pub const INTERFACE: Interface = Interface {
    name: "access:directory/reads",
    summary: "read users, groups, roles, apps, tags, memberships, role mappings and requests (needs read_all)",
    grant: Grant::Manifest,
    link: |l| r::add_to_linker::<_, AccessData>(l, view),
};

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

/// Most ids one call may pass: far above what a tool needs (pages are at most
/// 1 000 rows), and below the engines' bound-parameter limits, so an oversized
/// list is a clear `invalid` error rather than a database failure.
pub const MAX_IDS: usize = 5_000;

/// Rows a read returned, for the row budget.
trait Rows {
    fn rows(&self) -> usize;
}

impl<T> Rows for Vec<T> {
    fn rows(&self) -> usize {
        self.len()
    }
}

impl<T> Rows for Option<T> {
    fn rows(&self) -> usize {
        usize::from(self.is_some())
    }
}

macro_rules! page_rows {
    ($($page:ty),*) => {$(
        impl Rows for $page {
            fn rows(&self) -> usize {
                self.items.len()
            }
        }
    )*};
}
page_rows!(
    r::GroupPage,
    r::UserPage,
    r::AppPage,
    r::TagPage,
    r::MembershipPage,
    r::RoleMappingPage,
    r::AccessRequestPage,
    r::RoleRequestPage,
    r::GroupRequestPage
);

impl Rows for r::GroupMemberIds {
    fn rows(&self) -> usize {
        self.members.len() + self.owners.len()
    }
}

/// The membership rows of several groups' slices.
struct Slices(Vec<r::GroupMembershipSlice>);

impl Rows for Slices {
    fn rows(&self) -> usize {
        self.0.iter().map(|s| s.items.len()).sum()
    }
}

/// Count the import and check the row budget, bind the database after the
/// scope check (and the id-list sizes), or return the refusal to the plugin.
macro_rules! read_db {
    ($state:expr $(, $len:expr)*) => {{
        $state.call.spend_import()?;
        $state.call.spend(|b| b.may_read())?;
        $(
            if $len > MAX_IDS {
                return Ok(Err(HostError::Invalid(format!(
                    "at most {MAX_IDS} ids per call, got {}",
                    $len
                ))));
            }
        )*
        match $state.db_for(SCOPE_READ_ALL) {
            Ok(db) => db,
            Err(e) => return Ok(Err(e)),
        }
    }};
}

/// Count the rows returned against the budget, and turn a database error
/// into what the plugin sees.
macro_rules! finish {
    ($state:expr, $res:expr) => {
        match $res {
            Ok(found) => {
                let n = Rows::rows(&found);
                $state.call.spend(|b| b.rows(n))?;
                Ok(Ok(found))
            }
            Err(e) => Ok(Err(host_error(&$state.call.ctx.plugin, e))),
        }
    };
}

impl Host for AccessView<'_> {
    async fn inline_list_limit(&mut self) -> wasmtime::Result<u32> {
        self.call.spend_import()?;
        Ok(self
            .state
            .db
            .as_ref()
            .map_or(100, |db| db.settings().inline_list_limit))
    }

    async fn list_groups(
        &mut self,
        filter: r::GroupFilter,
        page: t::PageRequest,
    ) -> HostResult<r::GroupPage> {
        let db = read_db!(self);
        finish!(self, q::list_groups(&db, &filter, page).await)
    }

    async fn find_group(
        &mut self,
        id_or_name: String,
        group_type: Option<t::GroupType>,
        include_deleted: bool,
    ) -> HostResult<Option<t::Group>> {
        let db = read_db!(self);
        finish!(
            self,
            q::find_group(&db, &id_or_name, group_type, include_deleted).await
        )
    }

    async fn groups_by_id(&mut self, ids: Vec<String>) -> HostResult<Vec<t::Group>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::groups_by_id(&db, &ids).await)
    }

    async fn list_users(&mut self, query: String, page: t::PageRequest) -> HostResult<r::UserPage> {
        let db = read_db!(self);
        finish!(self, q::list_users(&db, &query, page).await)
    }

    async fn find_user(
        &mut self,
        id_or_email: String,
        include_deleted: bool,
    ) -> HostResult<Option<t::User>> {
        let db = read_db!(self);
        finish!(self, q::find_user(&db, &id_or_email, include_deleted).await)
    }

    async fn users_by_id(&mut self, ids: Vec<String>) -> HostResult<Vec<t::User>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::users_by_id(&db, &ids).await)
    }

    async fn list_apps(&mut self, query: String, page: t::PageRequest) -> HostResult<r::AppPage> {
        let db = read_db!(self);
        finish!(self, q::list_apps(&db, &query, page).await)
    }

    async fn find_app(
        &mut self,
        id_or_name: String,
        include_deleted: bool,
    ) -> HostResult<Option<t::App>> {
        let db = read_db!(self);
        finish!(self, q::find_app(&db, &id_or_name, include_deleted).await)
    }

    async fn apps_by_id(&mut self, ids: Vec<String>) -> HostResult<Vec<t::App>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::apps_by_id(&db, &ids).await)
    }

    async fn app_groups(&mut self, app_ids: Vec<String>) -> HostResult<Vec<t::Group>> {
        let db = read_db!(self, app_ids.len());
        finish!(self, q::app_groups(&db, &app_ids).await)
    }

    async fn list_tags(&mut self, query: String, page: t::PageRequest) -> HostResult<r::TagPage> {
        let db = read_db!(self);
        finish!(self, q::list_tags(&db, &query, page).await)
    }

    async fn find_tag(
        &mut self,
        id_or_name: String,
        include_deleted: bool,
    ) -> HostResult<Option<t::Tag>> {
        let db = read_db!(self);
        finish!(self, q::find_tag(&db, &id_or_name, include_deleted).await)
    }

    async fn tags_by_id(&mut self, ids: Vec<String>) -> HostResult<Vec<t::Tag>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::tags_by_id(&db, &ids).await)
    }

    async fn group_tag_maps(
        &mut self,
        group_ids: Option<Vec<String>>,
        tag_ids: Option<Vec<String>>,
    ) -> HostResult<Vec<t::GroupTagMap>> {
        let db = read_db!(
            self,
            group_ids.as_ref().map_or(0, Vec::len),
            tag_ids.as_ref().map_or(0, Vec::len)
        );
        finish!(
            self,
            q::group_tag_maps(&db, group_ids.as_deref(), tag_ids.as_deref()).await
        )
    }

    async fn app_tag_maps(
        &mut self,
        app_ids: Option<Vec<String>>,
        tag_ids: Option<Vec<String>>,
    ) -> HostResult<Vec<t::AppTagMap>> {
        let db = read_db!(
            self,
            app_ids.as_ref().map_or(0, Vec::len),
            tag_ids.as_ref().map_or(0, Vec::len)
        );
        finish!(
            self,
            q::app_tag_maps(&db, app_ids.as_deref(), tag_ids.as_deref()).await
        )
    }

    async fn app_tag_maps_by_id(&mut self, ids: Vec<i64>) -> HostResult<Vec<t::AppTagMap>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::app_tag_maps_by_id(&db, &ids).await)
    }

    async fn list_memberships(
        &mut self,
        filter: r::MembershipFilter,
        page: t::PageRequest,
    ) -> HostResult<r::MembershipPage> {
        let db = read_db!(self);
        finish!(self, q::list_memberships(&db, &filter, page).await)
    }

    async fn memberships_of_groups(
        &mut self,
        group_ids: Vec<String>,
        is_owner: bool,
        limit_per_group: u32,
    ) -> HostResult<Vec<r::GroupMembershipSlice>> {
        let db = read_db!(self, group_ids.len());
        let slices = q::memberships_of_groups(&db, &group_ids, is_owner, limit_per_group)
            .await
            .map(Slices);
        let found: HostResult<Slices> = finish!(self, slices);
        found.map(|r| r.map(|s| s.0))
    }

    async fn group_members(&mut self, group_id: String) -> HostResult<r::GroupMemberIds> {
        let db = read_db!(self);
        finish!(self, q::group_members(&db, &group_id).await)
    }

    async fn list_role_mappings(
        &mut self,
        filter: r::RoleMappingFilter,
        page: t::PageRequest,
    ) -> HostResult<r::RoleMappingPage> {
        let db = read_db!(self);
        finish!(self, q::list_role_mappings(&db, &filter, page).await)
    }

    async fn role_mappings_of_roles(
        &mut self,
        role_ids: Vec<String>,
    ) -> HostResult<Vec<t::RoleMapping>> {
        let db = read_db!(self, role_ids.len());
        finish!(self, q::role_mappings_of_roles(&db, &role_ids).await)
    }

    async fn role_mappings_by_id(&mut self, ids: Vec<i64>) -> HostResult<Vec<t::RoleMapping>> {
        let db = read_db!(self, ids.len());
        finish!(self, q::role_mappings_by_id(&db, &ids).await)
    }

    async fn list_access_requests(
        &mut self,
        filter: r::RequestFilter,
        page: t::PageRequest,
    ) -> HostResult<r::AccessRequestPage> {
        let db = read_db!(self);
        finish!(self, q::list_access_requests(&db, &filter, page).await)
    }

    async fn find_access_request(&mut self, id: String) -> HostResult<Option<t::AccessRequest>> {
        let db = read_db!(self);
        finish!(self, q::find_access_request(&db, &id).await)
    }

    async fn list_role_requests(
        &mut self,
        filter: r::RequestFilter,
        page: t::PageRequest,
    ) -> HostResult<r::RoleRequestPage> {
        let db = read_db!(self);
        finish!(self, q::list_role_requests(&db, &filter, page).await)
    }

    async fn find_role_request(&mut self, id: String) -> HostResult<Option<t::RoleRequest>> {
        let db = read_db!(self);
        finish!(self, q::find_role_request(&db, &id).await)
    }

    async fn list_group_requests(
        &mut self,
        filter: r::RequestFilter,
        page: t::PageRequest,
    ) -> HostResult<r::GroupRequestPage> {
        let db = read_db!(self);
        finish!(self, q::list_group_requests(&db, &filter, page).await)
    }

    async fn find_group_request(&mut self, id: String) -> HostResult<Option<t::GroupRequest>> {
        let db = read_db!(self);
        finish!(self, q::find_group_request(&db, &id).await)
    }
}
