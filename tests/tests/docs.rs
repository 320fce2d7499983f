//! The documentation cannot drift from the binary: every environment variable
//! `access-mcp serve --help` names is documented in `docs/configuration.md`,
//! and every variable that page documents is one the binary reads.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use access_mcp_e2e::{binary, root};

/// The `[env: NAME=…]` names clap prints in `--help`.
fn env_names_in_help() -> BTreeSet<String> {
    let out = Command::new(binary())
        .args(["serve", "--help"])
        .output()
        .expect("run access-mcp serve --help");
    assert!(out.status.success(), "serve --help failed");
    let help = String::from_utf8_lossy(&out.stdout);
    let mut names = BTreeSet::new();
    for piece in help.split("[env: ").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

/// The variables in the first column of the page's tables, with the number
/// of rows each is named in.
fn env_rows_in_docs() -> BTreeMap<String, usize> {
    let page = std::fs::read_to_string(root().join("docs/configuration.md"))
        .expect("read docs/configuration.md");
    let mut rows = BTreeMap::new();
    for line in page.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = line.split('|').nth(1).unwrap_or_default();
        let names: BTreeSet<&str> = first_cell.split('`').skip(1).step_by(2).collect();
        for name in names {
            *rows.entry(name.to_string()).or_default() += 1;
        }
    }
    rows
}

#[test]
fn every_setting_is_documented_once_and_every_documented_setting_exists() {
    let help = env_names_in_help();
    let rows = env_rows_in_docs();
    let docs: BTreeSet<String> = rows.keys().cloned().collect();
    assert!(
        help.len() > 40,
        "expected the serve command's settings in --help, found {help:?}"
    );
    let undocumented: Vec<_> = help.difference(&docs).collect();
    let unknown: Vec<_> = docs.difference(&help).collect();
    assert!(
        undocumented.is_empty(),
        "settings of `access-mcp serve` missing from docs/configuration.md: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/configuration.md documents settings the binary does not read: {unknown:?}"
    );
    let repeated: Vec<_> = rows.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "documented in more than one row: {repeated:?}"
    );
}
