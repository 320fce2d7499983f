//! A JWKS cache: keys by `kid`, trusted for a TTL; an unknown `kid` triggers a
//! refetch at most once per `min_refetch` (concurrent misses share one fetch),
//! so a flood of random `kid`s cannot make the host hammer the IdP.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::{Mutex, RwLock};

use super::fetch::{FetchError, Fetcher};

#[derive(Default)]
struct Cached {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    url: String,
}

pub struct JwksCache {
    fetcher: Fetcher,
    ttl: Duration,
    min_refetch: Duration,
    cached: RwLock<Cached>,
    /// Serializes refetches and remembers when the last one was attempted.
    last_attempt: Mutex<Option<Instant>>,
}

impl JwksCache {
    pub fn new(fetcher: Fetcher, ttl: Duration, min_refetch: Duration) -> Self {
        JwksCache {
            fetcher,
            ttl,
            min_refetch,
            cached: RwLock::new(Cached::default()),
            last_attempt: Mutex::new(None),
        }
    }

    /// The key for `kid` at `url`, fetching the set when it is stale or lacks the kid.
    pub async fn key(&self, url: &str, kid: &str) -> Result<Option<DecodingKey>, FetchError> {
        {
            let c = self.cached.read().await;
            let fresh = c.url == url && c.fetched_at.is_some_and(|t| t.elapsed() < self.ttl);
            if fresh && let Some(k) = c.keys.get(kid) {
                return Ok(Some(k.clone()));
            }
        }
        let mut last = self.last_attempt.lock().await;
        // Another task may have refreshed while we waited for the lock.
        {
            let c = self.cached.read().await;
            let fresh = c.url == url && c.fetched_at.is_some_and(|t| t.elapsed() < self.ttl);
            if let Some(k) = c.keys.get(kid).filter(|_| fresh) {
                return Ok(Some(k.clone()));
            }
            let recently = last.is_some_and(|t| t.elapsed() < self.min_refetch);
            if fresh && recently {
                return Ok(None);
            }
            if recently && c.url == url && c.fetched_at.is_some() {
                // Stale but refetched moments ago (and failed): keep serving what we have.
                return Ok(c.keys.get(kid).cloned());
            }
        }
        *last = Some(Instant::now());
        let doc = self.fetcher.json(url).await?;
        let set: JwkSet = serde_json::from_value(doc).map_err(|e| FetchError {
            url: url.to_string(),
            message: format!("not a JWKS: {e}"),
        })?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(id) = jwk.common.key_id.clone() else {
                continue;
            };
            // Only asymmetric keys: a symmetric ("oct") entry is never used.
            if matches!(
                jwk.algorithm,
                jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
            ) {
                continue;
            }
            if let Ok(k) = DecodingKey::from_jwk(jwk) {
                keys.insert(id, k);
            }
        }
        tracing::debug!(url, keys = keys.len(), "fetched JWKS");
        let found = keys.get(kid).cloned();
        *self.cached.write().await = Cached {
            keys,
            fetched_at: Some(Instant::now()),
            url: url.to_string(),
        };
        Ok(found)
    }
}
