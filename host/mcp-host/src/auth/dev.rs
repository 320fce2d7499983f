//! The dev provider (§5.2): in `ENV=development|test` every request acts as the
//! current user `CURRENT_OKTA_USER_EMAIL`, with every scope the host knows. It ignores the
//! request's headers, as upstream does.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::directory::{DirectoryError, UserDirectory};
use crate::caller::Caller;

pub struct DevProvider {
    email: String,
    /// Every scope the host knows.
    scopes: Arc<BTreeSet<String>>,
}

impl DevProvider {
    pub fn new(email: String, scopes: Arc<BTreeSet<String>>) -> Self {
        DevProvider { email, scopes }
    }

    pub async fn identify(
        &self,
        users: &dyn UserDirectory,
    ) -> Result<Option<Caller>, DirectoryError> {
        match users.find_by_email(&self.email).await? {
            Some(user) => Ok(Some(Caller {
                user_id: user.id,
                email: user.email,
                scopes: (*self.scopes).clone(),
                expires_at: None,
            })),
            None => {
                tracing::warn!(email = %self.email, "dev identity: no current user has this email");
                Ok(None)
            }
        }
    }
}
