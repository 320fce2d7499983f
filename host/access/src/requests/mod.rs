//! The three request operations of Access (§10), each a whole host operation:
//! every check of the upstream operation, then supersede + insert (+ the
//! app-owner auto-approval of app-group requests) in ONE transaction, then the
//! audit events. Unlike upstream, a failure leaves nothing half-done.
//!
//! Each operation checks the permission it needs itself, whatever the calling
//! plugin did; the `create_requests` scope is checked by the import that
//! calls it (`imports::requests`), the boundary.
//!
//! One file per job: [`access`], [`role`] and [`group`] are the operations
//! ([`app_group`]: an app owner's group request approved at once);
//! [`lookups`] the rows they check, [`approvers`] who is asked to approve,
//! [`filing`] the SQL shared by the request tables, [`summary`] the English
//! text the user confirms, [`audit_json`] the audit events' payloads.

mod access;
mod app_group;
mod approvers;
mod audit_json;
mod filing;
mod group;
mod lookups;
mod role;
mod summary;

use rand::Rng;

use mcp_host::confirm::GateRefusal;
use mcp_host::sandbox::state::CallContext;

use crate::db::DbError;

pub use access::create_access_request;
pub use group::{create_group_request, validate_group_request_body};
pub use role::create_role_request;

pub const NOT_ALLOWED: &str = "Current user is not allowed to perform this action";
pub const UNMANAGED: &str = "Groups not managed by Access cannot be modified";
pub const SUPERSEDED_ACCESS: &str = "Superseded by a newer request from the same user";
pub const SUPERSEDED_ROLE: &str = "Closed due to duplicate role request creation";
pub const SUPERSEDED_GROUP: &str = "Closed due to duplicate group request creation";
pub const AUTO_APPROVED_GROUP: &str = "Requester owns parent app and can create app groups";
/// Access's default `NAME_VALIDATION_PATTERN` for group-request names.
pub const NAME_PATTERN: &str = "^[A-Z][A-Za-z0-9-]*$";
/// Access's `request_reason` column: `VARCHAR(1024)`.
pub const MAX_REASON_CHARS: usize = 1024;
/// Tags one group request may ask to attach.
pub const MAX_REQUESTED_TAGS: usize = 100;
/// Longest id looked up (Access's ids are at most 50 characters); a longer
/// one cannot match and is answered as not found without a query.
pub const MAX_ID_CHARS: usize = 64;

/// A request reason within Access's column, in Pydantic's words at `loc`.
pub(super) fn check_reason(loc: &str, reason: &str) -> Result<(), WriteError> {
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(WriteError::Invalid(format!(
            "{loc}: String should have at most {MAX_REASON_CHARS} characters"
        )));
    }
    Ok(())
}

/// Whether `id` could be an Access id at all.
pub(super) fn plausible_id(id: &str) -> bool {
    id.len() <= MAX_ID_CHARS
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Held back by the confirmation gate (planning, or not what was confirmed).
    #[error(transparent)]
    Unconfirmed(#[from] GateRefusal),
}

/// Settings of the write operations (Access's config).
#[derive(Debug, Clone, Default)]
pub struct WriteSettings {
    pub require_descriptions: bool,
}

/// The call a write serves (who writes, from where, and whether the write
/// was confirmed: all bound by the host), and Access's write settings.
pub struct WriteContext<'a> {
    pub call: &'a CallContext,
    pub settings: WriteSettings,
}

pub(super) fn random_id(len: usize, digits: bool) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let set = if digits { ALNUM } else { LETTERS };
    let mut rng = rand::rng();
    (0..len)
        .map(|_| set[rng.random_range(0..set.len())] as char)
        .collect()
}
