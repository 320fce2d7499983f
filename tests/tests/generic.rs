//! The host is generic: `tests/fixtures/generic-host` is `mcp-host` without
//! the Access crate, with no database, plus a second capability
//! (`tests/fixtures/kv-capability`, an in-memory key-value store) added as one
//! crate and one `.with(...)`. It serves the trivial plugin (generic imports
//! only) and the kv plugin (granted the store), refuses a plugin that asks for
//! Access, and the store checks its own scope at dispatch and in its import.

use access_mcp_e2e::idp::{Idp, SigningKey, now};
use access_mcp_e2e::{
    PluginDir, Server, ServerOptions, built_plugins, fixture_component, generic_binary,
};
use serde_json::{Value, json};

const AUD: &str = "generic-host";

fn plugins() -> PluginDir {
    let dir = PluginDir::empty();
    dir.add("trivial", &fixture_component("trivial_plugin"), &[]);
    dir.add("kv", &fixture_component("kv_plugin"), &["example:kv/store"]);
    // Asks for an interface this host does not provide: refused at load.
    dir.add(
        "access-reads",
        &built_plugins().join("access-reads.wasm"),
        &["access:directory/reads"],
    );
    dir
}

fn start(plugins: &PluginDir, env: &[(&str, &str)]) -> Server {
    Server::start_program(
        &generic_binary(),
        ServerOptions {
            plugins: plugins.path(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        },
    )
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

#[test]
fn a_host_without_access_serves_generic_plugins_and_a_second_capability() {
    let dir = plugins();
    let server = start(&dir, &[]);
    let mut client = server.client();

    let init = client.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "generic-test", "version": "0"}}),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "mcp-host", "{init}");

    let mut names = client.tool_names();
    names.sort();
    assert_eq!(
        names,
        [
            "echo",
            "kv_get",
            "kv_set",
            "kv_set_unchecked",
            "page",
            "test_error_handling"
        ]
    );
    assert!(
        server
            .logs()
            .contains("grants `access:directory/reads`, which this host does not provide"),
        "{}",
        server.logs()
    );

    let echoed = client.call_tool("echo", json!({"hello": "world"}));
    assert_eq!(
        echoed["structuredContent"]["echo"]["hello"], "world",
        "{echoed}"
    );

    let set = client.call_tool("kv_set", json!({"key": "colour", "value": "teal"}));
    assert_eq!(set["isError"], false, "{set}");
    let got = client.call_tool("kv_get", json!({"key": "colour"}));
    assert_eq!(text(&got), "teal", "{got}");
    let missing = client.call_tool("kv_get", json!({"key": "size"}));
    assert_eq!(missing["isError"], true, "{missing}");

    // Ready with no database: only what this host has is reported.
    let ready: Value = reqwest::blocking::get(format!("{}/readyz", server.base()))
        .expect("readyz")
        .json()
        .expect("json");
    assert_eq!(ready["status"], "ready", "{ready}");
    assert!(ready.get("database").is_none(), "{ready}");
    assert_eq!(ready["plugins"], 2, "{ready}");
}

fn post(server: &Server, token: &str, name: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": name, "arguments": args}});
    let r = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"))
        .body(body.to_string())
        .send()
        .expect("POST /mcp");
    assert_eq!(r.status().as_u16(), 200);
    access_mcp_e2e::parse_body(&r.text().unwrap_or_default())["result"].clone()
}

#[test]
fn the_second_capability_owns_its_scope_checked_at_dispatch_and_in_its_import() {
    let key = SigningKey::rsa("kv-1");
    let idp = Idp::start(&[&key]);
    let dir = plugins();
    let metadata = idp.metadata_url();
    let resource = "http://127.0.0.1/mcp";
    let server = start(
        &dir,
        &[
            ("ENV", "production"),
            ("OIDC_SERVER_METADATA_URL", metadata.as_str()),
            ("OIDC_MCP_AUDIENCE", AUD),
            ("MCP_RESOURCE_URL", resource),
        ],
    );
    let token = |scope: Option<&str>| {
        let mut c = json!({"iss": idp.issuer, "aud": AUD, "email": "kim@example.com",
                           "exp": now() + 600, "iat": now()});
        if let Some(s) = scope {
            c["scope"] = json!(s);
        }
        key.sign(&c)
    };
    let reader = token(Some("other"));
    // Dispatch: the tool declares kv_write; the host answers before the plugin runs.
    let r = post(
        &server,
        &reader,
        "kv_set",
        json!({"key": "k", "value": "1"}),
    );
    assert_eq!(r["isError"], true, "{r}");
    assert!(r.to_string().contains("'kv_write' scope"), "{r}");
    // The import: a tool that declares nothing is still refused by the store.
    let r = post(
        &server,
        &reader,
        "kv_set_unchecked",
        json!({"key": "k", "value": "1"}),
    );
    assert_eq!(r["isError"], true, "{r}");
    assert!(text(&r).contains("'kv_write' scope"), "{r}");
    let r = post(&server, &reader, "kv_get", json!({"key": "k"}));
    assert_eq!(text(&r), "k is not set", "nothing was written: {r}");
    // No scope claim: the fallback is every scope this host's capabilities
    // declare (MCP_FALLBACK_SCOPES unset), here kv_write.
    let writer = token(None);
    let r = post(
        &server,
        &writer,
        "kv_set",
        json!({"key": "k", "value": "2"}),
    );
    assert_eq!(r["isError"], false, "{r}");
    let r = post(&server, &reader, "kv_get", json!({"key": "k"}));
    assert_eq!(text(&r), "2", "{r}");
    // The protected-resource metadata lists this host's scopes only.
    let prm: Value = reqwest::blocking::get(format!(
        "{}/.well-known/oauth-protected-resource",
        server.base()
    ))
    .expect("prm")
    .json()
    .expect("json");
    assert_eq!(prm["scopes_supported"], json!(["kv_write"]), "{prm}");
}
