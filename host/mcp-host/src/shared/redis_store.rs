//! The shared state in Redis (`ACCESS_MCP_REDIS_URL`): one atomic operation
//! per check, so replicas never race.
//!
//! - A spent confirmation is `SET access-mcp:spent:<sha256> 1 NX PX <ttl>`:
//!   only the first `SET` of a digest succeeds, on whichever replica.
//! - A rate limit is GCRA in one Lua script (`RATE_SCRIPT`) on Redis's own
//!   clock: one key per user (or address) holding its theoretical arrival
//!   time, expiring when the bucket is full again.
//!
//! Every command has a short timeout; the connection is made lazily and
//! remade after a failure, so a Redis restart needs no action here.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Decision, Limit, Rate, Spend, Unavailable};

/// Prefix of every key this host writes.
const PREFIX: &str = "access-mcp:";
/// How long one command (or connection attempt) may take before the store is
/// treated as unavailable for that operation.
const TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, rate checks skip Redis this long (deciding in-process), so
/// an unreachable Redis does not add a timeout to every request.
const BACK_OFF: Duration = Duration::from_secs(1);

fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// GCRA: KEYS[1] the bucket, ARGV[1] the emission interval (ms), ARGV[2] the
/// burst. Returns -1 when the event is allowed (and recorded), else the
/// milliseconds until it would be.
const RATE_SCRIPT: &str = r"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allowed_at = new_tat - interval * burst
if allowed_at > now then
  return allowed_at - now
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(new_tat - now, 1))
return -1
";

pub struct RedisState {
    conn: ConnectionManager,
    rate: redis::Script,
    /// Whether the last operation reached Redis (to log outages once).
    healthy: AtomicBool,
    /// Until when (ms, `now_ms`) rate checks do not try Redis.
    skip_until_ms: AtomicU64,
}

impl RedisState {
    pub fn connect(url: &str) -> Result<Self, Unavailable> {
        let client = redis::Client::open(url)
            .map_err(|e| Unavailable(format!("ACCESS_MCP_REDIS_URL is not a Redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| Unavailable(e.to_string()))?;
        Ok(RedisState {
            conn,
            rate: redis::Script::new(RATE_SCRIPT),
            healthy: AtomicBool::new(true),
            skip_until_ms: AtomicU64::new(0),
        })
    }

    /// Record the outcome of one operation, logging the first failure of an
    /// outage and the recovery.
    fn observed<T>(&self, result: redis::RedisResult<T>) -> Result<T, Unavailable> {
        match result {
            Ok(v) => {
                if !self.healthy.swap(true, Ordering::AcqRel) {
                    tracing::info!("Redis answers again; shared state is shared again");
                }
                Ok(v)
            }
            Err(e) => {
                self.skip_until_ms
                    .store(now_ms() + BACK_OFF.as_millis() as u64, Ordering::Release);
                if self.healthy.swap(false, Ordering::AcqRel) {
                    tracing::error!(error = %e, "Redis is unavailable: confirmations are refused and rate limits are per replica until it answers");
                }
                Err(Unavailable(e.to_string()))
            }
        }
    }

    pub async fn spend_once(&self, digest: &[u8; 32], ttl: Duration) -> Result<Spend, Unavailable> {
        let key = format!("{PREFIX}spent:{}", hex::encode(digest));
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut conn = self.conn.clone();
        let set: redis::RedisResult<Option<String>> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut conn)
            .await;
        Ok(match self.observed(set)? {
            Some(_) => Spend::First,
            None => Spend::Again,
        })
    }

    pub async fn check(
        &self,
        limit: Limit,
        rate: Rate,
        key: &str,
    ) -> Result<Decision, Unavailable> {
        if now_ms() < self.skip_until_ms.load(Ordering::Acquire) {
            return Err(Unavailable("backing off after a failure".into()));
        }
        let bucket = format!("{PREFIX}rate:{}:{key}", limit.key());
        let interval_ms = u64::try_from(rate.interval().as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut conn = self.conn.clone();
        let wait: redis::RedisResult<i64> = self
            .rate
            .key(bucket)
            .arg(interval_ms)
            .arg(rate.count)
            .invoke_async(&mut conn)
            .await;
        let wait = self.observed(wait)?;
        Ok(if wait < 0 {
            Decision::Allow
        } else {
            Decision::Deny((wait as u64).div_ceil(1000).max(1))
        })
    }

    pub async fn ping(&self) -> bool {
        let mut conn = self.conn.clone();
        let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        self.observed(pong).is_ok()
    }
}
