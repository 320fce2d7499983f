//! Fuzzing the `/mcp` HTTP surface of the real binary (#21): JSON-RPC bodies
//! for every method and every protocol version, with the headers a client
//! sends (or garbles), and every real plugin's tools called with arbitrary
//! arguments through the sandbox. Inputs are drawn from random bytes with
//! `arbitrary`'s `Unstructured`, on the stable toolchain (no nightly here for
//! cargo-fuzz).
//!
//! A failure is a 5xx, a hang past 15 s, the server gone, or a write nobody
//! confirmed (the server requires confirmation and the fuzzer never gives
//! it). Runs `ACCESS_MCP_FUZZ_SECS` (30 in the test suite; set it to hours by
//! hand). Every file in `tests/fuzz/http/` (the corpus, and each crash found,
//! named by its input's hash) is replayed first; a new failure is written
//! there before the test fails, so it stays a regression test.
//! `ACCESS_MCP_FUZZ_SEED` replays one run; `FUZZ_DEBUG=1` prints each 400.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use access_mcp_e2e::fuzz::{self, json, text};
use access_mcp_e2e::{PluginDir, Server, root, sqlite_count};
use arbitrary::{Arbitrary, Unstructured};
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{Value, json};

const METHODS: &[&str] = &[
    "initialize",
    "notifications/initialized",
    "ping",
    "tools/list",
    "tools/call",
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "completion/complete",
    "logging/setLevel",
    "subscriptions/listen",
    "server/discover",
    "notifications/cancelled",
];

const VERSIONS: &[&str] = &[
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];

/// Text in `odds` of 256 inputs (a header most clients do not garble).
fn rarely(u: &mut Unstructured, odds: u8) -> arbitrary::Result<Option<String>> {
    Ok(if u8::arbitrary(u)? < odds {
        Some(text(u)?)
    } else {
        None
    })
}

/// Parameters: mostly an object (as JSON-RPC wants), sometimes anything.
fn params(u: &mut Unstructured) -> arbitrary::Result<Value> {
    if u8::arbitrary(u)? < 32 {
        return json(u, 0, 6);
    }
    let n = u.int_in_range(0..=6)?;
    let mut m = serde_json::Map::new();
    for _ in 0..n {
        m.insert(text(u)?, json(u, 1, 6)?);
    }
    Ok(Value::Object(m))
}

#[derive(Debug)]
enum Body {
    /// One request to a known method (`tool` picks the tool of a tools/call).
    Known {
        method: u8,
        tool: u8,
        params: Value,
        /// Arguments shaped like the tool's (its property names) or not.
        shaped: bool,
        id: Option<Value>,
    },
    Unknown {
        method: String,
        params: Value,
    },
    Batch(Vec<Value>),
    Raw(Vec<u8>),
}

#[derive(Debug)]
struct Input {
    body: Body,
    version: Option<u8>,
    version_text: Option<String>,
    session: Option<String>,
    accept: u8,
    content_type: u8,
    /// Cut the serialized body to this many bytes.
    truncate: Option<u16>,
    mcp_method: Option<String>,
}

/// An input drawn from the bytes (`arbitrary`'s `Unstructured`; written out
/// rather than derived, so the test build does not turn on `arbitrary`'s
/// derive feature, which cranelift shares with the host build).
fn input(u: &mut Unstructured) -> arbitrary::Result<Input> {
    // The headers first: once the bytes run out, `arbitrary` answers zeros,
    // and a body takes most of them.
    let version = if u8::arbitrary(u)? < 200 {
        Some(u8::arbitrary(u)?)
    } else {
        None
    };
    let version_text = rarely(u, 64)?;
    let session = rarely(u, 32)?;
    let accept = u8::arbitrary(u)?;
    let content_type = u8::arbitrary(u)?;
    let truncate = if u8::arbitrary(u)? < 16 {
        Some(u16::arbitrary(u)?)
    } else {
        None
    };
    let mcp_method = rarely(u, 32)?;
    let body = match u.int_in_range(0..=9)? {
        0..=6 => Body::Known {
            method: u8::arbitrary(u)?,
            tool: u8::arbitrary(u)?,
            shaped: bool::arbitrary(u)?,
            // Mostly a valid id (a number or a string), sometimes none (a
            // notification) or any JSON.
            id: match u8::arbitrary(u)? {
                0..=31 => None,
                32..=63 => Some(json(u, 4, 6)?),
                64..=95 => Some(json!(text(u)?)),
                _ => Some(json!(i64::arbitrary(u)?)),
            },
            params: params(u)?,
        },
        7 => Body::Unknown {
            method: text(u)?,
            params: json(u, 0, 6)?,
        },
        8 => {
            let n = u.int_in_range(0..=4)?;
            Body::Batch((0..n).map(|_| json(u, 1, 6)).collect::<Result<_, _>>()?)
        }
        _ => Body::Raw(Vec::<u8>::arbitrary(u)?),
    };
    Ok(Input {
        body,
        version,
        version_text,
        session,
        accept,
        content_type,
        truncate,
        mcp_method,
    })
}

struct Target {
    /// Answers by HTTP status (how deep the inputs reach).
    statuses: std::cell::RefCell<std::collections::BTreeMap<u16, u64>>,
    server: Server,
    http: reqwest::blocking::Client,
    /// Each tool's name and property names.
    tools: Vec<(String, Vec<String>)>,
}

impl Target {
    fn request(&self, input: &Input) -> Result<(), String> {
        let version = match (&input.version, &input.version_text) {
            (Some(v), _) => Some(VERSIONS[usize::from(*v) % VERSIONS.len()].to_string()),
            (None, Some(t)) => Some(t.clone()),
            _ => None,
        };
        let modern = version.as_deref() == Some("2026-07-28");
        // What a 2026-07-28 client puts in headers and `_meta` (unless garbled).
        let mut headers: Vec<(&str, String)> = Vec::new();
        let body = match &input.body {
            Body::Known {
                method,
                tool,
                params,
                shaped,
                id,
            } => {
                let method = METHODS[usize::from(*method) % METHODS.len()];
                let mut params = params.clone();
                if method == "tools/call" && !self.tools.is_empty() {
                    let (name, props) = &self.tools[usize::from(*tool) % self.tools.len()];
                    let arguments = if *shaped {
                        let values: Vec<Value> = match &params {
                            Value::Array(a) => a.clone(),
                            other => vec![other.clone()],
                        };
                        Value::Object(
                            props
                                .iter()
                                .zip(values.into_iter().cycle())
                                .map(|(k, v)| (k.clone(), v))
                                .collect(),
                        )
                    } else {
                        params.clone()
                    };
                    params = json!({"name": name, "arguments": arguments});
                }
                if modern {
                    headers.push(("Mcp-Method", method.to_string()));
                    if let Some(name) = params.get("name").and_then(Value::as_str) {
                        headers.push(("Mcp-Name", name.to_string()));
                    }
                    if let Some(p) = params.as_object_mut() {
                        p.insert(
                            "_meta".into(),
                            json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                   "io.modelcontextprotocol/clientCapabilities": {},
                                   "io.modelcontextprotocol/clientInfo": {"name": "fuzz", "version": "0"}}),
                        );
                    }
                }
                let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
                if let Some(id) = id {
                    message["id"] = id.clone();
                }
                message.to_string().into_bytes()
            }
            Body::Unknown { method, params } => {
                json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
                    .to_string()
                    .into_bytes()
            }
            Body::Batch(items) => Value::Array(items.clone()).to_string().into_bytes(),
            Body::Raw(bytes) => bytes.clone(),
        };
        let body = match input.truncate {
            Some(n) if usize::from(n) < body.len() => body[..usize::from(n)].to_vec(),
            _ => body,
        };
        // Mostly what a client sends, so most inputs reach the handlers.
        let accept = match input.accept {
            0..=15 => "application/json",
            16..=31 => "text/event-stream",
            32..=39 => "*/*",
            _ => "application/json, text/event-stream",
        };
        let content_type = match input.content_type {
            0..=15 => "text/plain",
            16..=31 => "application/json; charset=utf-8",
            _ => "application/json",
        };
        let mut req = self
            .http
            .post(&self.server.url)
            .header("Content-Type", content_type)
            .header("Accept", accept);
        // Header values reqwest refuses are not HTTP: skip them.
        let header_ok = |v: &str| reqwest::header::HeaderValue::from_str(v).is_ok();
        if let Some(v) = version.filter(|v| header_ok(v)) {
            req = req.header("MCP-Protocol-Version", v);
        }
        if let Some(s) = input.session.as_deref().filter(|s| header_ok(s)) {
            req = req.header("Mcp-Session-Id", s);
        }
        match input.mcp_method.as_deref().filter(|m| header_ok(m)) {
            Some(m) => req = req.header("Mcp-Method", m),
            None => {
                for (k, v) in headers.iter().filter(|(_, v)| header_ok(v)) {
                    req = req.header(*k, v);
                }
            }
        }
        let started = Instant::now();
        let response = req
            .body(body)
            .send()
            .map_err(|e| format!("no answer (the server is gone?): {e}"))?;
        let status = response.status().as_u16();
        *self.statuses.borrow_mut().entry(status).or_default() += 1;
        let text = response.text().unwrap_or_default();
        if status == 400 && std::env::var_os("FUZZ_DEBUG").is_some() {
            eprintln!("400: {}", text.chars().take(160).collect::<String>());
        }
        if started.elapsed() > Duration::from_secs(15) {
            return Err(format!("answered after {:?}", started.elapsed()));
        }
        if status >= 500 {
            return Err(format!("HTTP {status}: {text}"));
        }
        Ok(())
    }
}

fn corpus() -> PathBuf {
    root().join("tests/fuzz/http")
}

fn writes(server: &Server) -> i64 {
    let db = server.demo_db();
    ["access_request", "role_request", "group_request"]
        .iter()
        .map(|t| sqlite_count(&db, &format!("SELECT count(*) FROM {t}")))
        .sum()
}

#[test]
fn the_mcp_http_surface_survives_arbitrary_requests() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_env(plugins.path(), &[("MCP_WRITE_CONFIRMATION", "required")]);
    let tools = server.client().request("tools/list", json!({}))["result"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let props = t["inputSchema"]["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            (t["name"].as_str().unwrap_or_default().to_string(), props)
        })
        .collect();
    let target = Target {
        statuses: Default::default(),
        server,
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        tools,
    };
    let before = writes(&target.server);
    let sent = std::cell::Cell::new(0u64);
    let run = |bytes: &[u8]| -> Result<(), String> {
        let mut u = Unstructured::new(bytes);
        match input(&mut u) {
            Ok(input) => {
                sent.set(sent.get() + 1);
                target
                    .request(&input)
                    .map_err(|e| format!("{e}\ninput: {input:?}"))
            }
            Err(_) => Ok(()),
        }
    };
    // The corpus and every crash found so far.
    let mut replayed = 0;
    if let Ok(entries) = std::fs::read_dir(corpus()) {
        for entry in entries.flatten() {
            let bytes = std::fs::read(entry.path()).expect("read corpus file");
            if let Err(e) = run(&bytes) {
                panic!("{} fails again: {e}", entry.path().display());
            }
            replayed += 1;
        }
    }
    let (secs, seed) = (fuzz::secs(30), fuzz::seed());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let until = Instant::now() + Duration::from_secs(secs);
    let mut inputs = 0u64;
    while Instant::now() < until {
        let mut bytes = vec![0u8; rng.gen_range(8..2048)];
        rng.fill_bytes(&mut bytes);
        if let Err(e) = run(&bytes) {
            let name = format!("crash-{:016x}", fxhash(&bytes));
            let _ = std::fs::create_dir_all(corpus());
            let _ = std::fs::write(corpus().join(&name), &bytes);
            panic!(
                "seed {seed}, input {inputs}: {e}\n(saved as tests/fuzz/http/{name}; server logs:)\n{}",
                target.server.logs()
            );
        }
        inputs += 1;
    }
    // Still serving, and nothing was written.
    let health = reqwest::blocking::get(format!("{}/healthz", target.server.base()))
        .expect("healthz")
        .status()
        .as_u16();
    assert_eq!(health, 200);
    assert_eq!(writes(&target.server), before, "a write nobody confirmed");
    assert!(
        !target.server.logs().contains("panicked"),
        "{}",
        target.server.logs()
    );
    eprintln!(
        "fuzz /mcp: seed {seed}, {replayed} corpus inputs replayed, {inputs} new inputs ({} requests sent) in {secs} s, no failure; answers by status: {:?}",
        sent.get(),
        target.statuses.borrow()
    );
    assert!(sent.get() > inputs / 2, "most inputs make a request");
}

/// A stable 64-bit hash of a crash's bytes (its file name).
fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
