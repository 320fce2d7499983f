//! Rate limits on `/mcp`: a token bucket per authenticated user
//! (`MCP_RATE_LIMIT`, e.g. `120/min`, off when empty), and, before any JWT
//! work, a per-IP limit on failed authentications (`MCP_AUTH_FAILURE_LIMIT`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

#[derive(Debug, thiserror::Error)]
#[error("bad rate limit `{0}`: use N/s, N/min or N/hour (empty for none)")]
pub struct RateSpecError(pub String);

/// Parse `120/min`, `10/s`, `1000/hour`; empty → no limit.
pub fn parse(spec: &str) -> Result<Option<Quota>, RateSpecError> {
    let s = spec.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || RateSpecError(spec.to_string());
    let (n, unit) = s.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    let n = NonZeroU32::new(n).ok_or_else(bad)?;
    Ok(Some(match unit.trim().to_ascii_lowercase().as_str() {
        "s" | "sec" | "second" => Quota::per_second(n),
        "m" | "min" | "minute" => Quota::per_minute(n),
        "h" | "hour" => Quota::per_hour(n),
        _ => return Err(bad()),
    }))
}

pub struct Limits {
    per_user: Option<DefaultKeyedRateLimiter<String>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    clock: DefaultClock,
}

impl Limits {
    pub fn new(per_user: Option<Quota>, failures: Option<Quota>) -> Self {
        Limits {
            per_user: per_user.map(RateLimiter::keyed),
            failures: failures.map(RateLimiter::keyed),
            blocked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// Seconds until `ip` may try again, if it is blocked for failing too often.
    pub fn ip_blocked(&self, ip: IpAddr) -> Option<u64> {
        let mut blocked = self.blocked.lock().ok()?;
        let until = *blocked.get(&ip)?;
        let now = Instant::now();
        if until <= now {
            blocked.remove(&ip);
            return None;
        }
        Some((until - now).as_secs().max(1))
    }

    /// Count one failed authentication from `ip`; returns the block, if it now applies.
    pub fn record_failure(&self, ip: IpAddr) -> Option<u64> {
        let limiter = self.failures.as_ref()?;
        match limiter.check_key(&ip) {
            Ok(()) => None,
            Err(not_until) => {
                let wait = not_until
                    .wait_time_from(self.clock.now())
                    .max(Duration::from_secs(1));
                if let Ok(mut b) = self.blocked.lock() {
                    if b.len() > 100_000 {
                        let now = Instant::now();
                        b.retain(|_, t| *t > now);
                    }
                    b.insert(ip, Instant::now() + wait);
                }
                Some(wait.as_secs().max(1))
            }
        }
    }

    /// Take one token from `user`'s bucket; `Err(retry_after_secs)` when empty.
    pub fn check_user(&self, user: &str) -> Result<(), u64> {
        let Some(limiter) = &self.per_user else {
            return Ok(());
        };
        limiter
            .check_key(&user.to_string())
            .map_err(|nu| nu.wait_time_from(self.clock.now()).as_secs().max(1))
    }

    /// Forget idle keys (called periodically).
    pub fn shrink(&self) {
        if let Some(l) = &self.per_user {
            l.retain_recent();
        }
        if let Some(l) = &self.failures {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("120/min").unwrap().is_some());
        assert!(parse("5/s").unwrap().is_some());
        assert!(parse("1000/hour").unwrap().is_some());
        assert!(parse("0/min").is_err());
        assert!(parse("ten/min").is_err());
        assert!(parse("5/fortnight").is_err());
    }

    #[test]
    fn user_bucket_empties() {
        let l = Limits::new(parse("2/min").unwrap(), None);
        assert!(l.check_user("a").is_ok());
        assert!(l.check_user("a").is_ok());
        let wait = l.check_user("a").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(l.check_user("b").is_ok(), "buckets are per user");
    }
}
