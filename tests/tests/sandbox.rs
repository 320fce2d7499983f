//! Hostile plugins are contained: each fault fails that one call with a clear
//! error naming the plugin and the kind of fault, and the next call succeeds.

use std::time::{Duration, Instant};

use access_mcp_e2e::{PluginDir, Server, ServerOptions, fixture_component};
use serde_json::{Value, json};

const ALL_ACCESS: &[&str] = &[
    "access:directory/reads",
    "access:directory/permissions",
    "access:directory/requests",
];

fn hostile_server() -> (PluginDir, Server) {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("hostile", &fixture_component("hostile_plugin"), ALL_ACCESS);
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![
            ("ACCESS_MCP_PLUGIN_DEADLINE_MS".into(), "1000".into()),
            ("ACCESS_MCP_PLUGIN_MEMORY_MIB".into(), "32".into()),
            ("ACCESS_MCP_PLUGIN_OUTPUT_BYTES".into(), "1048576".into()),
        ],
    });
    (plugins, server)
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn assert_fault(result: &Value, needle: &str) {
    assert_eq!(result["isError"], true, "{result}");
    let t = text(result);
    assert!(t.contains("plugin `hostile`"), "names the plugin: {t}");
    assert!(t.contains(needle), "expected `{needle}` in: {t}");
}

fn assert_healthy(client: &mut access_mcp_e2e::Client) {
    let ok = client.call_tool("ok", json!({}));
    assert_eq!(ok["isError"], false, "{ok}");
    assert_eq!(ok["structuredContent"], json!({"ok": true}));
    let groups = client.call_tool("list_groups", json!({"size": 1}));
    assert_eq!(groups["isError"], false, "{groups}");
}

#[test]
fn infinite_loop_hits_the_deadline() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let started = Instant::now();
    let r = c.call_tool("spin", json!({}));
    let took = started.elapsed();
    assert_fault(&r, "exceeded its deadline of 1000 ms");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "took {took:?}"
    );
    assert_healthy(&mut c);
}

#[test]
fn a_spinning_plugin_does_not_block_other_calls() {
    let (_p, server) = hostile_server();
    let url = server.url.clone();
    let spinner = std::thread::spawn(move || {
        let c = access_mcp_e2e::Client::new(&url);
        c.raw(&json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"spin","arguments":{}}}).to_string())
    });
    std::thread::sleep(Duration::from_millis(100));
    let mut c = server.client();
    let started = Instant::now();
    assert_healthy(&mut c);
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "healthy calls waited {:?}",
        started.elapsed()
    );
    let (status, _) = spinner.join().expect("spinner thread");
    assert_eq!(status, 200);
}

#[test]
fn unbounded_memory_growth_hits_the_cap() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("grow", json!({}));
    assert_fault(&r, "exceeded its memory cap of 32 MiB");
    assert_healthy(&mut c);
}

#[test]
fn a_panic_is_a_trap() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("panic", json!({}));
    assert_fault(&r, "trapped");
    assert_healthy(&mut c);
}

#[test]
fn a_huge_result_hits_the_output_cap() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("huge", json!({}));
    assert_fault(&r, "over the output cap of 1048576 bytes");
    assert_healthy(&mut c);
}

#[test]
fn malformed_output_is_refused() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("malformed", json!({}));
    assert_fault(&r, "malformed output");
    assert_healthy(&mut c);
}

#[test]
fn no_state_survives_between_calls() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    for _ in 0..3 {
        let r = c.call_tool("counter", json!({}));
        assert_eq!(text(&r), "1", "a fresh instance per call: {r}");
    }
}

#[test]
fn no_filesystem_environment_or_network() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("escape", json!({}));
    let v: Value = serde_json::from_str(&text(&r)).expect("escape reports JSON");
    assert_eq!(v, json!({"file": false, "env": 0, "net": false}));
}

#[test]
fn an_oversized_id_list_is_a_clear_error_not_a_database_failure() {
    let (_p, server) = hostile_server();
    let mut c = server.client();
    let r = c.call_tool("many_ids", json!({}));
    assert_eq!(
        text(&r),
        r#"refused: HostError::Invalid("at most 5000 ids per call, got 6000")"#
    );
    assert_healthy(&mut c);
}

#[test]
fn an_import_the_manifest_does_not_grant_fails_to_load() {
    let plugins = PluginDir::with_built_plugins();
    // The component imports access:directory/requests; this manifest grants only reads.
    plugins.add(
        "hostile",
        &fixture_component("hostile_plugin"),
        &["access:directory/reads", "access:directory/permissions"],
    );
    let server = Server::start(plugins.path());
    assert!(
        server.logs().contains("plugin `hostile` imports `access:directory/requests@0.1.0`, which its manifest does not grant"),
        "{}",
        server.logs()
    );
    // The others keep serving; the refused plugin's tools are absent.
    let mut c = server.client();
    let tools = c.request("tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"list_groups"));
    assert!(!names.contains(&"spin"));
    assert_eq!(
        c.call_tool("list_groups", json!({"size": 1}))["isError"],
        false
    );
}
