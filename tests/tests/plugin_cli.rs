//! `access-mcp plugins …`: the sandbox audit report checked against a server
//! started on the same folder (what it linked, what it serves, which scope it
//! enforces at dispatch), and signed plugins (keygen, sign, verify, and the
//! loader refusing tampered, widened, untrusted and unsigned plugins under
//! `--require-signed`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use access_mcp_e2e::idp::{Idp, SigningKey, now};
use access_mcp_e2e::{PluginDir, Server, ServerOptions, binary, fixture_component, target};
use serde_json::{Value, json};

const OLIVIA: &str = "olivia.brooks@example.com";
const AUD: &str = "access-mcp";
const READS_ONLY: &[&str] = &["access:directory/reads", "access:directory/permissions"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Run `access-mcp plugins ARGS` with a clean environment plus `env`.
fn plugins(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(binary());
    cmd.arg("plugins")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ACCESS_MCP_CACHE_DIR", target().join("test-compile-cache"))
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run access-mcp plugins");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn audit_json(dir: &Path, extra: &[&str]) -> Run {
    let d = dir.to_str().expect("utf-8 path");
    let mut args = vec!["audit", "--json", "--plugins-dir", d];
    args.extend_from_slice(extra);
    plugins(&args, &[])
}

fn by_name(report: &Value) -> BTreeMap<String, Value> {
    report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| (p["name"].as_str().expect("name").to_string(), p.clone()))
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// A `Debug`-printed list of strings from a JSON log field, e.g. `["a", "b"]`.
fn debug_list(v: &Value) -> Vec<String> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    let mut l: Vec<String> = serde_json::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    l.sort();
    l
}

fn call(server: &Server, token: &str, name: &str) -> Value {
    let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call",
        "params":{"name": name, "arguments": {}}});
    let r = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"))
        .body(body.to_string())
        .send()
        .expect("POST /mcp");
    assert_eq!(r.status().as_u16(), 200);
    access_mcp_e2e::parse_body(&r.text().expect("body"))
}

fn rpc(server: &Server, token: &str, method: &str) -> Value {
    let body = json!({"jsonrpc":"2.0","id":1,"method": method, "params": {}});
    let r = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"))
        .body(body.to_string())
        .send()
        .expect("POST /mcp");
    access_mcp_e2e::parse_body(&r.text().expect("body"))["result"].clone()
}

fn scope_error(scope: &str) -> String {
    format!("This tool requires the '{scope}' scope; the active token does not carry it.")
}

#[test]
fn the_audit_report_is_what_the_server_links_serves_and_enforces() {
    let dir = PluginDir::with_built_plugins();
    // A plugin whose manifest does not grant what its component imports, and
    // one with a tool that declares no scope.
    dir.add("hostile", &fixture_component("hostile_plugin"), READS_ONLY);
    dir.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let run = audit_json(dir.path(), &[]);
    assert_eq!(
        run.code, 2,
        "a refused plugin makes the exit status 2: {}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["format"], "access-mcp-audit/1");
    assert_eq!(
        report["limits"],
        json!({"deadline_ms": 5000, "memory_mib": 64, "output_bytes": 4194304, "max_instances": 256,
            "memory_budget_mib": 512, "call_queue": 256, "call_queue_wait_ms": 2000,
            "budgets": {"imports": 1000, "rows": 50000, "log_records": 100, "log_bytes": 65536, "writes": 1}})
    );
    let plugins = by_name(&report);
    let manifests: Vec<&str> = report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| p["manifest"].as_str().expect("manifest"))
        .collect();
    assert_eq!(
        manifests,
        [
            "access-prompts.toml",
            "access-reads.toml",
            "access-requests.toml",
            "hostile.toml",
            "trivial.toml"
        ]
    );

    // The hostile fixture is refused, naming the import its manifest does not grant.
    let hostile = &plugins["hostile"];
    assert_eq!(hostile["status"], "refused");
    assert_eq!(hostile["error"]["kind"], "import-not-granted");
    let msg = hostile["error"]["message"].as_str().expect("message");
    assert!(msg.contains("`access:directory/requests@0.1.0`"), "{msg}");
    assert_eq!(
        hostile["grants"],
        json!(["access:directory/permissions", "access:directory/reads"])
    );
    assert!(hostile["linked"].is_null() && hostile["tools"].is_null());
    assert_eq!(
        hostile["component_sha256"].as_str().map(str::len),
        Some(64),
        "the digest of a refused plugin is still given"
    );

    // A server on the same folder, with real tokens so scopes can be withheld.
    let rsa = SigningKey::rsa("k");
    let idp = Idp::start(&[&rsa]);
    let metadata = idp.metadata_url();
    let server = Server::start_with(ServerOptions {
        plugins: dir.path(),
        env: vec![
            ("ENV".into(), "production".into()),
            ("OIDC_SERVER_METADATA_URL".into(), metadata),
            ("OIDC_MCP_AUDIENCE".into(), AUD.into()),
        ],
    });
    let token = |scope: &str| {
        rsa.sign(
            &json!({"iss": idp.issuer, "aud": AUD, "email": OLIVIA, "sub": OLIVIA,
            "exp": now() + 600, "iat": now(), "scope": scope}),
        )
    };
    let logs: Vec<Value> = server
        .logs()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();

    // What the loader linked and described, as the server logged it, is what the report says.
    let mut served = BTreeSet::new();
    for line in logs
        .iter()
        .filter(|l| l["fields"]["message"] == "plugin loaded")
    {
        let f = &line["fields"];
        let name = f["plugin"].as_str().expect("plugin").to_string();
        let p = &plugins[&name];
        assert_eq!(p["status"], "loaded", "{name}");
        assert_eq!(p["version"], f["version"], "{name}");
        assert_eq!(
            strings(&p["linked"]),
            debug_list(&f["grants"]),
            "{name}: linked"
        );
        let tools: Vec<String> = p["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect();
        assert_eq!(tools, debug_list(&f["tools"]), "{name}: tools");
        let prompts: Vec<String> = p["prompts"]
            .as_array()
            .expect("prompts")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect();
        assert_eq!(prompts, debug_list(&f["prompts"]), "{name}: prompts");
        // Every import the component requires is linked one way or another.
        for i in p["imports"].as_array().expect("imports") {
            assert_ne!(i["linked_as"], "not-linked", "{name}: {i}");
            if i["linked_as"] != "wasi-deny-all" {
                assert!(
                    strings(&p["linked"]).contains(&i["interface"].as_str().unwrap().to_string()),
                    "{name}: {i}"
                );
            }
        }
        served.insert(name);
    }
    let loaded_in_report: BTreeSet<String> = plugins
        .iter()
        .filter(|(_, p)| p["status"] == "loaded")
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(served, loaded_in_report);
    assert_eq!(
        served,
        BTreeSet::from(
            [
                "access-prompts",
                "access-reads",
                "access-requests",
                "trivial"
            ]
            .map(String::from)
        )
    );
    // The server refused the same plugin with the same message.
    let refusals: Vec<&str> = logs
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .filter_map(|m| m.strip_prefix("plugin not loaded: "))
        .collect();
    assert_eq!(refusals, [msg]);

    // tools/list is the union of the report's loaded tools, with the same
    // titles, descriptions and annotations.
    let reader = token("read_all");
    let listed = rpc(&server, &reader, "tools/list");
    let listed: BTreeMap<String, Value> = listed["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| (t["name"].as_str().expect("name").to_string(), t.clone()))
        .collect();
    let mut reported = BTreeMap::new();
    for p in plugins.values().filter(|p| p["status"] == "loaded") {
        for t in p["tools"].as_array().expect("tools") {
            reported.insert(t["name"].as_str().expect("name").to_string(), t.clone());
        }
    }
    assert_eq!(
        reported.len(),
        18 + 3 + 3,
        "access-reads, access-requests, trivial (echo, test_error_handling, page)"
    );
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        reported.keys().collect::<Vec<_>>()
    );
    for (name, t) in &reported {
        let l = &listed[name];
        assert_eq!(l["description"], t["description"], "{name}");
        assert_eq!(
            l.get("title").cloned().unwrap_or(Value::Null),
            t["title"],
            "{name}"
        );
        for (ours, theirs) in [
            ("read_only_hint", "readOnlyHint"),
            ("destructive_hint", "destructiveHint"),
            ("idempotent_hint", "idempotentHint"),
            ("open_world_hint", "openWorldHint"),
        ] {
            assert_eq!(
                l["annotations"].get(theirs).cloned().unwrap_or(Value::Null),
                t["annotations"][ours],
                "{name}: {ours}"
            );
        }
    }
    let prompts = rpc(&server, &reader, "prompts/list");
    let prompt_names: BTreeSet<String> = prompts["prompts"]
        .as_array()
        .expect("prompts")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect();
    let reported_prompts: BTreeSet<String> = plugins
        .values()
        .filter(|p| p["status"] == "loaded")
        .flat_map(|p| p["prompts"].as_array().expect("prompts").clone())
        .map(|x| x["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(prompt_names, reported_prompts);

    // The scope the report gives each tool is the one enforced at dispatch: a
    // token without it gets exactly that scope's error; a token with only it
    // gets past the check; a tool the report says needs no scope is dispatched.
    let nothing = token("openid");
    let mut scopes_seen = BTreeSet::new();
    for (name, t) in &reported {
        let denied = call(&server, &nothing, name);
        let text = denied["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        match t["required_scope"].as_str() {
            Some(scope) => {
                scopes_seen.insert(scope.to_string());
                assert_eq!(denied["result"]["isError"], true, "{name}: {denied}");
                assert_eq!(
                    denied["result"]["structuredContent"],
                    json!({"error": scope_error(scope)}),
                    "{name}"
                );
                let allowed = call(&server, &token(scope), name);
                assert!(
                    !allowed.to_string().contains(&scope_error(scope)),
                    "{name} with {scope}: {allowed}"
                );
            }
            None => {
                for scope in ["read_all", "create_requests"] {
                    assert!(
                        !text.contains(&scope_error(scope)),
                        "{name} needs no scope: {denied}"
                    );
                }
            }
        }
    }
    assert_eq!(
        scopes_seen,
        BTreeSet::from(["create_requests".to_string(), "read_all".to_string()])
    );
    assert!(reported["echo"]["required_scope"].is_null());
}

#[test]
fn list_is_one_line_per_plugin_and_the_text_report_names_what_matters() {
    let dir = PluginDir::with_built_plugins();
    let d = dir.path().to_str().expect("utf-8");
    let run = plugins(&["list", "--plugins-dir", d], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[1].starts_with("access-reads "), "{}", lines[1]);
    for needle in ["0.1.0", "loaded", "18 tools", "sha256:", "unsigned"] {
        assert!(lines[1].contains(needle), "{needle}: {}", lines[1]);
    }

    // The limit flags of `serve` apply, as does the plugins folder variable.
    dir.add("hostile", &fixture_component("hostile_plugin"), READS_ONLY);
    let run = plugins(
        &[
            "audit",
            "--plugin-deadline-ms",
            "750",
            "--plugin-memory-mib",
            "32",
        ],
        &[("ACCESS_MCP_PLUGINS_DIR", d)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let t = &run.stdout;
    assert!(t.contains("limits: deadline 750 ms, memory 32 MiB"), "{t}");
    assert!(
        t.contains("per tool call: 1000 host-import calls, 50000 rows read, 100 log records, 65536 log bytes, 1 write operation"),
        "{t}"
    );
    assert!(t.contains("plugins: 3 loaded, 1 refused"), "{t}");
    assert!(
        t.contains(
            "hostile 0.0.1: REFUSED: plugin `hostile` imports `access:directory/requests@0.1.0`"
        ),
        "{t}"
    );
    assert!(
        t.contains("list_groups  \"List groups\"  scope read_all"),
        "{t}"
    );
    assert!(
        t.contains("access:directory/requests@0.1.0  granted by the manifest"),
        "{t}"
    );
    let run = plugins(&["list", "--plugins-dir", d], &[]);
    assert_eq!(run.code, 2);
    let hostile = run
        .stdout
        .lines()
        .find(|l| l.starts_with("hostile"))
        .expect("hostile line");
    assert!(
        hostile.contains("REFUSED") && hostile.contains("access:directory/requests@0.1.0"),
        "{hostile}"
    );

    // A plugin the registry refuses (a tool name another plugin serves) is
    // reported refused, with what the loader made of it.
    dir.remove("hostile");
    dir.add("trivial", &fixture_component("trivial_plugin"), &[]);
    dir.add("zz-trivial", &fixture_component("trivial_plugin"), &[]);
    let run = audit_json(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = by_name(&run.json());
    assert_eq!(report["trivial"]["status"], "loaded");
    let copy = &report["zz-trivial"];
    assert_eq!(copy["status"], "refused");
    assert_eq!(copy["error"]["kind"], "duplicate-tool");
    assert_eq!(
        copy["error"]["message"],
        "tool `echo` is exported by both `trivial` and `zz-trivial`; `zz-trivial` is not loaded"
    );
    assert_eq!(copy["tools"][0]["name"], "echo");
    assert_eq!(
        copy["component_sha256"],
        report["trivial"]["component_sha256"]
    );

    // A folder that cannot be read is an error (1), not a report.
    let run = plugins(&["list", "--plugins-dir", "/nonexistent/plugins"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("/nonexistent/plugins"),
        "{}",
        run.stderr
    );
}

struct Key {
    id: String,
    private: std::path::PathBuf,
}

fn keygen(out: &Path) -> Key {
    let run = plugins(&["keygen", "--out", out.to_str().expect("utf-8")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("key id "))
        .expect("key id line")
        .to_string();
    assert_eq!(id.len(), 16);
    assert!(out.join(format!("{id}.pub")).exists());
    Key {
        private: out.join(format!("{id}.key")),
        id,
    }
}

fn sign(key: &Key, manifest: &Path) {
    let run = plugins(
        &[
            "sign",
            "--key",
            key.private.to_str().expect("utf-8"),
            "--plugin",
            manifest.to_str().expect("utf-8"),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&key.id), "{}", run.stdout);
}

/// `verify` and `audit --require-signed` on `dir`: the plugin `bad` (if any) is
/// reported with `needle` and refused with `kind`; every other plugin is valid
/// and keeps loading.
fn check(dir: &Path, trusted: &Path, key: &Key, bad: Option<(&str, &str, &str)>) {
    let d = dir.to_str().expect("utf-8");
    let t = trusted.to_str().expect("utf-8");
    let verify = plugins(&["verify", "--plugins-dir", d, "--trusted-keys", t], &[]);
    let audit = plugins(
        &["audit", "--json", "--plugins-dir", d],
        &[
            ("ACCESS_MCP_TRUSTED_KEYS", t),
            ("ACCESS_MCP_REQUIRE_SIGNED", "true"),
        ],
    );
    let expected = if bad.is_some() { 2 } else { 0 };
    assert_eq!(
        verify.code, expected,
        "verify: {}{}",
        verify.stdout, verify.stderr
    );
    assert_eq!(audit.code, expected, "audit: {}", audit.stderr);
    let report = audit.json();
    assert_eq!(report["signatures"]["required"], true);
    assert_eq!(report["signatures"]["trusted_keys"], json!([key.id]));
    for (name, p) in by_name(&report) {
        let line = verify
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name}.toml ")))
            .unwrap_or_else(|| panic!("no verify line for {name}: {}", verify.stdout));
        match bad {
            Some((bad_name, kind, needle)) if bad_name == name => {
                assert!(line.contains(needle), "verify {name}: {line}");
                assert_eq!(p["status"], "refused", "{name}: {p}");
                assert_eq!(p["error"]["kind"], kind, "{name}: {p}");
                assert!(p["tools"].is_null(), "refused before it was compiled: {p}");
            }
            _ => {
                assert!(line.contains(&format!("valid (key {})", key.id)), "{line}");
                assert_eq!(p["status"], "loaded", "{name}: {p}");
                assert_eq!(
                    p["signature"],
                    json!({"status": "valid", "key_id": key.id, "reason": null})
                );
            }
        }
    }
}

#[test]
fn signed_plugins_load_and_tampered_widened_untrusted_or_unsigned_ones_are_refused() {
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keygen(&keys.path().join("trusted"));
    let stranger = keygen(&keys.path().join("other"));
    let trusted = keys.path().join("trusted");
    let dir = PluginDir::with_built_plugins();
    let manifest = |n: &str| dir.path().join(format!("{n}.toml"));
    let names = ["access-prompts", "access-reads", "access-requests"];

    // Before signing: all unsigned, which verify counts as a problem.
    let verify = plugins(
        &["verify", "--plugins-dir", dir.path().to_str().unwrap()],
        &[("ACCESS_MCP_TRUSTED_KEYS", trusted.to_str().unwrap())],
    );
    assert_eq!(verify.code, 2);
    assert_eq!(
        verify.stdout.matches(" unsigned").count(),
        3,
        "{}",
        verify.stdout
    );
    // Requiring signatures with no trusted key is refused outright.
    let run = plugins(
        &[
            "audit",
            "--plugins-dir",
            dir.path().to_str().unwrap(),
            "--require-signed",
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no trusted key"), "{}", run.stderr);

    for n in names {
        sign(&key, &manifest(n));
        assert!(dir.path().join(format!("{n}.sig")).exists());
    }
    check(dir.path(), &trusted, &key, None);
    // A single trusted key file works as well as a folder of them.
    check(
        dir.path(),
        &trusted.join(format!("{}.pub", key.id)),
        &key,
        None,
    );

    // A tampered component: another (valid) component under the signed name.
    let reads = dir.path().join("access-reads.wasm");
    let original = std::fs::read(&reads).expect("read component");
    std::fs::copy(fixture_component("trivial_plugin"), &reads).expect("swap component");
    check(
        dir.path(),
        &trusted,
        &key,
        Some((
            "access-reads",
            "bad-signature",
            "the component changed since it was signed",
        )),
    );
    // Without --require-signed the same plugin loads, and its status is reported.
    let report = audit_json(dir.path(), &["--trusted-keys", trusted.to_str().unwrap()]).json();
    let p = &by_name(&report)["access-reads"];
    assert_eq!(p["status"], "loaded");
    assert_eq!(
        p["signature"],
        json!({"status": "invalid", "key_id": key.id, "reason": "the component changed since it was signed"})
    );
    std::fs::write(&reads, &original).expect("restore component");
    check(dir.path(), &trusted, &key, None);

    // A manifest edited to widen its grants.
    let prompts = manifest("access-prompts");
    let text = std::fs::read_to_string(&prompts).expect("manifest");
    assert!(text.contains("grants = []"));
    std::fs::write(
        &prompts,
        text.replace("grants = []", "grants = [\"access:directory/requests\"]"),
    )
    .expect("widen");
    check(
        dir.path(),
        &trusted,
        &key,
        Some((
            "access-prompts",
            "bad-signature",
            "the manifest changed since it was signed",
        )),
    );
    std::fs::write(&prompts, &text).expect("restore manifest");
    check(dir.path(), &trusted, &key, None);

    // Signed by a key that is not trusted.
    sign(&stranger, &manifest("access-requests"));
    check(
        dir.path(),
        &trusted,
        &key,
        Some((
            "access-requests",
            "untrusted-key",
            &format!("signed by untrusted key {}", stranger.id),
        )),
    );
    let report = audit_json(
        dir.path(),
        &[
            "--trusted-keys",
            trusted.to_str().unwrap(),
            "--require-signed",
        ],
    )
    .json();
    let msg = by_name(&report)["access-requests"]["error"]["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(
        msg.contains(&stranger.id) && msg.contains("not a trusted key"),
        "{msg}"
    );
    sign(&key, &manifest("access-requests"));
    check(dir.path(), &trusted, &key, None);

    // Unsigned.
    std::fs::remove_file(dir.path().join("access-reads.sig")).expect("remove sig");
    check(
        dir.path(),
        &trusted,
        &key,
        Some(("access-reads", "unsigned", "unsigned")),
    );
    let report = audit_json(
        dir.path(),
        &[
            "--trusted-keys",
            trusted.to_str().unwrap(),
            "--require-signed",
        ],
    )
    .json();
    let msg = by_name(&report)["access-reads"]["error"]["message"]
        .as_str()
        .expect("message")
        .to_string();
    assert!(msg.contains("unsigned (no access-reads.sig"), "{msg}");

    // A public key is not a signing key.
    let run = plugins(
        &[
            "sign",
            "--key",
            trusted.join(format!("{}.pub", key.id)).to_str().unwrap(),
            "--plugin",
            manifest("access-reads").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(!dir.path().join("access-reads.sig").exists());
}
