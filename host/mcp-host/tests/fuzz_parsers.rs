//! Fuzzing what the host parses from the plugins folder (#21): manifests and
//! signature files, as text mutated from valid ones or drawn at random from
//! bytes with `arbitrary`'s `Unstructured`. A failure is a panic, or a parse
//! that accepts what the rules refuse (a bad plugin name, a component path
//! outside the folder, another signature format). Runs
//! `ACCESS_MCP_FUZZ_SECS` per target (5 in the test suite).

use std::path::Path;
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use mcp_host::plugins::manifest::Manifest;
use mcp_host::plugins::signature::{SIG_FORMAT, SigFile};

const MANIFESTS: &[&str] = &[
    "name = \"kv-plugin\"\nversion = \"0.1.0\"\ncomponent = \"kv-plugin.wasm\"\ngrants = [\"example:kv/store\"]\n",
    "name = \"conformance\"\ngrants = [\"mcp:plugin/notify\", \"mcp:plugin/sampling\", \"mcp:plugin/elicitation\"]\n",
    "name = \"k\"\n",
];

const SIGS: &[&str] = &[
    "format = \"access-mcp-sig/1\"\nkey_id = \"0123456789abcdef\"\ncomponent_sha256 = \"aa\"\nmanifest_sha256 = \"bb\"\nsignature = \"AAAA\"\n",
];

const SPECIALS: &[&str] = &[
    "\"",
    "'",
    "=",
    "[",
    "]",
    "{",
    "}",
    "\n",
    "\\",
    "/",
    "..",
    "\u{0}",
    "#",
    ",",
    "\u{202e}",
    "\"\"\"",
    "name",
    "component",
    "grants",
    "format",
    "0",
    "-1",
    "1e999",
];

/// A small deterministic generator (no extra dependency): xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// `seed` text, mutated a few times as the bytes say.
fn mutate(seed: &str, u: &mut Unstructured) -> arbitrary::Result<String> {
    let mut text: Vec<char> = seed.chars().collect();
    for _ in 0..u.int_in_range(0..=6)? {
        let at = u.int_in_range(0..=text.len())?;
        match u.int_in_range(0..=3)? {
            0 if !text.is_empty() => {
                let end = (at + u.int_in_range(0..=8)?).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 => {
                let s = SPECIALS[u.choose_index(SPECIALS.len())?];
                text.splice(at..at, s.chars());
            }
            2 => {
                let n = u.int_in_range(0..=16)?;
                let raw = String::from_utf8_lossy(u.bytes(n)?).into_owned();
                text.splice(at..at, raw.chars());
            }
            _ => {
                if at < text.len() {
                    text[at] = char::from(u8::try_from(u.int_in_range(32..=126)?).unwrap_or(b'x'));
                }
            }
        }
    }
    Ok(text.into_iter().collect())
}

/// Run `check` on inputs for the configured time; how many ran.
fn fuzz(name: &str, seeds: &[&str], check: impl Fn(&str)) -> u64 {
    let secs: u64 = std::env::var("ACCESS_MCP_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed = std::env::var("ACCESS_MCP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut rng = Rng(seed);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < until {
        let len = 8 + (rng.next() % 512) as usize;
        let bytes = rng.bytes(len);
        let mut u = Unstructured::new(&bytes);
        let text = if bytes[0] < 200 {
            mutate(seeds[usize::from(bytes[1]) % seeds.len()], &mut u)
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

#[test]
fn manifests_parse_or_are_refused_never_more() {
    let runs = fuzz("manifest", MANIFESTS, |text| {
        if let Ok(m) = Manifest::parse(Path::new("p.toml"), text) {
            assert!(
                !m.name.is_empty()
                    && m.name.len() <= 64
                    && m.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "accepted name {:?}",
                m.name
            );
            if let Some(c) = &m.component {
                assert!(
                    !c.contains('/') && !c.contains('\\') && !c.starts_with('.'),
                    "accepted component {c:?}"
                );
            }
        }
    });
    assert!(runs > 0);
}

#[test]
fn signature_files_parse_or_are_refused_never_more() {
    let runs = fuzz("signature file", SIGS, |text| {
        if let Ok(sig) = SigFile::parse(text) {
            assert_eq!(sig.format, SIG_FORMAT);
        }
    });
    assert!(runs > 0);
}
