//! Confirmation before writes (`MCP_WRITE_CONFIRMATION`), through the real
//! binary: the input-required retry of protocol 2026-07-28 over the wire (with
//! real JWTs for two users), elicitation in a legacy session and the 2026 retry
//! through the official Python SDK, the `required` and `off` settings.

use std::process::Command;
use std::time::Duration;

use access_mcp_e2e::idp::{Idp, SigningKey, now};
use access_mcp_e2e::{PluginDir, Server, ServerOptions, python, root};
use serde_json::{Value, json};

const AUD: &str = "access-mcp";
const WUMPUS_EMAIL: &str = "wumpus@discord.com";
const OLIVIA_EMAIL: &str = "olivia.brooks@example.com";
const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const ELICIT: &str = r#"{"elicitation": {"form": {}}}"#;

fn server(plugins: &PluginDir, env: &[(&str, &str)]) -> Server {
    Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

fn oidc_server(idp: &Idp, plugins: &PluginDir, extra: &[(&str, &str)]) -> Server {
    let url = idp.metadata_url();
    let mut env = vec![
        ("ENV", "production"),
        ("OIDC_SERVER_METADATA_URL", url.as_str()),
        ("OIDC_MCP_AUDIENCE", AUD),
    ];
    env.extend_from_slice(extra);
    server(plugins, &env)
}

fn token(key: &SigningKey, idp: &Idp, email: &str) -> String {
    key.sign(
        &json!({"iss": idp.issuer, "aud": AUD, "email": email, "sub": email,
        "exp": now() + 600, "iat": now(), "scope": "read_all create_requests"}),
    )
}

/// One 2026-07-28 `tools/call` (no session): `caps` are the client's capabilities.
fn call26(server: &Server, token: Option<&str>, tool: &str, args: Value, caps: &str) -> Value {
    call26_with(
        server,
        token,
        json!({"name": tool, "arguments": args}),
        caps,
    )
}

fn call26_with(server: &Server, token: Option<&str>, params: Value, caps: &str) -> Value {
    access_mcp_e2e::call_2026(&server.url, token, params, caps)
}

/// The retry of a call with the user's answer and the echoed state.
fn retry(
    server: &Server,
    token: Option<&str>,
    tool: &str,
    args: Value,
    state: &str,
    answer: Value,
) -> Value {
    call26_with(
        server,
        token,
        json!({"name": tool, "arguments": args, "requestState": state,
            "inputResponses": {"confirm_write": answer}}),
        ELICIT,
    )
}

fn accept() -> Value {
    json!({"action": "accept", "content": {"confirm": true}})
}

/// Pending access requests in the database, counted through the read tool.
fn pending(server: &Server, token: Option<&str>) -> i64 {
    let v = call26(
        server,
        token,
        "list_access_requests",
        json!({"status": "PENDING", "size": 1}),
        "{}",
    );
    v["result"]["structuredContent"]["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("{v}"))
}

fn error_text(v: &Value) -> String {
    assert_eq!(v["result"]["isError"], true, "{v}");
    v["result"]["structuredContent"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn args(reason: &str) -> Value {
    json!({"group_id": DESIGN_REVIEWS, "reason": reason})
}

#[test]
fn a_write_is_asked_first_and_its_confirmation_is_bound_to_caller_and_arguments() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc_server(&idp, &plugins, &[]);
    let wumpus = token(&key, &idp, WUMPUS_EMAIL);
    let olivia = token(&key, &idp, OLIVIA_EMAIL);
    let w = Some(wumpus.as_str());
    let before = pending(&server, w);

    // Round 1: the host plans the write and asks; nothing is written.
    let v = call26(&server, w, "create_access_request", args("On call"), ELICIT);
    let r = &v["result"];
    assert_eq!(r["resultType"], "input_required", "{v}");
    let ask = &r["inputRequests"]["confirm_write"];
    assert_eq!(ask["method"], "elicitation/create", "{v}");
    let message = ask["params"]["message"].as_str().expect("message");
    for part in [
        "access request",
        WUMPUS_EMAIL,
        "membership",
        "Design-Reviews",
        "with no end date",
        "\"On call\"",
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
    assert_eq!(
        ask["params"]["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    let state = r["requestState"]
        .as_str()
        .expect("requestState")
        .to_string();
    assert_eq!(pending(&server, w), before);

    // A validation error is answered at once, without asking.
    let v = call26(
        &server,
        w,
        "create_access_request",
        json!({"group_id": "no-such-group"}),
        ELICIT,
    );
    assert_eq!(error_text(&v), "Group not found");

    // Replayed by another user, or with other arguments: refused, nothing written.
    let v = retry(
        &server,
        Some(&olivia),
        "create_access_request",
        args("On call"),
        &state,
        accept(),
    );
    assert!(error_text(&v).contains("does not match"), "{v}");
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("Changed"),
        &state,
        accept(),
    );
    assert!(error_text(&v).contains("does not match"), "{v}");
    let v = retry(
        &server,
        w,
        "create_role_request",
        args("On call"),
        &state,
        accept(),
    );
    assert!(error_text(&v).contains("does not match"), "{v}");
    let forged = format!("{}x", &state);
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("On call"),
        &forged,
        accept(),
    );
    assert!(error_text(&v).contains("does not match"), "{v}");
    assert_eq!(pending(&server, w), before);

    // Declined (or accepted without ticking the box): nothing written.
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("On call"),
        &state,
        json!({"action": "decline"}),
    );
    assert!(error_text(&v).contains("declined"), "{v}");
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("On call"),
        &state,
        json!({"action": "accept", "content": {"confirm": false}}),
    );
    assert!(error_text(&v).contains("declined"), "{v}");
    assert_eq!(pending(&server, w), before);

    // Confirmed: written once; the same confirmation cannot be spent again.
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("On call"),
        &state,
        accept(),
    );
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
    let created = &v["result"]["structuredContent"];
    assert_eq!(created["status"], "PENDING", "{v}");
    assert_eq!(created["requested_group_id"], DESIGN_REVIEWS);
    assert_eq!(created["request_reason"], "On call");
    assert_eq!(created["requester"]["email"], WUMPUS_EMAIL);
    assert_eq!(pending(&server, w), before + 1);
    let v = retry(
        &server,
        w,
        "create_access_request",
        args("On call"),
        &state,
        accept(),
    );
    assert!(error_text(&v).contains("already used"), "{v}");
    assert_eq!(pending(&server, w), before + 1);

    // Reads are never asked about.
    let v = call26(&server, w, "list_groups", json!({"size": 1}), ELICIT);
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
}

#[test]
fn an_expired_confirmation_writes_nothing() {
    let plugins = PluginDir::with_built_plugins();
    let server = server(&plugins, &[("MCP_WRITE_CONFIRMATION_TTL_SECS", "1")]);
    let before = pending(&server, None);
    let v = call26(&server, None, "create_access_request", args("x"), ELICIT);
    let state = v["result"]["requestState"]
        .as_str()
        .expect("state")
        .to_string();
    std::thread::sleep(Duration::from_millis(2200));
    let v = retry(
        &server,
        None,
        "create_access_request",
        args("x"),
        &state,
        accept(),
    );
    assert!(error_text(&v).contains("expired"), "{v}");
    assert_eq!(pending(&server, None), before);
}

#[test]
fn required_refuses_writes_from_clients_that_cannot_be_asked_and_off_never_asks() {
    let plugins = PluginDir::with_built_plugins();
    let required = server(&plugins, &[("MCP_WRITE_CONFIRMATION", "required")]);
    let before = pending(&required, None);
    // A 2026 client without elicitation, and a stateless legacy client.
    let v = call26(&required, None, "create_access_request", args("x"), "{}");
    assert!(
        error_text(&v).contains("MCP_WRITE_CONFIRMATION=required"),
        "{v}"
    );
    let mut legacy = required.client();
    let r = legacy.call_tool("create_access_request", args("x"));
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        r["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot be asked")
    );
    assert_eq!(pending(&required, None), before);
    // Reads are unaffected.
    let r = legacy.call_tool("list_groups", json!({"size": 1}));
    assert_ne!(r["isError"], true, "{r}");

    // when-supported (the default) lets clients that cannot be asked write.
    let default = server(&plugins, &[]);
    let before = pending(&default, None);
    let r = default
        .client()
        .call_tool("create_access_request", args("x"));
    assert_eq!(r["structuredContent"]["status"], "PENDING", "{r}");
    assert_eq!(pending(&default, None), before + 1);

    // off: a client that could be asked is not.
    let off = server(&plugins, &[("MCP_WRITE_CONFIRMATION", "off")]);
    let v = call26(&off, None, "create_access_request", args("x"), ELICIT);
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
    assert_eq!(v["result"]["structuredContent"]["status"], "PENDING", "{v}");
}

fn python_confirm(server: &Server, mode: &str, answer: &str) -> Value {
    let out = Command::new(python())
        .arg(root().join("tests/clients/python_confirm.py"))
        .args([server.url.as_str(), mode, answer, DESIGN_REVIEWS])
        .output()
        .expect("run python client");
    assert!(
        out.status.success(),
        "python client failed:\n{}\nserver logs:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.logs()
    );
    serde_json::from_slice(&out.stdout).expect("client printed JSON")
}

#[test]
fn the_python_sdk_confirms_by_input_required_retry_and_by_session_elicitation() {
    let plugins = PluginDir::with_built_plugins();
    for (stateful, mode) in [("false", "modern"), ("true", "legacy")] {
        let server = server(&plugins, &[("ACCESS_MCP_STATEFUL", stateful)]);
        let before = pending(&server, None);
        let v = python_confirm(&server, mode, "decline");
        assert_eq!(v["asked"].as_array().map(Vec::len), Some(1), "{mode}: {v}");
        assert!(
            v["asked"][0]
                .as_str()
                .unwrap_or_default()
                .contains("Design-Reviews"),
            "{v}"
        );
        assert_eq!(v["is_error"], true, "{mode}: {v}");
        assert!(
            v["text"].as_str().unwrap_or_default().contains("declined"),
            "{v}"
        );
        assert_eq!(pending(&server, None), before, "{mode}");

        let v = python_confirm(&server, mode, "accept");
        assert_eq!(v["is_error"], false, "{mode}: {v}");
        assert_eq!(v["structured"]["status"], "PENDING", "{mode}: {v}");
        assert_eq!(pending(&server, None), before + 1, "{mode}");
        if mode == "legacy" {
            assert!(
                v["protocol_version"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("2025"),
                "{v}"
            );
        }
    }
}
