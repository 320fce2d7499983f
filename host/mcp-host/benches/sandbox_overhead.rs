//! Sandbox overhead, measured (not a timed test): run with
//! `.ci/build && cargo bench -p access-mcp --bench sandbox_overhead`.
//!
//! 1. Per call: the trivial `echo` tool called through its component with a
//!    fresh instance each call (`InstancePre` + pooling allocator), against the
//!    same Rust function called natively, in one run. Prints median and p99.
//! 2. Startup: process start of the real binary to the first served
//!    `tools/call`, with the compiled-component cache warm and cold.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_host::Capabilities;
use mcp_host::caller::{Caller, RequestMeta};
use mcp_host::client_link::ClientLink;
use mcp_host::plugins::Loader;
use mcp_host::sandbox::SandboxConfig;
use mcp_host::sandbox::cache::CompiledCache;
use mcp_host::sandbox::call::{Invocation, Returned, StructuredForm};
use mcp_host::sandbox::state::CallContext;
use mcp_host::sandbox::{Sandbox, engine};

#[path = "../../../tests/fixtures/trivial-plugin/src/echo.rs"]
mod echo;

const CALLS: usize = 20_000;
const ARGS: &str = r#"{"message":"hello","n":42}"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("root")
        .to_path_buf()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn trivial_component() -> PathBuf {
    let p = root().join("target/wasm32-wasip2/release/trivial_plugin.wasm");
    assert!(p.exists(), "{} missing: run .ci/build first", p.display());
    p
}

fn plugin_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::copy(trivial_component(), d.path().join("trivial.wasm")).expect("copy");
    std::fs::write(
        d.path().join("trivial.toml"),
        "name = \"trivial\"\ngrants = []\n",
    )
    .expect("manifest");
    d
}

fn per_call() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let cfg = SandboxConfig::default();
        let engine = engine::build_engine(&cfg).expect("engine");
        engine::start_epoch_ticker(&engine);
        let cache_dir = tempfile::tempdir().expect("tempdir");
        let sandbox = Arc::new(
            Sandbox::new(engine.clone(), cfg, Arc::new(Capabilities::default()))
                .expect("sandbox threads"),
        );
        let loader = Loader::new(
            sandbox.clone(),
            Capabilities::default(),
            CompiledCache::new(&engine, Some(cache_dir.path().to_path_buf())),
        );
        let plugins = plugin_dir();
        let plugin = loader
            .load(&plugins.path().join("trivial.toml"))
            .await
            .expect("load trivial plugin");
        let size = std::fs::metadata(trivial_component())
            .map(|m| m.len())
            .unwrap_or(0);
        let caller = Arc::new(Caller::system());
        let ctx = CallContext {
            plugin: plugin.code.name.clone(),
            tool: Some(Arc::from("echo")),
            caller,
            request: Arc::new(RequestMeta::internal("bench")),
            write_gate: Default::default(),
            loading: false,
            client: Arc::new(ClientLink::none()),
        };
        let call = || Invocation::CallTool {
            name: "echo".into(),
            arguments: ARGS.into(),
            structured: StructuredForm::Text,
        };

        // Warm up both paths.
        for _ in 0..500 {
            let _ = sandbox.invoke(&plugin.code, ctx.clone(), call()).await;
            let _ = std::hint::black_box(echo::echo(std::hint::black_box(ARGS)));
        }
        let mut wasm = Vec::with_capacity(CALLS);
        let mut native = Vec::with_capacity(CALLS);
        let mut expected = String::new();
        for i in 0..CALLS {
            // Interleave so machine noise hits both sides alike.
            let t = Instant::now();
            let out = sandbox
                .invoke(&plugin.code, ctx.clone(), call())
                .await
                .expect("wasm call");
            wasm.push(t.elapsed());
            let t = Instant::now();
            let n = std::hint::black_box(echo::echo(std::hint::black_box(ARGS))).expect("native");
            native.push(t.elapsed());
            if i == 0 {
                expected = n;
                match out {
                    Returned::ToolOutput(Ok(o)) => {
                        assert_eq!(o.text, expected, "same result both ways")
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        let (wm, wp) = stats(wasm);
        let (nm, np) = stats(native);
        println!("sandbox overhead: trivial `echo` tool, {CALLS} calls, component {size} bytes");
        println!(
            "  {:<44} median {:>8.1} µs   p99 {:>8.1} µs",
            "component, fresh instance per call",
            us(wm),
            us(wp)
        );
        println!(
            "  {:<44} median {:>8.1} µs   p99 {:>8.1} µs",
            "native (same function, baseline)",
            us(nm),
            us(np)
        );
        println!(
            "  {:<44} median {:>8.1} µs   p99 {:>8.1} µs   (target ≤ 30 µs median)",
            "overhead (component − native)",
            us(wm.saturating_sub(nm)),
            us(wp.saturating_sub(np))
        );
        let _ = expected;
    });
}

/// POST one JSON-RPC body to /mcp on `port`; true on a 200 with a result.
fn call_once(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":1}}}"#;
    let req = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.starts_with("HTTP/1.1 200") && resp.contains("\"result\"")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// Start the binary and time until its first successful tools/call.
fn time_to_first_call(binary: &Path, plugins: &Path, cache: &Path, db: &Path) -> Duration {
    let port = free_port();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .arg("serve")
        .env("ACCESS_MCP_LISTEN", format!("127.0.0.1:{port}"))
        .env("ACCESS_MCP_PLUGINS_DIR", plugins)
        .env("ACCESS_MCP_CACHE_DIR", cache)
        .env("ACCESS_MCP_DEMO_DB", db)
        .env("ENV", "development")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn access-mcp");
    let took = loop {
        if call_once(port) {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not answer"
        );
        std::thread::sleep(Duration::from_micros(500));
    };
    let _ = child.kill();
    let _ = child.wait();
    took
}

fn startup() {
    let binary = root().join("target/release/access-mcp");
    assert!(
        binary.exists(),
        "{} missing: run .ci/build first",
        binary.display()
    );
    let plugins = plugin_dir();
    let data = tempfile::tempdir().expect("tempdir");
    let db = data.path().join("demo.db");
    let runs = 7;
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    // The demo database exists after the first start; every timed run reuses it.
    let cache = data.path().join("cache");
    time_to_first_call(&binary, plugins.path(), &cache, &db);
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(&cache);
        cold.push(time_to_first_call(&binary, plugins.path(), &cache, &db));
        warm.push(time_to_first_call(&binary, plugins.path(), &cache, &db));
    }
    let (cm, cp) = stats(cold);
    let (wm, wp) = stats(warm);
    println!("startup: process start → first served tools/call ({runs} runs each, trivial plugin)");
    println!(
        "  {:<44} median {:>8.1} ms   max {:>8.1} ms   (target ≤ 100 ms)",
        "compiled-component cache warm",
        ms(wm),
        ms(wp)
    );
    println!(
        "  {:<44} median {:>8.1} ms   max {:>8.1} ms",
        "cache cold (compiles the component)",
        ms(cm),
        ms(cp)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass nothing useful.
    per_call();
    startup();
}
