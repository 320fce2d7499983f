//! The OIDC bearer provider (§5.4), hardened: the discovery document is
//! refreshed periodically, its algorithm list is cut to asymmetric ones,
//! `iss` must equal the document's issuer, `exp` is required.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use jsonwebtoken::Algorithm;
use tokio::sync::RwLock;

use super::config::OidcSettings;
use super::directory::{DirectoryError, UserDirectory};
use super::fetch::Fetcher;
use super::jwks::JwksCache;
use super::jwt::{ASYMMETRIC, Expectations, verify};
use super::{bearer, scopes};
use crate::caller::Caller;

#[derive(Clone)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    algorithms: Vec<Algorithm>,
    fetched_at: Instant,
}

pub struct OidcProvider {
    settings: OidcSettings,
    fetcher: Fetcher,
    jwks: JwksCache,
    discovery: RwLock<Option<Discovery>>,
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    fallback: Arc<BTreeSet<String>>,
}

fn parse_alg(s: &str) -> Option<Algorithm> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

impl OidcProvider {
    pub fn new(settings: OidcSettings, fallback: Arc<BTreeSet<String>>) -> Self {
        let fetcher = Fetcher::new();
        let jwks = JwksCache::new(fetcher.clone(), settings.jwks_ttl, settings.min_refetch);
        OidcProvider {
            settings,
            fetcher,
            jwks,
            discovery: RwLock::new(None),
            last_attempt: tokio::sync::Mutex::new(None),
            fallback,
        }
    }

    /// The discovery document, refreshed after `discovery_refresh`; a failed
    /// refresh keeps the previous one and is retried after `min_refetch`.
    async fn discovery(&self) -> Option<Discovery> {
        if let Some(d) = self.discovery.read().await.clone()
            && d.fetched_at.elapsed() < self.settings.discovery_refresh
        {
            return Some(d);
        }
        let mut last = self.last_attempt.lock().await;
        let current = self.discovery.read().await.clone();
        if let Some(d) = &current
            && d.fetched_at.elapsed() < self.settings.discovery_refresh
        {
            return current;
        }
        if last.is_some_and(|t| t.elapsed() < self.settings.min_refetch) {
            return current;
        }
        *last = Some(Instant::now());
        match self.fetcher.json(&self.settings.metadata_url).await {
            Ok(doc) => {
                let issuer = doc.get("issuer").and_then(|v| v.as_str());
                let jwks_uri = doc.get("jwks_uri").and_then(|v| v.as_str());
                let (Some(issuer), Some(jwks_uri)) = (issuer, jwks_uri) else {
                    tracing::error!(url = %self.settings.metadata_url, "OIDC discovery document lacks issuer or jwks_uri");
                    return current;
                };
                if let Err(e) = super::config::check_fetch_url("jwks_uri", jwks_uri) {
                    tracing::error!("{e}");
                    return current;
                }
                let listed: Vec<Algorithm> = doc
                    .get("id_token_signing_alg_values_supported")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .filter_map(parse_alg)
                            .collect()
                    })
                    .unwrap_or_default();
                let mut algorithms: Vec<Algorithm> = listed
                    .into_iter()
                    .filter(|a| ASYMMETRIC.contains(a))
                    .collect();
                if algorithms.is_empty() {
                    algorithms = vec![Algorithm::RS256];
                }
                let d = Discovery {
                    issuer: issuer.to_string(),
                    jwks_uri: jwks_uri.to_string(),
                    algorithms,
                    fetched_at: Instant::now(),
                };
                *self.discovery.write().await = Some(d.clone());
                Some(d)
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot fetch the OIDC discovery document");
                current
            }
        }
    }

    pub async fn identify(
        &self,
        headers: &http::HeaderMap,
        users: &dyn UserDirectory,
    ) -> Result<Result<Caller, &'static str>, DirectoryError> {
        let Some(token) = bearer(headers) else {
            return Ok(Err("no token"));
        };
        if token.len() > super::MAX_TOKEN_BYTES {
            return Ok(Err("token too large"));
        }
        let Some(d) = self.discovery().await else {
            return Ok(Err("identity provider unavailable"));
        };
        let expect = Expectations {
            algorithms: &d.algorithms,
            audience: Some(&self.settings.audience),
            issuer: Some(&d.issuer),
            leeway: self.settings.leeway,
        };
        let claims = match verify(token, &self.jwks, &d.jwks_uri, &expect).await {
            Ok(c) => c,
            Err(reason) => {
                tracing::debug!(reason, "OIDC token refused");
                return Ok(Err(reason));
            }
        };
        let Some(email) = claims.get("email").and_then(|e| e.as_str()) else {
            return Ok(Err("no email claim"));
        };
        let Some(user) = users.find_by_email(email).await? else {
            tracing::warn!(email, "OIDC token for an unknown or deleted user");
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
