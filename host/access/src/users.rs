//! Access's users as the host's user directory: a verified email is the
//! non-deleted `okta_user` with that email (§5).

use mcp_host::auth::directory::{DirectoryError, DirectoryUser, UserDirectory};
use mcp_host::capability::BoxFuture;

use crate::db::Db;
use crate::db::reads::user_by_email;

pub struct AccessUsers {
    db: Db,
}

impl AccessUsers {
    pub fn new(db: Db) -> Self {
        AccessUsers { db }
    }
}

impl UserDirectory for AccessUsers {
    fn find_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>> {
        Box::pin(async move {
            let user = user_by_email(&self.db, email)
                .await
                .map_err(|e| DirectoryError(e.to_string()))?;
            Ok(user.map(|u| DirectoryUser {
                id: u.id,
                email: u.email,
            }))
        })
    }
}
