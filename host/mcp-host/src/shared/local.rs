//! The shared state kept in this process: right for one replica, and the
//! rate-limit fallback of the Redis store. Rate limits are `governor`'s keyed
//! GCRA buckets (the same algorithm as the Redis script).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{Decision, Limit, Rate, Spend};

/// Spent confirmations kept at most (a full map forgets the expired ones first).
const MAX_SPENT: usize = 100_000;

pub struct LocalState {
    user: Option<DefaultKeyedRateLimiter<String>>,
    auth_failures: Option<DefaultKeyedRateLimiter<String>>,
    spent: Mutex<HashMap<[u8; 32], Instant>>,
    clock: DefaultClock,
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(rate.interval())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

impl LocalState {
    pub fn new(user: Option<Rate>, auth_failures: Option<Rate>) -> Self {
        LocalState {
            user: user.map(|r| RateLimiter::keyed(quota(r))),
            auth_failures: auth_failures.map(|r| RateLimiter::keyed(quota(r))),
            spent: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    pub fn spend_once(&self, digest: &[u8; 32], ttl: Duration) -> Spend {
        let now = Instant::now();
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        if spent.len() >= MAX_SPENT {
            spent.retain(|_, until| *until > now);
        }
        match spent.get(digest) {
            Some(until) if *until > now => Spend::Again,
            _ => {
                spent.insert(*digest, now + ttl);
                Spend::First
            }
        }
    }

    pub fn check(&self, limit: Limit, key: &str) -> Decision {
        let limiter = match limit {
            Limit::User => &self.user,
            Limit::AuthFailures => &self.auth_failures,
        };
        let Some(limiter) = limiter else {
            return Decision::Allow;
        };
        match limiter.check_key(&key.to_string()) {
            Ok(()) => Decision::Allow,
            Err(not_until) => {
                Decision::Deny(not_until.wait_time_from(self.clock.now()).as_secs().max(1))
            }
        }
    }

    pub fn shrink(&self) {
        for l in [&self.user, &self.auth_failures].into_iter().flatten() {
            l.retain_recent();
        }
        let now = Instant::now();
        self.spent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_per_key() {
        let l = LocalState::new(Rate::parse("2/min").unwrap(), None);
        assert_eq!(l.check(Limit::User, "a"), Decision::Allow);
        assert_eq!(l.check(Limit::User, "a"), Decision::Allow);
        let Decision::Deny(wait) = l.check(Limit::User, "a") else {
            panic!("third allowed")
        };
        assert!((1..=30).contains(&wait), "{wait}");
        assert_eq!(l.check(Limit::User, "b"), Decision::Allow);
        assert_eq!(l.check(Limit::AuthFailures, "a"), Decision::Allow, "off");
    }

    #[test]
    fn a_confirmation_is_spent_once_until_it_expires() {
        let l = LocalState::new(None, None);
        let d = [7u8; 32];
        assert_eq!(l.spend_once(&d, Duration::from_secs(60)), Spend::First);
        assert_eq!(l.spend_once(&d, Duration::from_secs(60)), Spend::Again);
        assert_eq!(
            l.spend_once(&[8u8; 32], Duration::from_secs(60)),
            Spend::First
        );
    }
}
