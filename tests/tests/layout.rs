//! Rules about the source tree that the compiler does not check.

use std::path::Path;

use access_mcp_e2e::root;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Plugins share code through `plugins/access-kit`, never by including
/// another crate's files (`#[path]`), which compiles one file into two crates
/// with whatever each happens to define around it.
#[test]
fn plugins_share_code_as_a_library_not_by_path() {
    let mut files = Vec::new();
    rust_files(&root().join("plugins"), &mut files);
    assert!(
        files.len() > 10,
        "found only {} plugin sources",
        files.len()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .any(|l| l.trim_start().starts_with("#[path"))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "#[path] includes in {offenders:?}");
}

/// The packages `cargo tree` lists for `package` (normal dependencies), by name.
fn dependency_names(package: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "tree", "-q", "-p", package, "-e", "normal", "--prefix", "none",
        ])
        .args(["-f", "{p}"])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

/// `mcp-host` is the generic host: it must never depend on the Access
/// capability (nor on a database driver), and the generic test host built
/// from it has neither in its whole dependency tree.
#[test]
fn the_generic_host_does_not_depend_on_access() {
    let host = dependency_names("mcp-host");
    assert!(host.iter().any(|p| p == "wasmtime"), "{host:?}");
    for forbidden in ["access", "sqlx", "rusqlite"] {
        assert!(
            !host.iter().any(|p| p == forbidden),
            "mcp-host depends on {forbidden}"
        );
    }
    let generic = dependency_names("generic-host");
    assert!(generic.iter().any(|p| p == "mcp-host"), "{generic:?}");
    assert!(generic.iter().any(|p| p == "kv-capability"), "{generic:?}");
    for forbidden in ["access", "sqlx", "rusqlite"] {
        assert!(
            !generic.iter().any(|p| p == forbidden),
            "generic-host depends on {forbidden}"
        );
    }
    let product = dependency_names("access-mcp");
    assert!(product.iter().any(|p| p == "access"), "{product:?}");
}

/// Nor does its source name Access's interfaces, tables, scopes or settings:
/// those belong to `host/access`. (The auth providers keep the variable names
/// Access deployments already set, such as `CURRENT_OKTA_USER_EMAIL`; they
/// name no table or scope.)
#[test]
fn the_generic_host_names_no_access_type_table_scope_or_setting() {
    let mut files = Vec::new();
    rust_files(&root().join("host/mcp-host"), &mut files);
    assert!(files.len() > 30, "found only {} sources", files.len());
    let words = [
        "access:directory",
        "access::",
        "okta_user_group",
        "okta_group",
        "role_group_map",
        "read_all",
        "create_requests",
        "DATABASE_URI",
        "APP_NAME",
        "REQUIRE_DESCRIPTIONS",
        "sqlx",
    ];
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for w in words {
            if text.contains(w) {
                offenders.push(format!("{} names {w}", f.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
