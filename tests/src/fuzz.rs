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

/// `seed` text, mutated a few times as the bytes say: cut, a special token
/// inserted, raw bytes inserted, a character replaced.
pub fn mutate(seed: &str, specials: &[&str], u: &mut Unstructured) -> arbitrary::Result<String> {
    let mut text: Vec<char> = seed.chars().collect();
    for _ in 0..u.int_in_range(0..=6)? {
        let at = u.int_in_range(0..=text.len())?;
        match u.int_in_range(0..=3)? {
            0 if !text.is_empty() => {
                let end = (at + u.int_in_range(0..=8)?).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 if !specials.is_empty() => {
                let s = specials[u.choose_index(specials.len())?];
                text.splice(at..at, s.chars());
            }
            2 => {
                let n = u.int_in_range(0..=16)?;
                let raw = String::from_utf8_lossy(u.bytes(n)?).into_owned();
                text.splice(at..at, raw.chars());
            }
            _ => {
                if at < text.len() {
                    text[at] = char::from(u.int_in_range(32u8..=126)?);
                }
            }
        }
    }
    Ok(text.into_iter().collect())
}

/// Run `check` on text inputs for `secs(5)` seconds: most are one of `seeds`
/// mutated (with `specials` among the insertions), the rest random bytes. A
/// panic in `check` fails the run, naming the seed and the input. Returns how
/// many inputs ran.
pub fn text_inputs(name: &str, seeds: &[&str], specials: &[&str], check: impl Fn(&str)) -> u64 {
    use rand::{RngCore, SeedableRng};
    let (secs, seed) = (secs(5), seed());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let mut runs = 0u64;
    let mut bytes = vec![0u8; 520];
    while std::time::Instant::now() < until {
        let len = 8 + (rng.next_u32() % 512) as usize;
        rng.fill_bytes(&mut bytes[..len]);
        let bytes = &bytes[..len];
        let mut u = Unstructured::new(bytes);
        let text = if bytes[0] < 200 {
            mutate(seeds[usize::from(bytes[1]) % seeds.len()], specials, &mut u)
        } else {
            Ok(String::from_utf8_lossy(&bytes[2..]).into_owned())
        };
        let Ok(text) = text else { continue };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&text)));
        assert!(outcome.is_ok(), "{name}: seed {seed}: failed on {text:?}");
        runs += 1;
    }
    eprintln!("fuzz {name}: seed {seed}, {runs} inputs in {secs} s, no failure");
    runs
}
