//! State that security depends on, shared by every replica of a deployment:
//! spent confirmations (a confirmation allows one write in total), per-user
//! rate limits and per-address authentication-failure limits.
//!
//! With `ACCESS_MCP_REDIS_URL` set, that state lives in Redis, one atomic
//! operation per check ([`redis_store`]); without it, in this process
//! ([`local`]), which is right for one replica and wrong for several (the
//! server warns at startup when a capability says replicas would share its
//! data, e.g. a PostgreSQL database: the sign of a multi-replica deployment).
//!
//! When Redis does not answer:
//! - spending a confirmation fails closed: the write is refused with a clear
//!   message and nothing is written;
//! - rate limits fall back to this process's own buckets, so each replica
//!   still enforces the limit on what reaches it (a deployment of N replicas
//!   then admits up to N times the limit) and no request fails because
//!   Redis is down;
//! - recovery is automatic: the connection is retried on the next operation.

pub mod local;
pub mod redis_store;

use std::time::Duration;

use crate::metrics::Metrics;

/// `MCP_RATE_LIMIT`-style rate: `count` events per `per`, with a burst of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("bad rate limit `{0}`: use N/s, N/min or N/hour (empty for none)")]
pub struct RateSpecError(pub String);

impl Rate {
    /// Parse `120/min`, `10/s`, `1000/hour`; empty or `off` → no limit.
    pub fn parse(spec: &str) -> Result<Option<Rate>, RateSpecError> {
        let s = spec.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || RateSpecError(spec.to_string());
        let (n, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 {
            return Err(bad());
        }
        let per = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(Some(Rate { count, per }))
    }

    /// The time one event adds to the bucket (the GCRA emission interval).
    pub fn interval(&self) -> Duration {
        self.per / self.count
    }
}

/// What a rate check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; retry after this many seconds (at least 1).
    Deny(u64),
}

/// What spending a confirmation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// First use: the write may go ahead.
    First,
    /// Seen before (on any replica).
    Again,
}

/// The shared store cannot be reached or answered wrongly.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the shared state store (Redis) is unavailable: {0}")]
pub struct Unavailable(pub String);

/// Where the shared state lives.
enum Store {
    Local,
    Redis(redis_store::RedisState),
}

/// The shared state of this deployment, with the rates it enforces.
pub struct SharedState {
    store: Store,
    /// This process's own buckets and spent confirmations: the store without
    /// Redis, the rate-limit fallback with it.
    local: local::LocalState,
    user: Option<Rate>,
    auth_failures: Option<Rate>,
}

/// Which rate a check is against (each has its own key space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `MCP_RATE_LIMIT`, keyed by user id.
    User,
    /// `MCP_AUTH_FAILURE_LIMIT`, keyed by client address.
    AuthFailures,
}

impl Limit {
    pub fn key(self) -> &'static str {
        match self {
            Limit::User => "user",
            Limit::AuthFailures => "auth_failures",
        }
    }
}

impl SharedState {
    /// In this process only.
    pub fn local(user: Option<Rate>, auth_failures: Option<Rate>) -> Self {
        SharedState {
            store: Store::Local,
            local: local::LocalState::new(user, auth_failures),
            user,
            auth_failures,
        }
    }

    /// In Redis at `url` (connected lazily, so a Redis that is down at
    /// startup is retried rather than fatal); a malformed URL is an error.
    pub fn redis(
        url: &str,
        user: Option<Rate>,
        auth_failures: Option<Rate>,
    ) -> Result<Self, Unavailable> {
        Ok(SharedState {
            store: Store::Redis(redis_store::RedisState::connect(url)?),
            local: local::LocalState::new(user, auth_failures),
            user,
            auth_failures,
        })
    }

    pub fn kind(&self) -> &'static str {
        match self.store {
            Store::Local => "in-process",
            Store::Redis(_) => "redis",
        }
    }

    pub fn rate(&self, limit: Limit) -> Option<Rate> {
        match limit {
            Limit::User => self.user,
            Limit::AuthFailures => self.auth_failures,
        }
    }

    /// Mark a confirmation (by its digest) used for `ttl`; fails closed.
    pub async fn spend_once(&self, digest: &[u8; 32], ttl: Duration) -> Result<Spend, Unavailable> {
        match &self.store {
            Store::Local => Ok(self.local.spend_once(digest, ttl)),
            Store::Redis(r) => r.spend_once(digest, ttl).await,
        }
    }

    /// One event against `limit` for `key` (always allowed when the limit is
    /// off). When Redis fails, this process's own bucket decides (see the
    /// module docs).
    pub async fn check(&self, limit: Limit, key: &str, metrics: Option<&Metrics>) -> Decision {
        let Some(rate) = self.rate(limit) else {
            return Decision::Allow;
        };
        match &self.store {
            Store::Local => self.local.check(limit, key),
            Store::Redis(r) => match r.check(limit, rate, key).await {
                Ok(d) => d,
                Err(e) => {
                    if let Some(m) = metrics {
                        m.count_shared_state_error("rate_limit");
                    }
                    tracing::debug!(error = %e, "rate limit decided in-process while Redis is unavailable");
                    self.local.check(limit, key)
                }
            },
        }
    }

    /// Forget idle in-process entries (called periodically).
    pub fn shrink(&self) {
        self.local.shrink();
    }

    /// Whether Redis answers now (`None` without Redis), for `/readyz`.
    pub async fn ping(&self) -> Option<bool> {
        match &self.store {
            Store::Local => None,
            Store::Redis(r) => Some(r.ping().await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(Rate::parse("").unwrap(), None);
        assert_eq!(Rate::parse("off").unwrap(), None);
        assert_eq!(
            Rate::parse("120/min").unwrap(),
            Some(Rate {
                count: 120,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::parse("5/s").unwrap().map(|r| r.interval()),
            Some(Duration::from_millis(200))
        );
        assert!(Rate::parse("1000/hour").unwrap().is_some());
        assert!(Rate::parse("0/min").is_err());
        assert!(Rate::parse("ten/min").is_err());
        assert!(Rate::parse("5/fortnight").is_err());
    }
}
