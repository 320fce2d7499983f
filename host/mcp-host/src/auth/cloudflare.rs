//! The Cloudflare Access provider (§5.3): the token from `cf-access-jwt-assertion`,
//! `cf-access-token` or a bearer header, verified against the team's certs,
//! `aud` = the application audience (required at startup) and `iss` = the team
//! domain; the user by `email`; scopes per §5.1.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::config::CloudflareSettings;
use super::directory::{DirectoryError, UserDirectory};
use super::fetch::Fetcher;
use super::jwks::JwksCache;
use super::jwt::{Expectations, verify};
use super::{bearer, last_header, scopes};
use crate::caller::Caller;

pub struct CloudflareProvider {
    settings: CloudflareSettings,
    jwks: JwksCache,
    fallback: Arc<BTreeSet<String>>,
}

impl CloudflareProvider {
    pub fn new(settings: CloudflareSettings, fallback: Arc<BTreeSet<String>>) -> Self {
        let jwks = JwksCache::new(Fetcher::new(), settings.jwks_ttl, settings.min_refetch);
        CloudflareProvider {
            settings,
            jwks,
            fallback,
        }
    }

    /// `Ok(caller)`, or `Err(reason)` (`"no token"` when there is nothing to check).
    pub async fn identify(
        &self,
        headers: &http::HeaderMap,
        users: &dyn UserDirectory,
    ) -> Result<Result<Caller, &'static str>, DirectoryError> {
        let token = last_header(headers, "cf-access-jwt-assertion")
            .or_else(|| last_header(headers, "cf-access-token"))
            .or_else(|| bearer(headers));
        let Some(token) = token else {
            return Ok(Err("no token"));
        };
        let expect = Expectations {
            algorithms: &[jsonwebtoken::Algorithm::RS256],
            audience: Some(&self.settings.audience),
            issuer: Some(&self.settings.issuer),
            leeway: 0,
        };
        let claims = match verify(token, &self.jwks, &self.settings.certs_url, &expect).await {
            Ok(c) => c,
            Err(reason) => {
                tracing::debug!(reason, "Cloudflare token refused");
                return Ok(Err(reason));
            }
        };
        let Some(email) = claims.get("email").and_then(|e| e.as_str()) else {
            tracing::warn!(
                "Cloudflare token without email (service tokens are not accepted on /mcp)"
            );
            return Ok(Err("no email claim"));
        };
        let Some(user) = users.find_by_email(email).await? else {
            tracing::warn!(email, "Cloudflare token for an unknown or deleted user");
            return Ok(Err("unknown user"));
        };
        let scopes = scopes::from_claims(&claims, &self.fallback);
        let expires_at = claims.get("exp").and_then(|e| e.as_u64());
        Ok(Ok(Caller {
            user_id: user.id,
            email: user.email,
            scopes,
            expires_at,
        }))
    }
}
