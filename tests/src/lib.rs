//! Harness for the end-to-end tests: start the real `access-mcp` binary (built by
//! `.ci/build`) on a free loopback port with its own database and plugin folder,
//! and talk to it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub mod fuzz;
pub mod idp;
pub mod otlp;
pub mod pg;
pub mod redis;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The release binary `.ci/build` produced.
pub fn binary() -> PathBuf {
    let b = target().join("release").join("access-mcp");
    assert!(
        b.exists(),
        "{} is missing: run .ci/build first",
        b.display()
    );
    b
}

/// The generic host of the tests (`tests/fixtures/generic-host`: `mcp-host`
/// with the key-value test capability and no Access), built by `.ci/build`.
pub fn generic_binary() -> PathBuf {
    let b = target().join("release").join("generic-host");
    assert!(
        b.exists(),
        "{} is missing: run .ci/build first",
        b.display()
    );
    b
}

/// Plugins `.ci/build` leaves beside the default folder (`target/extra-plugins`:
/// the conformance plugin), each component with its manifest.
pub fn extra_plugins() -> PathBuf {
    target().join("extra-plugins")
}

/// The assembled plugin folder (`target/plugins`).
pub fn built_plugins() -> PathBuf {
    let p = target().join("plugins");
    assert!(
        p.join("access-reads.toml").exists(),
        "{} is missing: run .ci/build first",
        p.display()
    );
    p
}

/// A component built for the tests (e.g. `hostile_plugin`).
pub fn fixture_component(crate_name: &str) -> PathBuf {
    let p = target()
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{crate_name}.wasm"));
    assert!(
        p.exists(),
        "{} is missing: run .ci/build first",
        p.display()
    );
    p
}

/// A plugin folder for one test, made from pieces.
pub struct PluginDir {
    pub dir: tempfile::TempDir,
}

impl PluginDir {
    pub fn empty() -> Self {
        PluginDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A copy of the built plugins folder.
    pub fn with_built_plugins() -> Self {
        let d = Self::empty();
        for entry in std::fs::read_dir(built_plugins()).expect("read target/plugins") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, d.path().join(path.file_name().expect("name")))
                .expect("copy plugin");
        }
        d
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Add a component under `name` with a manifest granting `grants`.
    pub fn add(&self, name: &str, component: &Path, grants: &[&str]) {
        std::fs::copy(component, self.path().join(format!("{name}.wasm"))).expect("copy component");
        let grants: Vec<String> = grants.iter().map(|g| format!("\"{g}\"")).collect();
        std::fs::write(
            self.path().join(format!("{name}.toml")),
            format!(
                "name = \"{name}\"\nversion = \"0.0.1\"\ngrants = [{}]\n",
                grants.join(", ")
            ),
        )
        .expect("write manifest");
    }

    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.path().join(format!("{name}.toml")));
        let _ = std::fs::remove_file(self.path().join(format!("{name}.wasm")));
    }
}

/// A running `access-mcp serve`, killed on drop.
pub struct Server {
    child: Child,
    pub url: String,
    logs: Arc<Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

pub struct ServerOptions<'a> {
    pub plugins: &'a Path,
    pub env: Vec<(String, String)>,
}

impl Server {
    pub fn start(plugins: &Path) -> Server {
        Self::start_with(ServerOptions {
            plugins,
            env: Vec::new(),
        })
    }

    /// Start on `plugins` with these environment variables (`(name, value)`).
    pub fn start_env(plugins: &Path, pairs: &[(&str, &str)]) -> Server {
        Self::start_with(ServerOptions {
            plugins,
            env: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    pub fn start_with(opts: ServerOptions<'_>) -> Server {
        Self::start_program(&binary(), opts)
    }

    /// Start another host binary built on `mcp-host` (its `serve` reads the
    /// same host settings), e.g. the generic host of the tests.
    pub fn start_program(program: &Path, opts: ServerOptions<'_>) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        let mut cmd = serve_command(program, opts.plugins, data.path());
        cmd.env("ACCESS_MCP_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("ENV", "development")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Tests that are not about signatures load unsigned plugins, also
        // with ENV=production (boundary.rs checks the production default).
        let about_signatures = opts
            .env
            .iter()
            .any(|(k, _)| k == "ACCESS_MCP_REQUIRE_SIGNED" || k == "ACCESS_MCP_TRUSTED_KEYS");
        if !about_signatures {
            cmd.env("ACCESS_MCP_REQUIRE_SIGNED", "false");
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn access-mcp");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("mcp host serving") {
                    let _ = tx.send(line.clone());
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "access-mcp did not start; logs:\n{}",
                    logs.lock().expect("lock").join("\n")
                );
            }
        };
        let url = match serde_json::from_str::<Value>(&line) {
            Ok(v) => v["fields"]["url"].as_str().expect("url field").to_string(),
            // The text log format: `… url=http://127.0.0.1:port/mcp …`.
            Err(_) => line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("url="))
                .expect("url= in the serving line")
                .to_string(),
        };
        Server {
            child,
            url,
            logs,
            _data: data,
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().expect("lock").join("\n")
    }

    /// Wait until a log line contains `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.logs().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// The embedded demo database this server was started on (when
    /// `DATABASE_URI` was not given).
    pub fn demo_db(&self) -> PathBuf {
        self._data.path().join("demo.db")
    }

    /// `http://127.0.0.1:port` (the URL without `/mcp`).
    pub fn base(&self) -> String {
        self.url.trim_end_matches("/mcp").to_string()
    }

    /// Peak resident memory so far of the server process, in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `access-mcp serve` on a free loopback port with `plugins`, its demo
/// database in `data`, and nothing from this process's environment but PATH.
fn serve_command(program: &Path, plugins: &Path, data: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ACCESS_MCP_LISTEN", "127.0.0.1:0")
        .env("ACCESS_MCP_PLUGINS_DIR", plugins)
        .env("ACCESS_MCP_DEMO_DB", data.join("demo.db"))
        .env("ACCESS_MCP_CACHE_DIR", target().join("test-compile-cache"));
    cmd
}

/// Run `access-mcp serve` on `plugins` with `env` and expect it to refuse to
/// start; returns what it printed on stderr.
pub fn start_fails(plugins: &Path, env: &[(&str, &str)]) -> String {
    let data = tempfile::tempdir().expect("tempdir");
    let mut cmd = serve_command(&binary(), plugins, data.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run access-mcp");
    assert!(
        !out.status.success(),
        "expected a refusal to start; stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// One integer from a SQLite database file (a count, say).
pub fn sqlite_count(db: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the demo database");
    c.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// A minimal JSON-RPC client over stateless Streamable HTTP (JSON responses).
pub struct Client {
    pub url: String,
    http: reqwest::blocking::Client,
    next_id: u64,
}

impl Client {
    pub fn new(url: &str) -> Client {
        Client {
            url: url.to_string(),
            http: reqwest::blocking::Client::new(),
            next_id: 1,
        }
    }

    /// POST one JSON-RPC request; returns the HTTP status and the parsed body.
    pub fn raw(&self, body: &str) -> (u16, String) {
        let r = self
            .http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body.to_string())
            .send()
            .expect("POST /mcp");
        let status = r.status().as_u16();
        (status, r.text().unwrap_or_default())
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let (status, text) = self.raw(&body.to_string());
        assert_eq!(status, 200, "{method}: HTTP {status}: {text}");
        parse_body(&text)
    }

    /// `tools/call`; returns the JSON-RPC `result` (panics on a JSON-RPC error).
    /// The names `tools/list` gives.
    pub fn tool_names(&mut self) -> Vec<String> {
        let v = self.request("tools/list", json!({}));
        v["result"]["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let v = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        assert!(v.get("error").is_none(), "{name}: JSON-RPC error {v}");
        v["result"].clone()
    }
}

/// Fill the database `uri` names with Access's schema and the demo
/// organisation, as `access-mcp demo` does.
pub fn create_demo(uri: &str) {
    let out = Command::new(binary())
        .args(["demo", "--database-uri", uri])
        .output()
        .expect("run access-mcp demo");
    assert!(
        out.status.success(),
        "access-mcp demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One `tools/call` of protocol 2026-07-28 (no session) to `url`: `params`
/// are the call's parameters (name, arguments, and any `requestState` and
/// `inputResponses`), `caps` the client's capabilities as JSON text.
pub fn call_2026(url: &str, token: Option<&str>, params: Value, caps: &str) -> Value {
    call_2026_with(url, token, params, caps, &[])
}

/// [`call_2026`] with more request headers (`(name, value)`, e.g. a `traceparent`).
pub fn call_2026_with(
    url: &str,
    token: Option<&str>,
    mut params: Value,
    caps: &str,
    headers: &[(&str, &str)],
) -> Value {
    let tool = params["name"].as_str().unwrap_or_default().to_string();
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": serde_json::from_str::<Value>(caps).expect("caps"),
        "io.modelcontextprotocol/clientInfo": {"name": "e2e-test", "version": "0"}
    });
    let mut req = reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", tool);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let r = req
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
                .to_string(),
        )
        .send()
        .expect("POST");
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    assert_eq!(status, 200, "{text}");
    parse_body(&text)
}

/// A JSON body, or the last `data:` event of an SSE body.
pub fn parse_body(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str(text) {
        return v;
    }
    text.lines()
        .rev()
        .filter_map(|l| l.strip_prefix("data:"))
        .find_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .unwrap_or_else(|| panic!("unparseable body: {text}"))
}

/// The Python interpreter of the test virtualenv (with the official `mcp` SDK).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ACCESS_MCP_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = target().join("venv").join("bin").join("python");
    assert!(
        p.exists(),
        "{} is missing: run .ci/test (it creates the test virtualenv)",
        p.display()
    );
    p
}

/// The conformance suite's CLI installed by `.ci/test`.
pub fn conformance_cli() -> PathBuf {
    let p = target()
        .join("node")
        .join("node_modules")
        .join(".bin")
        .join("conformance");
    assert!(
        p.exists(),
        "{} is missing: run .ci/test (it installs the conformance suite)",
        p.display()
    );
    p
}
