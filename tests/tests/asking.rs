//! Plugins that talk to their client during a call (contract 0.2's
//! `notify`, `sampling` and `elicitation`): through the official Python and
//! TypeScript SDKs on both paths (the 2026-07-28 input-required retry and a
//! legacy session's server-to-client requests), and against a hostile
//! plugin: no grant, no asking or notifying; floods and repeated asks bounded.

use std::process::Command;

use access_mcp_e2e::{PluginDir, Server, call_2026, fixture_component, python, root, target};
use serde_json::{Value, json};

const ALL_GRANTS: &[&str] = &[
    "mcp:plugin/notify",
    "mcp:plugin/sampling",
    "mcp:plugin/elicitation",
];

fn chatty(grants: &[&str]) -> PluginDir {
    let plugins = PluginDir::empty();
    plugins.add("chatty", &fixture_component("chatty_plugin"), grants);
    plugins
}

fn stateful(plugins: &PluginDir) -> Server {
    Server::start_env(plugins.path(), &[("ACCESS_MCP_STATEFUL", "true")])
}

/// Run one SDK client script and parse the JSON it prints.
fn run_client(program: &str, script: &str, server: &Server, mode: &str) -> Value {
    let mut cmd = Command::new(program);
    if program == "node" {
        // The TypeScript SDK installed by .ci/test (project-local).
        cmd.env("NODE_MODULES", target().join("node").join("node_modules"));
    }
    let out = cmd
        .arg(root().join("tests/clients").join(script))
        .args([server.url.as_str(), mode])
        .output()
        .expect("run the client");
    assert!(
        out.status.success(),
        "{script} {mode} failed:\n{}\n{}\nserver logs:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.logs()
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn python_and_typescript_sdks_answer_sampling_and_elicitation_on_both_paths() {
    let plugins = chatty(ALL_GRANTS);
    let server = stateful(&plugins);
    let python = python();
    let python = python.to_str().expect("utf-8 path");
    for (program, script, model) in [
        (python, "python_ask.py", "py-test-model: hello from Python"),
        ("node", "ts_ask.mjs", "ts-test-model: hello from TypeScript"),
    ] {
        for mode in ["modern", "legacy"] {
            let v = run_client(program, script, &server, mode);
            let what = format!("{script} {mode}: {v}");
            assert_eq!(v["is_error"], false, "{what}");
            assert_eq!(
                v["asked"],
                json!(["sampling:Say hello", "elicitation:What is your answer?"]),
                "each question asked once, in order: {what}"
            );
            assert_eq!(v["structured"]["sampled"]["Ok"], model, "{what}");
            assert_eq!(
                v["structured"]["elicited"]["Ok"], r#"accept {"answer":"forty-two"}"#,
                "{what}"
            );
            let version = v["protocol_version"].as_str().unwrap_or_default();
            if mode == "legacy" {
                assert!(version.starts_with("2025"), "{what}");
            } else {
                assert_eq!(version, "2026-07-28", "{what}");
            }
        }
    }
}

/// The retry of 2026-07-28 by hand: each round asks one question, its
/// `requestState` carries the answers so far, and is good for one retry.
#[test]
fn each_input_required_round_asks_one_question_and_its_state_is_spent_once() {
    let plugins = chatty(ALL_GRANTS);
    let server = Server::start(plugins.path());
    let caps = r#"{"sampling": {}, "elicitation": {}}"#;
    let call = |extra: Value| {
        let mut params = json!({"name": "sample_then_elicit", "arguments": {}});
        if let (Some(p), Value::Object(e)) = (params.as_object_mut(), extra) {
            p.extend(e);
        }
        call_2026(&server.url, None, params, caps)
    };
    let first = call(json!({}));
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    assert_eq!(
        result["inputRequests"]["ask_0"]["method"], "sampling/createMessage",
        "{first}"
    );
    assert_eq!(
        result["inputRequests"]["ask_0"]["params"]["messages"][0]["content"]["text"],
        "Say hello"
    );
    let state = result["requestState"].as_str().expect("state").to_string();
    let sampled =
        json!({"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m"});
    let second = call(json!({"requestState": state, "inputResponses": {"ask_0": sampled}}));
    let result = &second["result"];
    assert_eq!(result["resultType"], "input_required", "{second}");
    assert_eq!(
        result["inputRequests"]["ask_1"]["method"],
        "elicitation/create"
    );
    let state2 = result["requestState"].as_str().expect("state").to_string();
    let answer = json!({"action": "decline"});
    let done = call(json!({"requestState": state2, "inputResponses": {"ask_1": answer}}));
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert_eq!(
        done["result"]["structuredContent"]["sampled"]["Ok"],
        "m: hi"
    );
    assert_eq!(
        done["result"]["structuredContent"]["elicited"]["Ok"],
        "decline "
    );
    // The first state again: refused (spent), nothing run.
    let again = call(json!({"requestState": state, "inputResponses": {"ask_0": sampled}}));
    assert_eq!(again["result"]["isError"], true, "{again}");
    assert!(again.to_string().contains("already used"), "{again}");
    // A client without the capabilities is not asked: the plugin hears why.
    let plain = call_2026(
        &server.url,
        None,
        json!({"name": "sample_then_elicit", "arguments": {}}),
        "{}",
    );
    let text = plain["result"]["structuredContent"].to_string();
    assert!(text.contains("`sampling` capability"), "{plain}");
    assert!(text.contains("`elicitation` capability"), "{plain}");
}

#[test]
fn a_plugin_without_the_grants_is_not_loaded_and_the_audit_names_each_interface() {
    // Only notify granted: the component imports sampling too, so it is refused.
    for grants in [&[][..], &["mcp:plugin/notify"][..]] {
        let plugins = chatty(grants);
        let server = Server::start(plugins.path());
        let logs = server.logs();
        assert!(logs.contains("plugin not loaded"), "{logs}");
        assert!(logs.contains("which its manifest does not grant"), "{logs}");
        assert!(
            !server.client().tool_names().contains(&"flood".to_string()),
            "a refused plugin serves nothing"
        );
    }
    // `plugins audit` lists the three as grantable interfaces.
    let plugins = chatty(ALL_GRANTS);
    let out = Command::new(access_mcp_e2e::binary())
        .args(["plugins", "audit", "--json", "--plugins-dir"])
        .arg(plugins.path())
        .env("ACCESS_MCP_CACHE_DIR", target().join("test-compile-cache"))
        .output()
        .expect("audit");
    let report: Value = serde_json::from_slice(&out.stdout).expect("audit JSON");
    let names: Vec<&str> = report["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for grant in ALL_GRANTS {
        assert!(names.contains(grant), "{grant} missing from {names:?}");
    }
    let chatty = &report["plugins"][0];
    assert_eq!(chatty["status"], "loaded", "{report}");
    let linked = chatty["linked"].to_string();
    for grant in ALL_GRANTS {
        assert!(linked.contains(grant), "{grant} not linked: {linked}");
    }
}

#[test]
fn floods_of_notifications_and_asks_are_bounded_per_call() {
    let plugins = chatty(ALL_GRANTS);
    let server = Server::start(plugins.path());
    // 500 log messages and 500 progress notifications asked for, with a
    // progress token: 100 in all delivered (on the POST's event stream), the
    // call still answers.
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "flood", "arguments": {"n": 500}, "_meta": {"progressToken": "p1"}}});
    let (status, text) = server.client().raw(&body.to_string());
    assert_eq!(status, 200, "{text}");
    let events = |method: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .filter(|m| m["method"] == method)
            .count() as u64
    };
    let r = access_mcp_e2e::parse_body(&text)["result"].clone();
    assert_eq!(r["isError"], false, "{r}");
    let logs = r["structuredContent"]["logs_sent"].as_u64().expect("logs");
    let progress = r["structuredContent"]["progress_sent"]
        .as_u64()
        .expect("progress");
    assert_eq!((logs, progress), (50, 50), "{r}");
    assert_eq!(events("notifications/message"), logs);
    assert_eq!(events("notifications/progress"), progress);
    assert!(
        server.wait_for_log("the rest are dropped", std::time::Duration::from_secs(5)),
        "{}",
        server.logs()
    );
    // Twenty questions: eight are asked (through the retry), the rest refused.
    let caps = r#"{"elicitation": {}}"#;
    let mut params = json!({"name": "ask_n_times", "arguments": {"n": 20}});
    let mut rounds = 0;
    let done = loop {
        let v = call_2026(&server.url, None, params.clone(), caps);
        if v["result"]["resultType"] != "input_required" {
            break v;
        }
        rounds += 1;
        assert!(rounds <= 8, "more rounds than asks allowed: {v}");
        let (key, _) = v["result"]["inputRequests"]
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("one request");
        params["requestState"] = v["result"]["requestState"].clone();
        params["inputResponses"] =
            json!({key.clone(): {"action": "accept", "content": {"answer": "a"}}});
    };
    assert_eq!(rounds, 8, "{done}");
    let s = &done["result"]["structuredContent"];
    assert_eq!(s["answered"], 8, "{done}");
    assert_eq!(s["refused"].as_array().map(Vec::len), Some(12), "{done}");
    assert!(
        s["refused"][0]
            .as_str()
            .unwrap_or_default()
            .contains("the most one call may")
    );
}

/// One legacy session, by hand: its id, and a POST helper.
struct Session {
    url: String,
    id: String,
    http: reqwest::blocking::Client,
}

impl Session {
    fn open(url: &str) -> Session {
        let http = reqwest::blocking::Client::new();
        let r = http
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(
                json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}}})
                .to_string(),
            )
            .send()
            .expect("initialize");
        let id = r
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .expect("a session id")
            .to_string();
        let s = Session {
            url: url.to_string(),
            id,
            http,
        };
        s.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        s
    }

    fn post(&self, body: Value) -> String {
        self.http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("Mcp-Session-Id", &self.id)
            .header("MCP-Protocol-Version", "2025-11-25")
            .body(body.to_string())
            .send()
            .expect("POST")
            .text()
            .unwrap_or_default()
    }

    fn logs_sent(&self, n: u64) -> u64 {
        let text = self.post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "flood", "arguments": {"n": n}}}));
        let r = access_mcp_e2e::parse_body(&text);
        r["result"]["structuredContent"]["logs_sent"]
            .as_u64()
            .unwrap_or_else(|| panic!("{text}"))
    }
}

#[test]
fn log_messages_honour_the_level_a_session_sets() {
    let plugins = chatty(ALL_GRANTS);
    let server = stateful(&plugins);
    let session = Session::open(&server.url);
    // Info until the client sets a level: the plugin's info messages go out.
    assert_eq!(session.logs_sent(3), 3);
    session.post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "logging/setLevel",
        "params": {"level": "error"}}),
    );
    assert_eq!(session.logs_sent(3), 0, "info is below error");
    session.post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "logging/setLevel",
        "params": {"level": "debug"}}),
    );
    assert_eq!(session.logs_sent(3), 3);
}

/// The conformance plugin alone, its manifest granting what it imports.
fn conformance_only() -> PluginDir {
    let plugins = PluginDir::empty();
    for file in ["conformance.wasm", "conformance.toml"] {
        std::fs::copy(
            access_mcp_e2e::extra_plugins().join(file),
            plugins.path().join(file),
        )
        .expect("copy the conformance plugin (run .ci/build)");
    }
    plugins
}

#[test]
fn a_plugin_tells_subscribed_sessions_its_resource_changed_and_only_its_own() {
    use std::io::BufRead;
    let plugins = conformance_only();
    let server = stateful(&plugins);
    let session = Session::open(&server.url);
    // The session's standing stream, where resource updates arrive.
    let stream = session
        .http
        .get(&server.url)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", &session.id)
        .header("MCP-Protocol-Version", "2025-11-25")
        .send()
        .expect("GET stream");
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if let Some(v) = line
                .strip_prefix("data:")
                .and_then(|d| serde_json::from_str::<Value>(d.trim()).ok())
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    let told = |uri: &str| {
        let text = session.post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "notify_resource_updated", "arguments": {"uri": uri}}}));
        access_mcp_e2e::parse_body(&text)["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{text}"))
            .to_string()
    };
    let updated = |uri: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(v) if v["method"] == "notifications/resources/updated" => {
                    return v["params"]["uri"] == uri;
                }
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    };
    // Not subscribed yet: nobody to tell.
    assert_eq!(told("test://static-text"), "subscribers told: false");
    let sub = session.post(
        json!({"jsonrpc": "2.0", "id": 4, "method": "resources/subscribe",
        "params": {"uri": "test://static-text"}}),
    );
    assert!(
        access_mcp_e2e::parse_body(&sub).get("error").is_none(),
        "{sub}"
    );
    assert_eq!(told("test://static-text"), "subscribers told: true");
    assert!(
        updated("test://static-text"),
        "no notifications/resources/updated arrived"
    );
    // A URI the plugin does not serve: refused, nothing sent.
    assert_eq!(
        told("access://users/someone-else"),
        "subscribers told: false"
    );
    assert!(
        server.wait_for_log(
            "a resource it does not serve",
            std::time::Duration::from_secs(5)
        ),
        "{}",
        server.logs()
    );
    session.post(
        json!({"jsonrpc": "2.0", "id": 5, "method": "resources/unsubscribe",
        "params": {"uri": "test://static-text"}}),
    );
    assert_eq!(told("test://static-text"), "subscribers told: false");
}

#[test]
fn a_resource_uri_belongs_to_one_plugin() {
    let plugins = conformance_only();
    // A second plugin serving the same resources (the same component under
    // another name, so its tools collide too: the resources are checked first).
    std::fs::copy(
        plugins.path().join("conformance.wasm"),
        plugins.path().join("shadow.wasm"),
    )
    .expect("copy");
    let manifest = std::fs::read_to_string(plugins.path().join("conformance.toml"))
        .expect("manifest")
        .replace("name = \"conformance\"", "name = \"shadow\"")
        .replace("conformance.wasm", "shadow.wasm");
    std::fs::write(plugins.path().join("shadow.toml"), manifest).expect("write");
    // At startup a collision is fatal, as for tools (hot reload keeps the first).
    let refusal = access_mcp_e2e::start_fails(plugins.path(), &[]);
    assert!(
        refusal.contains("resource `test://")
            && refusal
                .contains("is served by both `conformance` and `shadow`; `shadow` is not loaded"),
        "{refusal}"
    );
}
