//! Traces (#21): the real binary exports OTLP/HTTP to a real receiver on
//! loopback (`access_mcp_e2e::otlp`), configured only by the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT`. One confirmed write, sent with a W3C
//! `traceparent` and a real OIDC bearer token, gives one span tree: the
//! client's span → HTTP request → tools/call → plugin invocation → host
//! imports → SQL statements, with the caller's id and never the token.

use std::time::Duration;

use access_mcp_e2e::idp::{Idp, SigningKey, now};
use access_mcp_e2e::otlp::{Receiver, Span};
use access_mcp_e2e::{PluginDir, Server, call_2026_with};
use serde_json::{Value, json};

const AUD: &str = "access-mcp";
const OLIVIA: &str = "olivia.brooks@example.com";
const OLIVIA_ID: &str = "00uqxu6x0VClfJJmv8Nv";
const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";
const ELICIT: &str = r#"{"elicitation": {"form": {}}}"#;

/// A 2026-07-28 `create_access_request` as `token`'s holder, within the
/// client's trace when `traceparent` is given.
fn post(server: &Server, token: &str, params: Value, traceparent: Option<&str>) -> Value {
    let headers: Vec<(&str, &str)> = traceparent
        .map(|tp| ("traceparent", tp))
        .into_iter()
        .collect();
    call_2026_with(&server.url, Some(token), params, ELICIT, &headers)
}

fn children<'a>(spans: &'a [Span], parent: &Span) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_id && s.trace_id == parent.trace_id)
        .collect()
}

fn descendants<'a>(spans: &'a [Span], root: &Span) -> Vec<&'a Span> {
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(s) = frontier.pop() {
        for c in children(spans, s) {
            out.push(c);
            frontier.push(c);
        }
    }
    out
}

fn one<'a>(spans: &[&'a Span], what: &str, pred: impl Fn(&Span) -> bool) -> &'a Span {
    let found: Vec<&&Span> = spans.iter().filter(|s| pred(s)).collect();
    assert_eq!(found.len(), 1, "expected one {what}, got {found:#?}");
    found[0]
}

#[test]
fn a_confirmed_write_is_one_span_tree_continuing_the_clients_trace() {
    let receiver = Receiver::start();
    let rsa = SigningKey::rsa("trace-key");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    let metadata = idp.metadata_url();
    let endpoint = receiver.endpoint();
    let server = Server::start_env(
        plugins.path(),
        &[
            ("ENV", "production"),
            ("OIDC_SERVER_METADATA_URL", metadata.as_str()),
            ("OIDC_MCP_AUDIENCE", AUD),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_SERVICE_NAME", "access-mcp-under-test"),
            // Send each batch at once rather than after the default 5 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let token = rsa.sign(&json!({"iss": idp.issuer, "aud": AUD, "email": OLIVIA,
        "sub": OLIVIA, "exp": now() + 600, "iat": now()}));
    let args = json!({"group_id": DESIGN_REVIEWS, "reason": "tracing one write"});

    // The planning call (no traceparent: a trace of its own) asks to confirm.
    let asked = post(
        &server,
        &token,
        json!({"name": "create_access_request", "arguments": args}),
        None,
    );
    let state = asked["result"]["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("no requestState: {asked}"))
        .to_string();
    // The confirmed retry, inside the client's trace.
    let traceparent = format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01");
    let done = post(
        &server,
        &token,
        json!({"name": "create_access_request", "arguments": args, "requestState": state,
            "inputResponses": {"confirm_write": {"action": "accept", "content": {"confirm": true}}}}),
        Some(&traceparent),
    );
    assert_eq!(done["result"]["isError"], false, "{done}");

    let spans = receiver.wait_for(Duration::from_secs(20), |spans| {
        spans
            .iter()
            .any(|s| s.trace_id == CLIENT_TRACE && s.name == "COMMIT")
    });
    assert!(receiver.malformed.lock().expect("lock").is_empty());
    assert!(spans.iter().all(|s| s.service == "access-mcp-under-test"));

    // HTTP request: a child of the client's span, in the client's trace.
    let traced: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == CLIENT_TRACE)
        .collect();
    let http = one(&traced, "HTTP request span", |s| {
        s.parent_span_id == CLIENT_SPAN
    });
    assert_eq!(http.name, "POST /mcp");
    assert_eq!(http.attr("http.request.method"), Some("POST"));
    assert_eq!(http.attr("http.response.status_code"), Some("200"));
    assert_eq!(http.attr("enduser.id"), Some(OLIVIA_ID));

    // tools/call under it.
    let under_http = children(&spans, http);
    let call = one(&under_http, "tools/call span", |s| {
        s.attr("mcp.method.name") == Some("tools/call")
    });
    assert_eq!(call.name, "tools/call create_access_request");
    assert_eq!(call.attr("gen_ai.tool.name"), Some("create_access_request"));
    assert_eq!(call.attr("gen_ai.operation.name"), Some("execute_tool"));
    assert_eq!(call.attr("mcp.plugin.name"), Some("access-requests"));
    assert_eq!(call.attr("mcp.plugin.version"), Some("0.1.0"));
    assert_eq!(call.attr("enduser.id"), Some(OLIVIA_ID));
    assert_eq!(call.attr("error.type"), None);

    // The plugin invocation under it, with what it used.
    let under_call = children(&spans, call);
    let run = one(&under_call, "plugin invocation", |s| {
        s.name == "plugin access-requests call-tool"
    });
    assert_eq!(run.attr("mcp.plugin.writes"), Some("1"));
    let peak: u64 = run
        .attr("mcp.plugin.memory_peak_bytes")
        .and_then(|v| v.parse().ok())
        .expect("memory peak");
    assert!(peak > 0);
    assert!(run.attr("mcp.plugin.time_us").is_some());

    // Host imports under the invocation, each named by interface and function;
    // the write among them, and its SQL under it.
    let imports = children(&spans, run);
    let names: Vec<&str> = imports.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"mcp:plugin/clock.now")
            && names
                .iter()
                .all(|n| n.contains(':') && n.contains('/') && n.contains('.')),
        "{names:?}"
    );
    let write = one(&imports, "request import", |s| {
        s.name == "access:directory/requests.create-access-request"
    });
    let sql = descendants(&spans, write);
    assert!(
        sql.iter()
            .any(|s| s.attr("db.operation.name") == Some("INSERT")
                && s.attr("db.query.text")
                    .is_some_and(|q| q.contains("access_request"))),
        "no INSERT into access_request under the import: {sql:#?}"
    );
    assert!(sql.iter().any(|s| s.name == "COMMIT"));
    assert!(
        sql.iter()
            .all(|s| s.attr("db.system.name") == Some("sqlite"))
    );

    // The whole tree is the client's trace, and the planning call another.
    let tree = descendants(&spans, http);
    assert!(tree.len() >= 6, "{tree:#?}");
    assert!(
        spans
            .iter()
            .any(|s| s.trace_id != CLIENT_TRACE && s.name == "tools/call create_access_request")
    );

    // The caller's id, never the token, on any span.
    let signature = token.rsplit('.').next().expect("signature");
    for s in &spans {
        for (k, v) in &s.attributes {
            assert!(
                !v.contains(signature) && !v.contains(&token),
                "span {} attribute {k} holds the token",
                s.name
            );
        }
    }
}

#[test]
fn traces_are_off_unless_configured_and_a_bad_protocol_is_named() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_env(
        plugins.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ],
    );
    assert!(server.wait_for_log("traces are off", Duration::from_secs(5)));
    assert!(
        server
            .logs()
            .contains("OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported")
    );
    let plain = Server::start(plugins.path());
    assert!(!plain.logs().contains("traces are"));
}
