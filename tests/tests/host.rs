//! The host over HTTP: routing, protocol versions, errors, identity, plugin
//! loading rules.

use std::time::Duration;

use access_mcp_e2e::{PluginDir, Server, ServerOptions, binary, fixture_component};
use serde_json::{Value, json};

fn tool_names(c: &mut access_mcp_e2e::Client) -> Vec<String> {
    let v = c.request("tools/list", json!({}));
    v["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn serves_each_current_protocol_version() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start(plugins.path());
    let c = server.client();
    for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let body = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        let (status, text) = c.raw(&body.to_string());
        assert_eq!(status, 200, "{text}");
        let v = access_mcp_e2e::parse_body(&text);
        assert_eq!(v["result"]["protocolVersion"], version, "{v}");
        assert_eq!(v["result"]["serverInfo"]["name"], "Access");
    }
    // 2026-07-28: no initialize handshake and no session; each request carries
    // its version in a header and in `_meta`.
    let http = reqwest::blocking::Client::new();
    let r = http
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "list_groups")
        .body(
            json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{
                "name": "list_groups", "arguments": {"size": 2},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities": {}}}})
            .to_string(),
        )
        .send()
        .expect("tools/call");
    let status = r.status().as_u16();
    let v = access_mcp_e2e::parse_body(&r.text().expect("body"));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
    assert_eq!(v["result"]["structuredContent"]["size"], 2, "{v}");
}

#[test]
fn bare_mcp_and_trailing_slash_both_work() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start(plugins.path());
    for url in [server.url.clone(), format!("{}/", server.url)] {
        let mut c = access_mcp_e2e::Client::new(&url);
        assert!(
            tool_names(&mut c).contains(&"list_groups".to_string()),
            "{url}"
        );
    }
}

#[test]
fn unknown_tool_is_a_protocol_error_and_bad_json_is_refused() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start(plugins.path());
    let mut c = server.client();
    let v = c.request(
        "tools/call",
        json!({"name": "no_such_tool", "arguments": {}}),
    );
    assert_eq!(v["error"]["code"], -32602, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("no_such_tool")
    );

    let (status, text) = c.raw("{this is not json");
    assert!(
        (400..500).contains(&status),
        "malformed JSON-RPC gets a 4xx: {status} {text}"
    );
    // Still serving.
    assert_eq!(
        c.call_tool("list_groups", json!({"size": 1}))["isError"],
        false
    );
}

#[test]
fn tools_and_prompts_are_the_union_of_the_plugins() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let server = Server::start(plugins.path());
    let mut c = server.client();
    let names = tool_names(&mut c);
    for expected in ["list_groups", "echo", "test_error_handling", "page"] {
        assert!(names.contains(&expected.to_string()), "{names:?}");
    }
    let echoed = c.call_tool("echo", json!({"x": [1, 2]}));
    assert_eq!(echoed["structuredContent"], json!({"echo": {"x": [1, 2]}}));
    // The load benchmark's floor returns a page of `list_groups` on the demo
    // (captured once, so its demo-relative timestamps differ): the same groups.
    let ids = |page: Value| -> Vec<Value> {
        page["structuredContent"]["results"]
            .as_array()
            .map(|r| r.iter().map(|g| g["id"].clone()).collect())
            .unwrap_or_default()
    };
    let fixed = ids(c.call_tool("page", json!({})));
    assert_eq!(fixed.len(), 25);
    assert_eq!(fixed, ids(c.call_tool("list_groups", json!({"size": 50}))));
    let prompts = c.request("prompts/list", json!({}));
    assert_eq!(prompts["result"]["prompts"][0]["name"], "request_access");
    let p = c.request(
        "prompts/get",
        json!({"name": "request_access", "arguments": {}}),
    );
    let text = p["result"]["messages"][0]["content"]["text"]
        .as_str()
        .expect("text");
    assert!(
        text.contains("has not yet named a specific group or role"),
        "{text}"
    );
}

#[test]
fn removing_a_plugin_removes_its_tools_at_the_next_start() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    {
        let server = Server::start(plugins.path());
        assert!(tool_names(&mut server.client()).contains(&"echo".to_string()));
    }
    plugins.remove("trivial");
    let server = Server::start(plugins.path());
    let names = tool_names(&mut server.client());
    assert!(!names.contains(&"echo".to_string()), "{names:?}");
    assert!(names.contains(&"list_groups".to_string()));
}

#[test]
fn two_plugins_with_one_tool_name_is_a_startup_error_naming_both() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("echo-a", &fixture_component("trivial_plugin"), &[]);
    plugins.add("echo-b", &fixture_component("trivial_plugin"), &[]);
    let e = access_mcp_e2e::start_fails(plugins.path(), &[("ENV", "development")]);
    assert!(
        e.contains("tool `echo` is exported by both `echo-a` and `echo-b`"),
        "{e}"
    );
}

#[test]
fn outside_development_every_request_is_unauthorized() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: vec![
            ("ENV".into(), "production".into()),
            ("MCP_ALLOWED_HOSTS".into(), "127.0.0.1:*".into()),
        ],
    });
    let r = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .send()
        .expect("POST");
    assert_eq!(r.status().as_u16(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .expect("header")
        .to_string();
    assert!(
        challenge.starts_with("Bearer realm=\"access\", resource_metadata=\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("/.well-known/oauth-protected-resource/mcp"),
        "{challenge}"
    );
    let body: Value = r.json().expect("json body");
    assert_eq!(body, json!({"message": "Unauthorized"}));
}

#[test]
fn dev_identity_refuses_a_non_loopback_address() {
    let plugins = PluginDir::with_built_plugins();
    let err = access_mcp_e2e::start_fails(
        plugins.path(),
        &[("ENV", "development"), ("ACCESS_MCP_LISTEN", "0.0.0.0:0")],
    );
    assert!(err.contains("not a loopback address"), "{err}");
}

#[test]
fn an_unreachable_database_is_a_clear_startup_error() {
    let plugins = PluginDir::with_built_plugins();
    let started = std::time::Instant::now();
    let out = std::process::Command::new(binary())
        .arg("serve")
        .env("ACCESS_MCP_PLUGINS_DIR", plugins.path())
        .env("DATABASE_URI", "postgresql://postgres@127.0.0.1:1/access")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to the database"), "{err}");
}

/// Structured content goes out as the plugin wrote it (stateless mode splices
/// the checked text into the response in place of a host placeholder): text that
/// looks like that placeholder, escapes, line breaks and non-ASCII all arrive
/// intact and equal to the text content, call after call.
#[test]
fn structured_content_arrives_intact() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let server = Server::start(plugins.path());
    let mut c = server.client();
    let tricky = json!({
        "placeholder": {"access-mcp-structured-content": "0123abcd:0"},
        "quoted": "{\"access-mcp-structured-content\":\"0123abcd:1\"}",
        "lines": "a\nb\r\nc",
        "unicode": "é 😀 \u{2028}",
        "nested": [[[{"structuredContent": "x"}]]],
    });
    for _ in 0..3 {
        let r = c.call_tool("echo", tricky.clone());
        assert_eq!(r["isError"], false, "{r}");
        assert_eq!(r["structuredContent"], json!({ "echo": tricky }), "{r}");
        let text: Value =
            serde_json::from_str(r["content"][0]["text"].as_str().expect("text")).expect("json");
        assert_eq!(text, r["structuredContent"]);
    }
}
