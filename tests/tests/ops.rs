//! Operator surface: /metrics, /healthz, /readyz and graceful shutdown, through
//! the real binary.

use std::time::{Duration, Instant};

use access_mcp_e2e::{Client, PluginDir, Server, ServerOptions, fixture_component};
use serde_json::json;

fn get(url: &str) -> (u16, String) {
    let r = reqwest::blocking::get(url).expect("GET");
    (r.status().as_u16(), r.text().unwrap_or_default())
}

/// The value of one sample line `name{labels} value` in a Prometheus exposition.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_count_calls_faults_and_auth_failures() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add(
        "hostile",
        &fixture_component("hostile_plugin"),
        &[
            "access:directory/reads",
            "access:directory/permissions",
            "access:directory/requests",
        ],
    );
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![("ACCESS_MCP_PLUGIN_DEADLINE_MS".into(), "300".into())],
    });
    let base = server.url.trim_end_matches("/mcp").to_string();
    let mut c = server.client();
    for _ in 0..3 {
        c.call_tool("list_groups", json!({"size": 1}));
    }
    c.call_tool("get_group", json!({"group_id_or_name": "no-such-group"}));
    c.call_tool("panic", json!({}));
    c.call_tool("spin", json!({}));
    let (status, text) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200);
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_tool_calls_total{tool="list_groups",outcome="ok"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_tool_calls_total{tool="get_group",outcome="tool_error"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_plugin_faults_total{plugin="hostile",kind="trap"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_plugin_faults_total{plugin="hostile",kind="deadline"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_tool_call_duration_seconds_count{tool="list_groups"}"#
        ),
        Some(3.0)
    );
    assert!(sample(&text, r#"access_mcp_db_pool_connections{state="idle"}"#).is_some());
    assert_eq!(sample(&text, "access_mcp_plugins_loaded"), Some(4.0));
    let (status, body) = get(&format!("{base}/readyz"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""status":"ready""#), "{body}");
    assert_eq!(get(&format!("{base}/healthz")).0, 200);
}

#[test]
fn auth_failures_are_counted_by_reason() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![("ENV".into(), "production".into())],
    });
    let c = Client::new(&server.url);
    let (status, _) = c.raw(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert_eq!(status, 401);
    let base = server.url.trim_end_matches("/mcp").to_string();
    let (_, text) = get(&format!("{base}/metrics"));
    assert_eq!(
        sample(
            &text,
            r#"access_mcp_auth_failures_total{reason="no credentials"}"#
        ),
        Some(1.0),
        "{text}"
    );
}

#[test]
fn metrics_can_be_turned_off() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![("ACCESS_MCP_METRICS".into(), "false".into())],
    });
    let base = server.url.trim_end_matches("/mcp").to_string();
    assert_eq!(get(&format!("{base}/metrics")).0, 404);
}

#[test]
fn sigterm_lets_the_call_in_flight_finish_then_exits_zero() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add(
        "hostile",
        &fixture_component("hostile_plugin"),
        &[
            "access:directory/reads",
            "access:directory/permissions",
            "access:directory/requests",
        ],
    );
    let mut server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![("ACCESS_MCP_PLUGIN_DEADLINE_MS".into(), "1500".into())],
    });
    let url = server.url.clone();
    let in_flight = std::thread::spawn(move || {
        Client::new(&url).raw(&json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"spin","arguments":{}}}).to_string())
    });
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let (status, body) = in_flight.join().expect("in-flight call");
    assert_eq!(status, 200, "the call in flight got its answer: {body}");
    assert!(body.contains("exceeded its deadline"), "{body}");
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("exited after SIGTERM");
    assert!(exit.success(), "exit status {exit:?}");
    assert!(signalled.elapsed() < Duration::from_secs(10));
    assert!(server.logs().contains("shutting down"), "{}", server.logs());
}
