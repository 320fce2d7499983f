//! The documentation cannot drift from the binary: every environment variable
//! `access-mcp serve --help` names is documented in `docs/configuration.md`,
//! and every variable that page documents is one the binary reads.

use std::collections::BTreeSet;
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

/// The variables in the first column of the page's tables.
fn env_names_in_docs() -> BTreeSet<String> {
    let page = std::fs::read_to_string(root().join("docs/configuration.md"))
        .expect("read docs/configuration.md");
    let mut names = BTreeSet::new();
    for line in page.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = line.split('|').nth(1).unwrap_or_default();
        for quoted in first_cell.split('`').skip(1).step_by(2) {
            names.insert(quoted.to_string());
        }
    }
    names
}

#[test]
fn every_setting_is_documented_once_and_every_documented_setting_exists() {
    let help = env_names_in_help();
    let docs = env_names_in_docs();
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

    // Documented once: no variable appears in two rows.
    let page = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap_or_default();
    for name in &docs {
        let rows = page
            .lines()
            .filter(|l| l.starts_with("| `"))
            .filter(|l| {
                let cell = l.split('|').nth(1).unwrap_or_default();
                cell.split('`').skip(1).step_by(2).any(|q| q == name)
            })
            .count();
        assert_eq!(rows, 1, "{name} is documented in {rows} rows");
    }
}
