//! The sandbox boundary against a hostile plugin and a hostile client, end to
//! end against the real binary: each finding of the boundary review (issue
//! #18), through the hostile and impostor fixture plugins and raw HTTP,
//! checking what the database holds afterwards and that a normal call is
//! still served. The replica findings (5) are in `replicas.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use access_mcp_e2e::idp::{Idp, SigningKey, now};
use access_mcp_e2e::{
    Client, PluginDir, Server, binary, fixture_component, parse_body, sqlite_count, start_fails,
};
use serde_json::{Value, json};

const WUMPUS_ID: &str = "00uwumpus000000000001";
const OLIVIA: &str = "olivia.brooks@example.com";
const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const AUD: &str = "access-mcp";
const ALL_ACCESS: &[&str] = &[
    "access:directory/reads",
    "access:directory/permissions",
    "access:directory/requests",
];

fn start(plugins: &PluginDir, pairs: &[(&str, &str)]) -> Server {
    Server::start_env(plugins.path(), pairs)
}

/// The built plugins plus the hostile one, granted every Access interface.
fn hostile(pairs: &[(&str, &str)]) -> (PluginDir, Server) {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("hostile", &fixture_component("hostile_plugin"), ALL_ACCESS);
    let server = start(&plugins, pairs);
    (plugins, server)
}

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn assert_served(c: &mut Client) {
    let r = c.call_tool("list_groups", json!({"size": 1}));
    assert_eq!(r["isError"], false, "a normal call is still served: {r}");
    assert!(!text(&r).contains("impostor"), "{r}");
}

fn requests_of_wumpus(server: &Server, table: &str) -> i64 {
    sqlite_count(
        &server.demo_db(),
        &format!("SELECT COUNT(*) FROM {table} WHERE requester_user_id = '{WUMPUS_ID}'"),
    )
}

fn get(url: &str) -> (u16, String) {
    let r = reqwest::blocking::get(url).expect("GET");
    (r.status().as_u16(), r.text().unwrap_or_default())
}

/// One raw HTTP/1.1 exchange (with `Connection: close`): status, head, body.
fn raw_http(server: &Server, request: &str) -> (u16, String, String) {
    let addr = server.base().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    s.write_all(request.as_bytes()).expect("write");
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let got = String::from_utf8_lossy(&got).to_string();
    let (head, body) = got.split_once("\r\n\r\n").unwrap_or((&got, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn post_request(host: &str, body: &str, extra: &str) -> String {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The `access.audit` events of a JSON-logging server, parsed.
fn audit_events(server: &Server) -> Vec<Value> {
    server
        .logs()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "access.audit")
        .filter_map(|v| serde_json::from_str(v["fields"]["audit"].as_str()?).ok())
        .collect()
}

// ------------------------------------------------ 1. tool takeover, signatures

#[test]
fn a_newcomer_cannot_take_a_served_tool_on_reload() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(&plugins, &[("ACCESS_MCP_PLUGINS_POLL_MS", "100")]);
    let mut c = server.client();
    let before = c.tool_names();
    assert_eq!(before.len(), 21);
    // Its file name sorts before `access-reads`, and it exports `list_groups`.
    plugins.add("aaa-impostor", &fixture_component("impostor_plugin"), &[]);
    assert!(
        server.wait_for_log("plugin refused on reload", Duration::from_secs(20)),
        "{}",
        server.logs()
    );
    assert!(
        server
            .logs()
            .contains("tool `list_groups` is exported by both `access-reads` and `aaa-impostor`"),
        "{}",
        server.logs()
    );
    assert_eq!(c.tool_names(), before, "nothing changed hands");
    assert_served(&mut c);
    let metrics = get(&format!("{}/metrics", server.base())).1;
    assert!(
        metrics.contains(r#"access_mcp_plugin_reload_refusals_total{reason="tool_collision"} 1"#),
        "{metrics}"
    );
}

#[test]
fn a_collision_at_startup_stops_the_server_and_the_audit_names_it() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add("aaa-impostor", &fixture_component("impostor_plugin"), &[]);
    let e = start_fails(plugins.path(), &[("ENV", "development")]);
    assert!(
        e.contains("refusing to start")
            && e.contains(
                "tool `list_groups` is exported by both `aaa-impostor` and `access-reads`"
            ),
        "{e}"
    );
    let out = Command::new(binary())
        .args(["plugins", "audit", "--json", "--plugins-dir"])
        .arg(plugins.path())
        .output()
        .expect("audit");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("audit JSON");
    let reads = report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .find(|p| p["name"] == "access-reads")
        .expect("access-reads in the report");
    assert_eq!(reads["status"], "refused");
    assert_eq!(reads["error"]["kind"], "duplicate-tool");
}

fn plugins_cli(args: &[&str]) -> String {
    let out = Command::new(binary())
        .arg("plugins")
        .args(args)
        .output()
        .expect("run access-mcp plugins");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn plugins_must_be_signed_in_production_unless_the_operator_opts_out() {
    let plugins = PluginDir::with_built_plugins();
    // ENV=production and no trusted key: a configuration error, not a silent load.
    let e = start_fails(plugins.path(), &[("ENV", "production")]);
    assert!(e.contains("no trusted key is configured"), "{e}");

    // keygen → sign → trust: the signed plugins load, an unsigned newcomer does not.
    let keys = tempfile::tempdir().expect("tempdir");
    plugins_cli(&["keygen", "--out", keys.path().to_str().expect("path")]);
    let key = std::fs::read_dir(keys.path())
        .expect("keys")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "key"))
        .expect("a private key");
    for name in ["access-prompts", "access-reads", "access-requests"] {
        let manifest = plugins.path().join(format!("{name}.toml"));
        plugins_cli(&[
            "sign",
            "--key",
            key.to_str().expect("path"),
            "--plugin",
            manifest.to_str().expect("path"),
        ]);
    }
    plugins.add("unsigned", &fixture_component("trivial_plugin"), &[]);
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            (
                "ACCESS_MCP_TRUSTED_KEYS",
                keys.path().to_str().expect("path"),
            ),
        ],
    );
    assert!(
        server
            .logs()
            .contains("plugin `unsigned` is refused: it is unsigned"),
        "{}",
        server.logs()
    );
    let ready: Value =
        serde_json::from_str(&get(&format!("{}/readyz", server.base())).1).expect("json");
    assert_eq!(ready["plugins"], 3, "{ready}");
    assert_eq!(ready["tools"], 21, "{ready}");
    drop(server);

    // The operator may opt out, explicitly, and is warned.
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            ("ACCESS_MCP_REQUIRE_SIGNED", "false"),
        ],
    );
    assert!(
        server
            .logs()
            .contains("ACCESS_MCP_REQUIRE_SIGNED=false: unsigned plugins load outside development"),
        "{}",
        server.logs()
    );
}

// ------------------------------------------------ 2. per-call budgets

#[test]
fn a_plugin_cannot_flood_the_host_with_imports_or_rows() {
    let (_p, server) = hostile(&[]);
    let mut c = server.client();
    let started = Instant::now();
    let r = c.call_tool("flood_reads", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        text(&r).contains(
            "plugin `hostile` exceeded its budget of 1000 host-import calls per tool call"
        ),
        "{r}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Four floods in flight at once do not stop a normal call.
    let url = server.url.clone();
    let floods: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut c = Client::new(&url);
                for _ in 0..5 {
                    let r = c.call_tool("flood_reads", json!({}));
                    assert_eq!(r["isError"], true);
                }
            })
        })
        .collect();
    for _ in 0..10 {
        let t = Instant::now();
        assert_served(&mut c);
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }
    for f in floods {
        f.join().expect("flood thread");
    }
    drop(server);

    // The budgets are the operator's to set.
    let (_p, server) = hostile(&[
        ("ACCESS_MCP_BUDGET_IMPORTS", "20"),
        ("ACCESS_MCP_BUDGET_ROWS", "40"),
    ]);
    let mut c = server.client();
    let r = c.call_tool("flood_reads", json!({}));
    assert!(text(&r).contains("budget of 20 host-import calls"), "{r}");
    let r = c.call_tool("list_groups", json!({"size": 50}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        text(&r)
            .contains("plugin `access-reads` exceeded its budget of 40 rows read per tool call"),
        "{r}"
    );
    assert_served(&mut c);
}

// ------------------------------------------------ 3. one write per call

#[test]
fn one_tool_call_files_at_most_one_request_whatever_the_confirmation_mode() {
    for mode in ["when-supported", "off"] {
        let (_p, server) = hostile(&[("MCP_WRITE_CONFIRMATION", mode)]);
        let mut c = server.client();
        let before = requests_of_wumpus(&server, "access_request");
        let r = c.call_tool("many_writes", json!({"group_id": DESIGN_REVIEWS}));
        assert_eq!(r["isError"], true, "{mode}: {r}");
        assert!(
            text(&r).contains("exceeded its budget of 1 write operation per tool call"),
            "{mode}: {r}"
        );
        assert_eq!(
            requests_of_wumpus(&server, "access_request"),
            before + 1,
            "{mode}: one request filed, not five"
        );
        let pending = sqlite_count(
            &server.demo_db(),
            &format!(
                "SELECT COUNT(*) FROM access_request WHERE requester_user_id = '{WUMPUS_ID}' \
                 AND requested_group_id = '{DESIGN_REVIEWS}' AND status = 'PENDING' AND resolved_at IS NULL"
            ),
        );
        assert_eq!(pending, 1, "{mode}");
        assert_served(&mut c);
    }
}

// ------------------------------------------------ 4. logs

#[test]
fn plugin_logs_cannot_forge_a_line_or_flood_the_log() {
    // The default text format, where a raw newline would start a line.
    let (_p, server) = hostile(&[("ACCESS_MCP_LOG_FORMAT", "text")]);
    let mut c = server.client();
    let r = c.call_tool("forge_log", json!({}));
    assert_eq!(r["isError"], false, "{r}");
    assert!(server.wait_for_log("FORGED_BY_PLUGIN", Duration::from_secs(5)));
    let logs = server.logs();
    for line in logs.lines() {
        assert!(!line.starts_with("2099"), "a forged line: {line}");
        assert!(
            !line.starts_with("{\"event_type\""),
            "a forged line: {line}"
        );
        if line.contains("FORGED") {
            assert!(
                line.contains(" plugin: ") && line.contains("\\n2099"),
                "{line}"
            );
            assert!(!line.contains('\u{1b}'), "{line:?}");
        }
    }
    let before = server.logs().len();
    let r = c.call_tool("log_flood", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        text(&r).contains("exceeded its budget of 65536 log bytes per tool call"),
        "{r}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.logs().len() - before < 64 * 1024,
        "the flood reached the log"
    );
    assert_served(&mut c);
    drop(server);

    // The JSON format: the plugin's record is on its own target, never the audit's.
    let (_p, server) = hostile(&[]);
    server.client().call_tool("forge_log", json!({}));
    assert!(server.wait_for_log("FORGED_BY_PLUGIN", Duration::from_secs(5)));
    for line in server.logs().lines() {
        let v: Value = serde_json::from_str(line).expect("one JSON object a line");
        if line.contains("FORGED") {
            assert_eq!(v["target"], "plugin", "{line}");
        }
    }
    assert!(audit_events(&server).is_empty());
}

// ------------------------------------------------ 6. the HTTP surface

#[test]
fn idle_and_half_sent_connections_are_closed() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(
        &plugins,
        &[
            ("ACCESS_MCP_HTTP_IDLE_TIMEOUT_SECS", "2"),
            ("ACCESS_MCP_HTTP_READ_TIMEOUT_SECS", "2"),
        ],
    );
    let addr = server.base().trim_start_matches("http://").to_string();
    let mut conns = Vec::new();
    for i in 0..200 {
        let mut s = TcpStream::connect(&addr).expect("connect");
        if i % 2 == 1 {
            s.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
                .expect("half a request");
        }
        conns.push(s);
    }
    std::thread::sleep(Duration::from_millis(4500));
    let mut closed = 0;
    for mut s in conns {
        // Closed ones answer at once (EOF or reset); an open one times out.
        s.set_read_timeout(Some(Duration::from_millis(200))).ok();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(_) => closed += 1, // EOF, or a 408 before the close
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(e) => panic!("a connection stayed open: {e}"),
        }
    }
    assert_eq!(closed, 200);
    assert_served(&mut server.client());
}

#[test]
fn the_connection_cap_makes_clients_wait_not_fail() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(
        &plugins,
        &[
            ("ACCESS_MCP_HTTP_MAX_CONNECTIONS", "20"),
            ("ACCESS_MCP_HTTP_IDLE_TIMEOUT_SECS", "2"),
        ],
    );
    let addr = server.base().trim_start_matches("http://").to_string();
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert_served(&mut server.client());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1000) && waited < Duration::from_secs(15),
        "the 21st connection waited {waited:?}"
    );
    drop(idle);
}

fn oidc_server(idp: &Idp, plugins: &PluginDir, extra: &[(&str, &str)]) -> Server {
    let url = idp.metadata_url();
    let mut pairs = vec![
        ("ENV", "production"),
        ("OIDC_SERVER_METADATA_URL", url.as_str()),
        ("OIDC_MCP_AUDIENCE", AUD),
        ("ACCESS_MCP_IDENTITY_CACHE_SECS", "0"),
    ];
    pairs.extend_from_slice(extra);
    start(plugins, &pairs)
}

fn token_for(key: &SigningKey, idp: &Idp, email: &str, scope: Option<&str>) -> String {
    let mut c = json!({"iss": idp.issuer, "aud": AUD, "email": email, "sub": email,
        "exp": now() + 600, "iat": now()});
    if let Some(s) = scope {
        c["scope"] = json!(s);
    }
    key.sign(&c)
}

fn call_as(
    server: &Server,
    token: &str,
    headers: &[(&str, &str)],
    tool: &str,
    args: Value,
) -> (u16, Value) {
    let mut req = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req
        .body(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":tool,"arguments":args}}).to_string())
        .send()
        .expect("POST");
    let status = r.status().as_u16();
    let body = r.text().unwrap_or_default();
    (
        status,
        if status == 200 {
            parse_body(&body)
        } else {
            json!({"body": body})
        },
    )
}

#[test]
fn failed_tokens_are_limited_per_client_and_never_lock_out_a_valid_user() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc_server(
        &idp,
        &plugins,
        &[
            ("MCP_AUTH_FAILURE_LIMIT", "5/min"),
            ("ACCESS_MCP_TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    );
    let bad = "not-a-token";
    let a = [("X-Forwarded-For", "6.6.6.6, 198.51.100.4")];
    for i in 0..5 {
        assert_eq!(
            call_as(&server, bad, &a, "list_groups", json!({})).0,
            401,
            "try {i}"
        );
    }
    assert_eq!(call_as(&server, bad, &a, "list_groups", json!({})).0, 429);
    // Another client behind the same proxy is not blocked by the first one's failures.
    let b = [("X-Forwarded-For", "198.51.100.99")];
    assert_eq!(call_as(&server, bad, &b, "list_groups", json!({})).0, 401);
    // A valid user from the blocked address is served.
    let good = token_for(&key, &idp, OLIVIA, None);
    let (status, v) = call_as(&server, &good, &a, "list_groups", json!({"size": 1}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["isError"], false, "{v}");
    // Without the proxy trusted, the forwarded address is ignored: the socket
    // peer (127.0.0.1) is the client, and it is not blocked by the above.
    drop(server);
    let server = oidc_server(&idp, &plugins, &[("MCP_AUTH_FAILURE_LIMIT", "5/min")]);
    for _ in 0..5 {
        assert_eq!(call_as(&server, bad, &a, "list_groups", json!({})).0, 401);
    }
    assert_eq!(
        call_as(&server, bad, &b, "list_groups", json!({})).0,
        429,
        "one client: 127.0.0.1"
    );
}

#[test]
fn the_audit_records_the_host_request_id_and_the_trusted_client_address() {
    let plugins = PluginDir::with_built_plugins();
    let file = |server: &Server, headers: &[(&str, &str)], reason: &str| {
        let mut req = reqwest::blocking::Client::new()
            .post(&server.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_access_request",
            "arguments":{"group_id": DESIGN_REVIEWS, "reason": reason}}});
        let r = req.body(body.to_string()).send().expect("POST");
        assert_eq!(r.status().as_u16(), 200);
        let v = parse_body(&r.text().expect("body"));
        assert_eq!(v["result"]["isError"], false, "{v}");
        assert!(server.wait_for_log(reason, Duration::from_secs(5)));
        audit_events(server)
            .into_iter()
            .rfind(|e| e["event_type"] == "ACCESS_CREATE" && e.to_string().contains(reason))
            .expect("the ACCESS_CREATE event")
    };
    let server = start(&plugins, &[]);
    let e = file(
        &server,
        &[
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Request-Id", "forged id"),
        ],
        "untrusted-forwarded",
    );
    assert_eq!(e["ip"], "127.0.0.1", "{e}");
    let id = e["request_id"].as_str().expect("request_id");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{e}"
    );
    assert!(e.get("client_request_id").is_none(), "{e}");
    let e = file(&server, &[("X-Request-Id", "client-123")], "client-id");
    assert_eq!(e["client_request_id"], "client-123", "{e}");
    assert_ne!(e["request_id"], "client-123", "{e}");
    drop(server);

    let server = start(&plugins, &[("ACCESS_MCP_TRUSTED_PROXIES", "127.0.0.0/8")]);
    let e = file(
        &server,
        &[("X-Forwarded-For", "6.6.6.6, 198.51.100.4")],
        "trusted-forwarded",
    );
    assert_eq!(e["ip"], "198.51.100.4", "{e}");
}

#[test]
fn the_401_points_only_to_a_resource_the_operator_configured() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    // No MCP_RESOURCE_URL, no MCP_ALLOWED_HOSTS: a client's Host is nobody's pointer.
    let server = oidc_server(&idp, &plugins, &[]);
    let (status, head, _) = raw_http(&server, &post_request("evil.example", body, ""));
    assert_eq!(status, 401, "{head}");
    assert_eq!(
        header(&head, "www-authenticate"),
        Some(r#"Bearer realm="access""#)
    );
    assert_eq!(header(&head, "cache-control"), Some("no-store"));
    let (status, ..) = raw_http(
        &server,
        "GET /.well-known/oauth-protected-resource HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 404);
    drop(server);
    // An allowed Host: the pointer is built from it; another Host is refused outright.
    let server = oidc_server(&idp, &plugins, &[("MCP_ALLOWED_HOSTS", "127.0.0.1:*")]);
    let host = server.base().trim_start_matches("http://").to_string();
    let (status, head, _) = raw_http(&server, &post_request(&host, body, ""));
    assert_eq!(status, 401);
    let expected = format!(
        r#"Bearer realm="access", resource_metadata="http://{host}/.well-known/oauth-protected-resource/mcp""#
    );
    assert_eq!(header(&head, "www-authenticate"), Some(expected.as_str()));
    let (status, ..) = raw_http(&server, &post_request("evil.example", body, ""));
    assert_eq!(status, 421);
    // MCP_RESOURCE_URL wins over any Host.
    drop(server);
    let server = oidc_server(
        &idp,
        &plugins,
        &[("MCP_RESOURCE_URL", "https://access.example.com/mcp")],
    );
    let (_, head, _) = raw_http(&server, &post_request("evil.example", body, ""));
    assert!(
        header(&head, "www-authenticate")
            .is_some_and(|h| h
                .contains("https://access.example.com/.well-known/oauth-protected-resource/mcp")),
        "{head}"
    );
}

#[test]
fn malformed_json_is_a_parse_error_and_answers_are_not_cached() {
    let plugins = PluginDir::with_built_plugins();
    let server = start(&plugins, &[]);
    let host = server.base().trim_start_matches("http://").to_string();
    let (status, head, body) = raw_http(&server, &post_request(&host, "{this is not json", ""));
    assert_eq!(status, 400, "{head}");
    let v: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(v["error"]["code"], -32700, "{v}");
    assert_eq!(v["id"], Value::Null);
    let batch =
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#;
    let (status, _, body) = raw_http(&server, &post_request(&host, batch, ""));
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).expect("a JSON-RPC error");
    assert_eq!(v["error"]["code"], -32600, "{v}");
    let (status, head, _) = raw_http(
        &server,
        &post_request(
            &host,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            "",
        ),
    );
    assert_eq!(status, 200);
    assert_eq!(header(&head, "cache-control"), Some("no-store"), "{head}");
    assert_served(&mut server.client());
}

#[test]
fn readiness_says_what_is_wrong_without_the_database_error_text() {
    let db = access_mcp_e2e::pg::TempDb::with_demo();
    let plugins = PluginDir::with_built_plugins();
    let server = start(&plugins, &[("DATABASE_URI", db.url.as_str())]);
    assert!(
        server.logs().contains("no ACCESS_MCP_REDIS_URL"),
        "PostgreSQL without Redis warns at startup: {}",
        server.logs()
    );
    let (status, body) = get(&format!("{}/readyz", server.base()));
    assert_eq!(status, 200, "{body}");
    db.drop_now();
    let (status, body) = get(&format!("{}/readyz", server.base()));
    assert_eq!(status, 503, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["database"], "unavailable");
    for secret in ["127.0.0.1", "5432", "postgres", &db.name, "does not exist"] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
}

// ------------------------------------------------ 7. input bounds

#[test]
fn request_fields_are_bounded_with_accesss_wording() {
    let (_p, server) = hostile(&[]);
    let mut c = server.client();
    let before = requests_of_wumpus(&server, "access_request");
    let long = "r".repeat(100_000);
    let r = c.call_tool(
        "create_access_request",
        json!({"group_id": DESIGN_REVIEWS, "reason": long}),
    );
    assert_eq!(r["isError"], true, "{}", text(&r));
    assert_eq!(
        r["structuredContent"]["error"],
        "reason: String should have at most 1024 characters"
    );
    let r = c.call_tool("long_reason", json!({"group_id": DESIGN_REVIEWS}));
    assert!(
        text(&r).contains("reason: String should have at most 1024 characters"),
        "{r}"
    );
    assert_eq!(requests_of_wumpus(&server, "access_request"), before);
    let groups = requests_of_wumpus(&server, "group_request");
    let r = c.call_tool("many_tags", json!({}));
    assert!(
        text(&r).contains(
            "okta_group.requested_group_tags: List should have at most 100 items after validation, not 1000"
        ),
        "{r}"
    );
    assert_eq!(requests_of_wumpus(&server, "group_request"), groups);
    let r = c.call_tool("duplicate_keys", json!({}));
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        text(&r).contains("malformed output") && text(&r).contains("appears twice"),
        "{r}"
    );
    assert_served(&mut c);
}

#[test]
fn oversized_descriptors_and_unknown_scopes_are_refused_at_load() {
    let plugins = PluginDir::with_built_plugins();
    plugins.add(
        "oversized",
        &fixture_component("impostor_plugin_oversized"),
        &[],
    );
    plugins.add(
        "scoped",
        &fixture_component("impostor_plugin_unknown_scope"),
        &[],
    );
    let server = start(&plugins, &[]);
    let logs = server.logs();
    assert!(
        logs.contains(
            "tool `oversized` has a description of 1048576 bytes; at most 16384 are served"
        ),
        "{logs}"
    );
    assert!(
        logs.contains(
            "tool `admin_tool` requires scope `admin_all`, which this host does not know"
        ),
        "{logs}"
    );
    let mut c = server.client();
    let (status, listed) = c.raw(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert_eq!(status, 200);
    assert!(
        listed.len() < 200_000,
        "tools/list is {} bytes",
        listed.len()
    );
    assert_eq!(c.tool_names().len(), 21);
}

#[test]
fn an_explicitly_empty_scope_claim_means_no_scopes() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc_server(&idp, &plugins, &[]);
    for empty in [" ", ""] {
        let t = token_for(&key, &idp, OLIVIA, Some(empty));
        let (status, v) = call_as(&server, &t, &[], "list_groups", json!({"size": 1}));
        assert_eq!(status, 200);
        assert_eq!(v["result"]["isError"], true, "scope {empty:?}: {v}");
        assert!(v.to_string().contains("read_all"), "{v}");
    }
    // No claim at all: the fallback scopes.
    let t = token_for(&key, &idp, OLIVIA, None);
    let (_, v) = call_as(&server, &t, &[], "list_groups", json!({"size": 1}));
    assert_eq!(v["result"]["isError"], false, "{v}");
}

#[test]
fn cloudflare_tokens_need_the_configured_audience_and_the_teams_issuer() {
    let key = SigningKey::rsa("cf");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let team = idp.team_domain();
    let e = start_fails(
        plugins.path(),
        &[
            ("ENV", "production"),
            ("CLOUDFLARE_TEAM_DOMAIN", team.as_str()),
        ],
    );
    assert!(e.contains("CLOUDFLARE_APPLICATION_AUDIENCE"), "{e}");
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            ("CLOUDFLARE_TEAM_DOMAIN", team.as_str()),
            ("CLOUDFLARE_APPLICATION_AUDIENCE", "cf-aud"),
            ("ACCESS_MCP_IDENTITY_CACHE_SECS", "0"),
        ],
    );
    let good =
        key.sign(&json!({"iss": idp.base, "aud": "cf-aud", "email": OLIVIA, "exp": now() + 600}));
    assert_eq!(
        call_as(&server, &good, &[], "list_groups", json!({"size": 1})).0,
        200
    );
    for claims in [
        json!({"iss": "https://other.cloudflareaccess.com", "aud": "cf-aud", "email": OLIVIA, "exp": now() + 600}),
        json!({"aud": "cf-aud", "email": OLIVIA, "exp": now() + 600}),
    ] {
        let t = key.sign(&claims);
        assert_eq!(
            call_as(&server, &t, &[], "list_groups", json!({})).0,
            401,
            "{claims}"
        );
    }
}

#[test]
fn idp_documents_are_bounded_and_never_redirected_off_their_origin() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    let t = token_for(&key, &idp, OLIVIA, None);
    let with_metadata = |url: String| {
        start(
            &plugins,
            &[
                ("ENV", "production"),
                ("OIDC_SERVER_METADATA_URL", url.as_str()),
                ("OIDC_MCP_AUDIENCE", AUD),
            ],
        )
    };
    let server = with_metadata(idp.redirected_metadata_url(true));
    assert_eq!(
        call_as(&server, &t, &[], "list_groups", json!({"size": 1})).0,
        200,
        "same origin"
    );
    let server = with_metadata(idp.redirected_metadata_url(false));
    assert_eq!(call_as(&server, &t, &[], "list_groups", json!({})).0, 401);
    assert!(
        server.wait_for_log(
            "redirected off the configured origin",
            Duration::from_secs(5)
        ),
        "{}",
        server.logs()
    );
    idp.pad_jwks(2 * 1024 * 1024);
    let server = with_metadata(idp.metadata_url());
    assert_eq!(call_as(&server, &t, &[], "list_groups", json!({})).0, 401);
    assert!(
        server.wait_for_log("over 1048576 bytes", Duration::from_secs(5)),
        "{}",
        server.logs()
    );
}

// ------------------------------------------------ 8. memory, native code

#[test]
fn plugin_memory_has_a_host_wide_budget() {
    let (_p, server) = hostile(&[
        ("ACCESS_MCP_PLUGIN_MEMORY_MIB", "64"),
        ("ACCESS_MCP_MEMORY_BUDGET_MIB", "256"),
        ("ACCESS_MCP_CALL_QUEUE_WAIT_MS", "300"),
    ]);
    let idle_kib = server.rss_kib();
    let url = server.url.clone();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Client::new(&url).call_tool("hold_memory", json!({})))
        })
        .collect();
    let mut peak = idle_kib;
    while calls.iter().any(|c| !c.is_finished()) {
        peak = peak.max(server.rss_kib());
        std::thread::sleep(Duration::from_millis(20));
    }
    let results: Vec<Value> = calls.into_iter().map(|c| c.join().expect("call")).collect();
    let ok = results.iter().filter(|r| r["isError"] == false).count();
    let busy = results
        .iter()
        .filter(|r| text(r).contains("the server is busy"))
        .count();
    assert!(ok >= 1 && busy >= 1, "ok {ok}, busy {busy}: {results:?}");
    assert_eq!(ok + busy, 16, "{results:?}");
    let grew_mib = peak.saturating_sub(idle_kib) / 1024;
    assert!(
        grew_mib < 400,
        "memory grew by {grew_mib} MiB over a 256 MiB budget"
    );
    assert_served(&mut server.client());
}

#[test]
fn compiled_code_is_only_loaded_from_a_private_cache() {
    use std::os::unix::fs::PermissionsExt;
    let plugins = PluginDir::with_built_plugins();
    let root = tempfile::tempdir().expect("tempdir");
    // A fresh folder is made private, and so is every file written to it.
    let cache = root.path().join("cache");
    let cache_str = cache.to_str().expect("path").to_string();
    let server = start(&plugins, &[("ACCESS_MCP_CACHE_DIR", cache_str.as_str())]);
    assert_served(&mut server.client());
    drop(server);
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    let files: Vec<_> = std::fs::read_dir(&cache)
        .expect("cache")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // A compiled file someone else owns is not loaded: it is compiled again.
    let planted = &files[0];
    std::os::unix::fs::chown(planted, Some(65534), Some(65534)).expect("chown (tests run as root)");
    let server = start(&plugins, &[("ACCESS_MCP_CACHE_DIR", cache_str.as_str())]);
    assert!(
        server.logs().contains("not loading a compiled component")
            && server.logs().contains("owned by uid 65534"),
        "{}",
        server.logs()
    );
    assert_served(&mut server.client());
    drop(server);
    // A folder others may write is not used at all.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let server = start(&plugins, &[("ACCESS_MCP_CACHE_DIR", cache_str.as_str())]);
    assert!(
        server.logs().contains("compiled-component cache refused"),
        "{}",
        server.logs()
    );
    assert_served(&mut server.client());
}

/// A tool that declares no scope is still held to the scope each import
/// needs: the import is the boundary (the dispatch check only answers early
/// for tools that declare one). A reader's write and a writer's read are
/// refused by name, and nothing is written.
#[test]
fn every_access_import_checks_its_scope_whatever_the_tool_declares() {
    let key = SigningKey::rsa("k");
    let idp = Idp::start(&[&key]);
    let plugins = PluginDir::with_built_plugins();
    plugins.add("hostile", &fixture_component("hostile_plugin"), ALL_ACCESS);
    let server = oidc_server(&idp, &plugins, &[]);
    let before = sqlite_count(&server.demo_db(), "SELECT COUNT(*) FROM access_request");
    let reader = token_for(&key, &idp, OLIVIA, Some("read_all"));
    let (_, v) = call_as(&server, &reader, &[], "sneaky_write", json!({}));
    let said = v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        said.contains("Denied") && said.contains("'create_requests' scope"),
        "{v}"
    );
    let writer = token_for(&key, &idp, OLIVIA, Some("create_requests"));
    let (_, v) = call_as(&server, &writer, &[], "sneaky_read", json!({}));
    assert!(v.to_string().contains("'read_all' scope"), "{v}");
    let after = sqlite_count(&server.demo_db(), "SELECT COUNT(*) FROM access_request");
    assert_eq!(before, after, "nothing was filed");
}
