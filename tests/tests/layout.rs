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
