//! A short-lived cache of verified identities, keyed by a SHA-256 of the exact
//! credentials presented (so any other token is verified in full). An entry
//! lives `ACCESS_MCP_IDENTITY_CACHE_SECS` (default 30 s, 0 disables) and never
//! past the token's own `exp`; a user deleted in Access loses access within
//! that time. The map is bounded: it is cleared when it reaches its cap.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::caller::Caller;

const CAP: usize = 50_000;

pub struct IdentityCache {
    ttl: Duration,
    map: Mutex<HashMap<[u8; 32], (Caller, Instant)>>,
}

impl IdentityCache {
    pub fn new(ttl: Duration) -> Self {
        IdentityCache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The cache key of a request's credentials (`None`: do not cache).
    pub fn key(&self, headers: &http::HeaderMap, dev: bool) -> Option<[u8; 32]> {
        if self.ttl.is_zero() {
            return None;
        }
        let mut h = Sha256::new();
        if dev {
            // The dev provider ignores headers: one identity for every request.
            h.update(b"dev");
        } else {
            let mut any = false;
            for name in [
                "cf-access-jwt-assertion",
                "cf-access-token",
                "authorization",
            ] {
                for v in headers.get_all(name) {
                    h.update(name.as_bytes());
                    h.update([0]);
                    h.update(v.as_bytes());
                    h.update([0]);
                    any = true;
                }
            }
            if !any {
                return None;
            }
        }
        Some(h.finalize().into())
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<Caller> {
        let map = self.map.lock().ok()?;
        let (caller, until) = map.get(key)?;
        (Instant::now() < *until).then(|| caller.clone())
    }

    /// Remember `caller` for the TTL, capped at the token's `exp` (Unix seconds).
    pub fn put(&self, key: [u8; 32], caller: Caller, expires_at: Option<u64>) {
        let mut until = Instant::now() + self.ttl;
        if let Some(exp) = expires_at {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let left = Duration::from_secs(exp.saturating_sub(now));
            until = until.min(Instant::now() + left);
        }
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= CAP {
                map.clear();
            }
            map.insert(key, (caller, until));
        }
    }
}
