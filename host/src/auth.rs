//! Who is calling. Until the token providers (Cloudflare Access, OIDC) land, the
//! only provider is Access's dev identity (§5.2): in `ENV=development|test`
//! every request acts as the non-deleted user `CURRENT_OKTA_USER_EMAIL`, with
//! both scopes. Otherwise no request is authenticated and `/mcp` answers 401.

use crate::caller::Caller;
use crate::config::IdentityConfig;
use crate::db::reads::user_by_email;
use crate::db::{Db, DbError};

pub struct Authenticator {
    dev_email: Option<String>,
    db: Db,
}

impl Authenticator {
    pub fn new(identity: &IdentityConfig, db: Db) -> Self {
        let dev_email = identity
            .dev_identity_enabled()
            .then(|| identity.current_okta_user_email.clone());
        Authenticator { dev_email, db }
    }

    pub fn dev_identity_active(&self) -> bool {
        self.dev_email.is_some()
    }

    /// The caller of one request, or `None` (→ 401).
    pub async fn authenticate(
        &self,
        _headers: &http::HeaderMap,
    ) -> Result<Option<Caller>, DbError> {
        let Some(email) = &self.dev_email else {
            return Ok(None);
        };
        match user_by_email(&self.db, email).await? {
            Some(user) => Ok(Some(Caller {
                user_id: user.id,
                email: user.email,
                scopes: Caller::all_v1_scopes(),
            })),
            None => {
                tracing::warn!(email, "dev identity: no non-deleted user has this email");
                Ok(None)
            }
        }
    }
}
