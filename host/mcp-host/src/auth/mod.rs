//! Who is calling. Providers are tried in Access's fixed order — dev, then
//! Cloudflare Access, then OIDC bearer (§5) — and the first identity wins.
//! Hardened over upstream: asymmetric algorithms only, `exp` required, `iss`
//! checked for OIDC, JWKS cached with a TTL and refetched on an unknown `kid`
//! at most once per interval, the discovery document refreshed periodically.

mod cache;
mod cloudflare;
mod config;
mod dev;
pub mod directory;
mod fetch;
mod jwks;
mod jwt;
mod oidc;
pub mod scopes;

use std::sync::Arc;

pub use config::{AuthConfig, ConfigError};

use std::collections::BTreeSet;

use self::directory::{DirectoryError, UserDirectory};
use crate::caller::Caller;

/// What authenticating one request found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Authenticated(Caller),
    /// No provider found credentials it could use, or every one refused them.
    /// The reason names the last refusal (for logs and metrics).
    Unauthenticated(&'static str),
}

pub struct Authenticator {
    dev: Option<dev::DevProvider>,
    cloudflare: Option<cloudflare::CloudflareProvider>,
    oidc: Option<oidc::OidcProvider>,
    users: Arc<dyn UserDirectory>,
    cache: cache::IdentityCache,
}

impl Authenticator {
    /// Build the provider chain. `cfg` has been validated (`AuthConfig::validate`);
    /// `users` says who a verified email is; `known_scopes` are every scope the
    /// host's capabilities declare (the dev identity's, and the fallback's
    /// when `MCP_FALLBACK_SCOPES` is unset).
    pub fn new(
        cfg: &AuthConfig,
        users: Arc<dyn UserDirectory>,
        known_scopes: &[&str],
    ) -> Result<Self, ConfigError> {
        let known: Arc<BTreeSet<String>> =
            Arc::new(known_scopes.iter().map(|s| s.to_string()).collect());
        let fallback = match &cfg.fallback_scopes {
            Some(setting) => Arc::new(scopes::fallback(setting)),
            None => known.clone(),
        };
        Ok(Authenticator {
            dev: cfg
                .dev_email()
                .map(|email| dev::DevProvider::new(email, known.clone())),
            cloudflare: cfg
                .cloudflare()?
                .map(|c| cloudflare::CloudflareProvider::new(c, fallback.clone())),
            oidc: cfg
                .oidc()?
                .map(|c| oidc::OidcProvider::new(c, fallback.clone())),
            users,
            cache: cache::IdentityCache::new(std::time::Duration::from_secs(
                cfg.identity_cache_secs,
            )),
        })
    }

    pub fn dev_identity_active(&self) -> bool {
        self.dev.is_some()
    }

    /// Authenticate one request from its headers. A caller verified moments ago
    /// with the very same credentials is served from the identity cache.
    pub async fn authenticate(&self, headers: &http::HeaderMap) -> Result<Outcome, DirectoryError> {
        let key = self.cache.key(headers, self.dev.is_some());
        if let Some(caller) = key.as_ref().and_then(|k| self.cache.get(k)) {
            return Ok(Outcome::Authenticated(caller));
        }
        let outcome = self.authenticate_uncached(headers).await?;
        if let (Some(k), Outcome::Authenticated(c)) = (key, &outcome) {
            self.cache.put(k, c.clone(), c.expires_at);
        }
        Ok(outcome)
    }

    async fn authenticate_uncached(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<Outcome, DirectoryError> {
        let mut reason = "no credentials";
        if let Some(dev) = &self.dev {
            match dev.identify(self.users.as_ref()).await? {
                Some(c) => return Ok(Outcome::Authenticated(c)),
                None => reason = "dev user not found",
            }
        }
        if let Some(cf) = &self.cloudflare {
            match cf.identify(headers, self.users.as_ref()).await? {
                Ok(c) => return Ok(Outcome::Authenticated(c)),
                Err(r) if r != "no token" => reason = r,
                Err(_) => {}
            }
        }
        if let Some(oidc) = &self.oidc {
            match oidc.identify(headers, self.users.as_ref()).await? {
                Ok(c) => return Ok(Outcome::Authenticated(c)),
                Err(r) if r != "no token" => reason = r,
                Err(_) => {}
            }
        }
        Ok(Outcome::Unauthenticated(reason))
    }
}

/// Largest bearer token accepted; longer ones are refused before any JWT work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A bearer token from `Authorization: Bearer …` (case-insensitive scheme);
/// when a header repeats, the last value wins.
pub(crate) fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers
        .get_all(http::header::AUTHORIZATION)
        .iter()
        .next_back()?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case("bearer ")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

pub(crate) fn last_header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}
