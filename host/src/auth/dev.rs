//! The dev provider (§5.2): in `ENV=development|test` every request acts as the
//! non-deleted user `CURRENT_OKTA_USER_EMAIL`, with both scopes. It ignores the
//! request's headers, as upstream does.

use crate::caller::Caller;
use crate::db::reads::user_by_email;
use crate::db::{Db, DbError};

pub struct DevProvider {
    email: String,
}

impl DevProvider {
    pub fn new(email: String) -> Self {
        DevProvider { email }
    }

    pub async fn identify(&self, db: &Db) -> Result<Option<Caller>, DbError> {
        match user_by_email(db, &self.email).await? {
            Some(user) => Ok(Some(Caller {
                user_id: user.id,
                email: user.email,
                scopes: Caller::all_v1_scopes(),
                expires_at: None,
            })),
            None => {
                tracing::warn!(email = %self.email, "dev identity: no non-deleted user has this email");
                Ok(None)
            }
        }
    }
}
