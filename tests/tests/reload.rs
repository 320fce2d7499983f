//! Hot reload through the real binary: plugins added, replaced (also by a
//! broken build) and removed while clients keep calling, with no failed call;
//! a call in flight finishes on the version it started with; session clients
//! get `notifications/tools/list_changed`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use access_mcp_e2e::{Client, PluginDir, Server, ServerOptions, fixture_component};
use serde_json::{Value, json};

const ALL_GRANTS: &[&str] = &[
    "access:directory/reads",
    "access:directory/permissions",
    "access:directory/requests",
];

fn start(plugins: &PluginDir, extra: Vec<(String, String)>) -> Server {
    let mut env = vec![("ACCESS_MCP_PLUGINS_POLL_MS".to_string(), "100".to_string())];
    env.extend(extra);
    Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env,
    })
}

fn tool_names(c: &mut Client) -> Vec<String> {
    let v = c.request("tools/list", json!({}));
    v["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Read an event stream until `needle` appears, it ends, or 25 s pass.
fn read_until(r: &mut impl std::io::Read, needle: &str) -> String {
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(25) {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
        if got.contains(needle) {
            break;
        }
    }
    got
}

/// A client calling one tool in a loop until told to stop; counts calls and failures.
struct Load {
    stop: Arc<AtomicBool>,
    calls: Arc<AtomicU64>,
    failures: Arc<AtomicU64>,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl Load {
    fn start(url: &str, tool: &'static str, args: Value) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(AtomicU64::new(0));
        let (s, n, f) = (stop.clone(), calls.clone(), failures.clone());
        let c = Client::new(url);
        let thread = std::thread::spawn(move || {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": tool, "arguments": args}})
            .to_string();
            let mut seen = Vec::new();
            while !s.load(Ordering::Relaxed) {
                let (status, text) = c.raw(&body);
                n.fetch_add(1, Ordering::Relaxed);
                let bad = status != 200
                    || text.contains(r#""isError":true"#)
                    || text.contains(r#""error":{"#);
                if bad {
                    f.fetch_add(1, Ordering::Relaxed);
                    if seen.len() < 5 {
                        seen.push(format!("{tool}: HTTP {status}: {text}"));
                    }
                }
            }
            seen
        });
        Load {
            stop,
            calls,
            failures,
            thread: Some(thread),
        }
    }

    /// Stop; returns (calls, failures, the first failures seen).
    fn finish(mut self) -> (u64, u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let seen = self
            .thread
            .take()
            .map(|t| t.join().expect("load thread"))
            .unwrap_or_default();
        (
            self.calls.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
            seen,
        )
    }
}

#[test]
fn plugins_are_added_replaced_and_removed_under_load_with_no_failed_call() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(&plugins, Vec::new());
    let mut c = server.client();
    assert_eq!(tool_names(&mut c).len(), 21);

    let loads = vec![
        Load::start(&server.url, "list_groups", json!({"size": 5})),
        Load::start(
            &server.url,
            "get_user",
            json!({"user_id_or_email": "wumpus@discord.com"}),
        ),
    ];

    // Add.
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    wait_until("echo to be served", Duration::from_secs(30), || {
        tool_names(&mut c).contains(&"echo".to_string())
    });
    assert_eq!(
        tool_names(&mut c).len(),
        24,
        "21 + echo + test_error_handling + page"
    );
    let echo = Load::start(&server.url, "echo", json!({"message": "hi"}));

    // Replace: a new version of the same plugin.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(
        plugins.path().join("trivial.toml"),
        "name = \"trivial\"\nversion = \"0.0.2\"\ngrants = []\n",
    )
    .expect("manifest");
    assert!(
        server.wait_for_log("trivial@0.0.2", Duration::from_secs(30)),
        "{}",
        server.logs()
    );

    // Replace with a broken build: the previous version keeps serving.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(plugins.path().join("trivial.wasm"), b"\0asm not really").expect("garbage");
    assert!(
        server.wait_for_log(
            "the previous version keeps serving",
            Duration::from_secs(30)
        ),
        "{}",
        server.logs()
    );
    std::thread::sleep(Duration::from_millis(300));
    let r = c.call_tool("echo", json!({"message": "still here"}));
    assert_ne!(r["isError"], json!(true), "{r}");
    let (echo_calls, echo_failures, seen) = echo.finish();
    assert!(echo_calls > 0);
    assert_eq!(echo_failures, 0, "echo failed during reloads: {seen:?}");

    // Remove.
    plugins.remove("trivial");
    wait_until("echo to be gone", Duration::from_secs(30), || {
        !tool_names(&mut c).contains(&"echo".to_string())
    });
    assert_eq!(tool_names(&mut c).len(), 21);

    for load in loads {
        let (calls, failures, seen) = load.finish();
        assert!(calls > 10, "too few calls under load: {calls}");
        assert_eq!(failures, 0, "{seen:?}");
    }
}

#[test]
fn a_call_in_flight_finishes_on_the_version_it_started_with() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("hostile", &fixture_component("hostile_plugin"), ALL_GRANTS);
    let server = start(&plugins, Vec::new());
    let url = server.url.clone();
    let slow = std::thread::spawn(move || Client::new(&url).call_tool("slow", json!({})));
    std::thread::sleep(Duration::from_millis(300));
    plugins.remove("hostile");
    let mut c = server.client();
    wait_until(
        "the hostile plugin to be gone",
        Duration::from_secs(30),
        || !tool_names(&mut c).contains(&"slow".to_string()),
    );
    let r = slow.join().expect("slow call");
    assert_ne!(r["isError"], json!(true), "{r}");
    assert_eq!(r["structuredContent"], json!({"ok": true}));
    // New calls see the new set.
    let v = c.request("tools/call", json!({"name": "slow", "arguments": {}}));
    assert!(v.get("error").is_some(), "{v}");
}

/// A legacy session client (stateful mode) listening on its GET stream is told
/// when the tool list changes.
#[test]
fn session_clients_get_tools_list_changed() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(
        &plugins,
        vec![("ACCESS_MCP_STATEFUL".into(), "true".into())],
    );
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let init = http
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "reload-test", "version": "0"}}})
            .to_string(),
        )
        .send()
        .expect("initialize");
    assert_eq!(init.status().as_u16(), 200);
    let session = init
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("session id")
        .to_string();
    let _ = init.text();
    let initialized = http
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Session-Id", &session)
        .header("Mcp-Protocol-Version", "2025-06-18")
        .body(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .send()
        .expect("initialized");
    assert!(initialized.status().is_success());

    // Open the session's stream, then change the folder.
    let url = server.url.clone();
    let sid = session.clone();
    let reader = std::thread::spawn(move || {
        let mut r = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
            .get(&url)
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", &sid)
            .header("Mcp-Protocol-Version", "2025-06-18")
            .send()
            .expect("GET stream");
        read_until(&mut r, "notifications/tools/list_changed")
    });
    std::thread::sleep(Duration::from_millis(500));
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let got = reader.join().expect("reader");
    assert!(
        got.contains("notifications/tools/list_changed"),
        "stream: {got}\nlogs: {}",
        server.logs()
    );
}

/// A protocol 2026-07-28 client (no session) asks for the notifications with
/// `subscriptions/listen` and is told when the tool list changes.
#[test]
fn subscribed_2026_clients_get_tools_list_changed() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(&plugins, Vec::new());
    let url = server.url.clone();
    let reader = std::thread::spawn(move || {
        let body = json!({"jsonrpc": "2.0", "id": 9, "method": "subscriptions/listen", "params": {
            "notifications": {"toolsListChanged": true, "promptsListChanged": true},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {},
                      "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "0"}}}});
        let mut r = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
            .post(&url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "subscriptions/listen")
            .body(body.to_string())
            .send()
            .expect("listen");
        read_until(&mut r, "notifications/tools/list_changed")
    });
    std::thread::sleep(Duration::from_millis(500));
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let got = reader.join().expect("reader");
    assert!(
        got.contains("notifications/subscriptions/acknowledged"),
        "stream: {got}"
    );
    assert!(
        got.contains("notifications/tools/list_changed"),
        "stream: {got}\nlogs: {}",
        server.logs()
    );
}
