//! The scopes the Access capability checks (Access's own names).

/// Every read import (and read tool) requires it.
pub const READ_ALL: &str = "read_all";
/// Every request operation (and write tool) requires it.
pub const CREATE_REQUESTS: &str = "create_requests";
/// Both, as the capability declares them.
pub const ALL: &[&str] = &[CREATE_REQUESTS, READ_ALL];
