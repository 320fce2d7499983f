//! Who a verified email belongs to. The providers verify a token and read its
//! email; a [`UserDirectory`] (provided by a capability that keeps users, such
//! as Access's table of users) says which user that is, or that none is.

use crate::future::BoxFuture;

/// A user the directory knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: String,
    pub email: String,
}

/// The directory could not answer (its store is unreachable or failed).
#[derive(Debug, thiserror::Error)]
#[error("the user directory cannot answer: {0}")]
pub struct DirectoryError(pub String);

pub trait UserDirectory: Send + Sync + 'static {
    /// The current (not deleted) user with this email, if any.
    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>>;
}

/// The directory of a host whose capabilities keep no users: a verified email
/// is its own user id.
pub struct EmailIsUserId;

impl UserDirectory for EmailIsUserId {
    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>> {
        Box::pin(async move {
            Ok(Some(DirectoryUser {
                id: email.to_string(),
                email: email.to_string(),
            }))
        })
    }
}
