//! What the fuzzers share (`tests/fuzz_*.rs`): values drawn from random bytes
//! with `arbitrary`'s `Unstructured`, and how long and from which seed a run goes.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};

/// Text drawn from the bytes, at most 256 of them (invalid UTF-8 becomes
/// U+FFFD, so no input is wasted).
pub fn text(u: &mut Unstructured) -> arbitrary::Result<String> {
    let len = u.arbitrary_len::<u8>()?.min(256);
    Ok(String::from_utf8_lossy(u.bytes(len)?).into_owned())
}

/// A JSON value drawn from the bytes, no deeper than `max_depth` below `depth`.
pub fn json(u: &mut Unstructured, depth: u8, max_depth: u8) -> arbitrary::Result<Value> {
    let pick = if depth >= max_depth {
        u.int_in_range(0..=4)?
    } else {
        u.int_in_range(0..=6)?
    };
    Ok(match pick {
        0 => Value::Null,
        1 => json!(bool::arbitrary(u)?),
        2 => json!(i64::arbitrary(u)?),
        3 => json!(f64::arbitrary(u)?),
        4 => json!(text(u)?),
        5 => {
            let n = u.int_in_range(0..=6)?;
            Value::Array(
                (0..n)
                    .map(|_| json(u, depth + 1, max_depth))
                    .collect::<Result<_, _>>()?,
            )
        }
        _ => {
            let n = u.int_in_range(0..=6)?;
            let mut m = serde_json::Map::new();
            for _ in 0..n {
                m.insert(text(u)?, json(u, depth + 1, max_depth)?);
            }
            Value::Object(m)
        }
    })
}

/// `ACCESS_MCP_FUZZ_SECS`, else `default`.
pub fn secs(default: u64) -> u64 {
    std::env::var("ACCESS_MCP_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `ACCESS_MCP_FUZZ_SEED` (to replay a run), else a random one.
pub fn seed() -> u64 {
    std::env::var("ACCESS_MCP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}
