//! Fuzzing what the host parses from the plugins folder (#21): manifests and
//! signature files, as text mutated from valid ones or drawn at random from
//! bytes with `arbitrary`'s `Unstructured`. A failure is a panic, or a parse
//! that accepts what the rules refuse (a bad plugin name, a component path
//! outside the folder, another signature format). Runs
//! `ACCESS_MCP_FUZZ_SECS` per target (5 in the test suite).

use std::path::Path;

use access_mcp_e2e::fuzz::text_inputs;
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

#[test]
fn manifests_parse_or_are_refused_never_more() {
    let runs = text_inputs("manifest", MANIFESTS, SPECIALS, |text| {
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
    let runs = text_inputs("signature file", SIGS, SPECIALS, |text| {
        if let Ok(sig) = SigFile::parse(text) {
            assert_eq!(sig.format, SIG_FORMAT);
        }
    });
    assert!(runs > 0);
}
