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

pub mod idp;

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

    pub fn start_with(opts: ServerOptions<'_>) -> Server {
        let data = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ACCESS_MCP_LISTEN", "127.0.0.1:0")
            .env("ACCESS_MCP_PLUGINS_DIR", opts.plugins)
            .env("ACCESS_MCP_DEMO_DB", data.path().join("demo.db"))
            .env("ACCESS_MCP_CACHE_DIR", target().join("test-compile-cache"))
            .env("ACCESS_MCP_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("ENV", "development")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
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
                if line.contains("access-mcp serving") {
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
        let v: Value = serde_json::from_str(&line).expect("json log line");
        let url = v["fields"]["url"].as_str().expect("url field").to_string();
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
    pub fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        let v = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        assert!(v.get("error").is_none(), "{name}: JSON-RPC error {v}");
        v["result"].clone()
    }
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
