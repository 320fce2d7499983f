//! Faults under load, with nothing lost (#21). Each test runs the real binary
//! under a mix of reads and writes from several client threads, breaks one
//! part of the deployment mid-run, mends it, and then checks:
//! - what clients saw: no 5xx, no dropped connection from a live server; each
//!   failure a clean error; the first success after the repair (recovery time);
//! - the database's invariants ([`Invariants`]): no two PENDING requests of one
//!   user for one target, no request pointing at nothing, every request a
//!   client was told was filed is there, and every filed request has its audit
//!   line (`ACCESS_CREATE`, from the logs of every replica, the killed one too).
//!
//! Every writer files for the same user and group, so each write supersedes
//! the one before: concurrent filings are what the invariants test hardest.
//! Each test prints one summary line (`fault …`); docs/performance.md keeps a
//! run's table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use access_mcp_e2e::pg::{PgCluster, TempDb, psql};
use access_mcp_e2e::redis::RedisServer;
use access_mcp_e2e::{PluginDir, Server, create_demo, parse_body};
use serde_json::json;

const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";

/// What one call ended as.
#[derive(Clone, Debug)]
struct Outcome {
    at: Instant,
    /// "ok", or what went wrong: `tool error: …`, `rpc error: …`, `http 503`, `transport`.
    kind: String,
    /// The id of the request a write filed.
    filed: Option<String>,
    url: String,
    write: bool,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.kind == "ok"
    }
}

fn classify(
    url: &str,
    write: bool,
    response: reqwest::Result<reqwest::blocking::Response>,
) -> Outcome {
    let at = Instant::now();
    let outcome = |kind: String, filed| Outcome {
        at,
        kind,
        filed,
        url: url.to_string(),
        write,
    };
    let response = match response {
        Ok(r) => r,
        Err(_) => return outcome("transport".into(), None),
    };
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    if status != 200 {
        return outcome(format!("http {status}"), None);
    }
    let v = parse_body(&text);
    if let Some(e) = v.get("error") {
        return outcome(format!("rpc error: {}", e["message"]), None);
    }
    let result = &v["result"];
    if result["isError"] == true {
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        return outcome(format!("tool error: {text}"), None);
    }
    let filed = result["structuredContent"]["id"]
        .as_str()
        .filter(|_| write)
        .map(str::to_string);
    outcome("ok".into(), filed)
}

/// Client threads calling until stopped: reads and writes, alternately.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Vec<Outcome>>>,
}

impl Load {
    fn start(urls: &[String], per_url: usize, tag: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for (u, url) in urls.iter().enumerate() {
            for t in 0..per_url {
                let (stop, url, tag) = (stop.clone(), url.clone(), format!("{tag}-{u}-{t}"));
                threads.push(std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(30))
                        .build()
                        .expect("client");
                    let mut seen = Vec::new();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let (tool, args) = if n.is_multiple_of(2) {
                            (
                                "create_access_request",
                                json!({"group_id": DESIGN_REVIEWS, "reason": format!("{tag}-{n}")}),
                            )
                        } else {
                            ("get_group", json!({"group_id_or_name": DESIGN_REVIEWS}))
                        };
                        let body = json!({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                            "params": {"name": tool, "arguments": args}});
                        let r = http
                            .post(&url)
                            .header("Content-Type", "application/json")
                            .header("Accept", "application/json, text/event-stream")
                            .body(body.to_string())
                            .send();
                        let o = classify(&url, n.is_multiple_of(2), r);
                        if o.kind == "transport" {
                            // A server that is gone: do not spin.
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        seen.push(o);
                    }
                    seen
                }));
            }
        }
        Load { stop, threads }
    }

    fn finish(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .into_iter()
            .flat_map(|t| t.join().expect("load thread"))
            .collect()
    }
}

/// What a fault did to the clients, as one line and checks.
struct Seen {
    calls: usize,
    errors: BTreeMap<String, usize>,
    /// From the end of the fault to the first success after it.
    recovery: Option<Duration>,
}

fn seen(outcomes: &[Outcome], mended: Instant, on: Option<&str>) -> Seen {
    let mut errors = BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.ok()) {
        let kind: String = o.kind.chars().take(90).collect();
        *errors.entry(kind).or_insert(0) += 1;
    }
    let recovery = outcomes
        .iter()
        .filter(|o| o.ok() && o.at >= mended && on.is_none_or(|u| o.url == u))
        .map(|o| o.at - mended)
        .min();
    Seen {
        calls: outcomes.len(),
        errors,
        recovery,
    }
}

fn report(fault: &str, s: &Seen, invariants: &str) {
    eprintln!(
        "fault {fault}: {} calls; errors {:?}; recovered {}; invariants: {invariants}",
        s.calls,
        s.errors,
        s.recovery
            .map_or("never".to_string(), |d| format!("in {} ms", d.as_millis()))
    );
}

/// No error a client sees is a 5xx, and a live server drops no connection.
fn assert_clean(outcomes: &[Outcome], live: &[&str]) {
    for o in outcomes {
        assert!(!o.kind.starts_with("http 5"), "a 5xx: {o:?}");
        assert!(
            !(o.kind == "transport" && live.contains(&o.url.as_str())),
            "a live server dropped a call: {o:?}"
        );
    }
}

/// The database's invariants after a fault, asked through `query` (one
/// column of text rows for a SQL statement).
struct Invariants<'a> {
    query: &'a dyn Fn(&str) -> Vec<String>,
}

impl Invariants<'_> {
    fn count(&self, sql: &str) -> i64 {
        (self.query)(sql)
            .first()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no count from {sql}"))
    }

    /// Check them all; a one-line account.
    fn check(&self, outcomes: &[Outcome], logs: &str, tag: &str) -> String {
        for (table, keys) in [
            (
                "access_request",
                "requester_user_id, requested_group_id, request_ownership",
            ),
            (
                "role_request",
                "requester_user_id, requester_role_id, requested_group_id, request_ownership",
            ),
            (
                "group_request",
                "requester_user_id, requested_group_name, requested_app_id",
            ),
        ] {
            let twice = self.count(&format!(
                "SELECT count(*) FROM (SELECT {keys} FROM {table} \
                 WHERE status = 'PENDING' AND resolved_at IS NULL GROUP BY {keys} HAVING count(*) > 1) d"
            ));
            assert_eq!(twice, 0, "two PENDING {table}s for one user and target");
        }
        let dangling = self.count(
            "SELECT count(*) FROM access_request r \
             LEFT JOIN okta_user u ON u.id = r.requester_user_id \
             LEFT JOIN okta_group g ON g.id = r.requested_group_id \
             WHERE u.id IS NULL OR g.id IS NULL",
        );
        assert_eq!(dangling, 0, "a request pointing at nothing");
        let stored: BTreeSet<String> = (self.query)(&format!(
            "SELECT id FROM access_request WHERE request_reason LIKE '{tag}-%'"
        ))
        .into_iter()
        .collect();
        let told: BTreeSet<String> = outcomes.iter().filter_map(|o| o.filed.clone()).collect();
        let lost: Vec<&String> = told.difference(&stored).collect();
        assert!(lost.is_empty(), "filed, said so, and not stored: {lost:?}");
        let unaudited: Vec<&String> = stored
            .iter()
            .filter(|id| {
                !logs
                    .lines()
                    .any(|l| l.contains("ACCESS_CREATE") && l.contains(id.as_str()))
            })
            .collect();
        assert!(
            unaudited.is_empty(),
            "stored without an audit line: {unaudited:?}"
        );
        let pending = self.count(&format!(
            "SELECT count(*) FROM access_request WHERE request_reason LIKE '{tag}-%' AND status = 'PENDING'"
        ));
        assert!(pending <= 1);
        format!(
            "{} filed ({} acknowledged), each audited, {pending} left PENDING, no duplicate PENDING, none dangling",
            stored.len(),
            told.len()
        )
    }
}

fn pg_rows(url: &str) -> impl Fn(&str) -> Vec<String> + '_ {
    move |sql| {
        psql(url, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn sqlite_rows(db: &Path) -> impl Fn(&str) -> Vec<String> + '_ {
    move |sql| {
        let c = rusqlite::Connection::open(db).expect("open sqlite");
        let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        st.query_map([], |r| {
            r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }
}

fn env<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("MCP_WRITE_CONFIRMATION", "off")];
    all.extend_from_slice(pairs);
    all
}

#[test]
fn postgresql_restarted_under_load() {
    let cluster = PgCluster::start();
    let url = cluster.url("access");
    create_demo(&url);
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_env(plugins.path(), &env(&[("DATABASE_URI", url.as_str())]));
    let load = Load::start(std::slice::from_ref(&server.url), 4, "pg-restart");
    std::thread::sleep(Duration::from_secs(2));
    cluster.stop();
    // Longer than the pool's 2 s wait for a connection, so calls fail, not wait.
    std::thread::sleep(Duration::from_secs(8));
    cluster.resume();
    let mended = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    let outcomes = load.finish();
    assert_clean(&outcomes, &[&server.url]);
    let s = seen(&outcomes, mended, None);
    for kind in s.errors.keys() {
        assert!(
            kind.contains("the database is unavailable; retry later"),
            "not a clean retryable error: {kind}"
        );
    }
    assert!(!s.errors.is_empty(), "the outage was not seen");
    assert!(
        s.recovery.is_some_and(|d| d < Duration::from_secs(5)),
        "no recovery within 5 s"
    );
    let rows = pg_rows(&url);
    let held = Invariants { query: &rows }.check(&outcomes, &server.logs(), "pg-restart");
    report("postgresql restart", &s, &held);
}

#[test]
fn a_replica_killed_during_writes_leaves_the_other_serving() {
    let db = TempDb::with_demo();
    let redis = RedisServer::start();
    let plugins = PluginDir::with_built_plugins();
    let redis_url = redis.url();
    let pairs = env(&[
        ("DATABASE_URI", db.url.as_str()),
        ("ACCESS_MCP_REDIS_URL", redis_url.as_str()),
    ]);
    let doomed = Server::start_env(plugins.path(), &pairs);
    let survivor = Server::start_env(plugins.path(), &pairs);
    let urls = [doomed.url.clone(), survivor.url.clone()];
    let load = Load::start(&urls, 2, "sigkill");
    std::thread::sleep(Duration::from_secs(2));
    let killed = Command::new("kill")
        .args(["-9", &doomed.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mended = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let outcomes = load.finish();
    assert_clean(&outcomes, &[&survivor.url]);
    let on_survivor: Vec<Outcome> = outcomes
        .iter()
        .filter(|o| o.url == survivor.url)
        .cloned()
        .collect();
    assert!(
        on_survivor.iter().all(Outcome::ok),
        "the survivor failed calls: {:?}",
        seen(&on_survivor, mended, None).errors
    );
    assert!(
        on_survivor
            .iter()
            .any(|o| o.at > mended && o.filed.is_some())
    );
    let s = seen(&outcomes, mended, Some(&survivor.url));
    let logs = format!("{}\n{}", doomed.logs(), survivor.logs());
    let rows = pg_rows(&db.url);
    let held = Invariants { query: &rows }.check(&outcomes, &logs, "sigkill");
    report("replica SIGKILL", &s, &held);
}

#[test]
fn redis_stopped_and_started_under_load() {
    let db = TempDb::with_demo();
    let mut redis = RedisServer::start();
    let plugins = PluginDir::with_built_plugins();
    let redis_url = redis.url();
    let server = Server::start_env(
        plugins.path(),
        &env(&[
            ("DATABASE_URI", db.url.as_str()),
            ("ACCESS_MCP_REDIS_URL", redis_url.as_str()),
            ("MCP_RATE_LIMIT", "100000/min"),
        ]),
    );
    let load = Load::start(std::slice::from_ref(&server.url), 4, "redis");
    std::thread::sleep(Duration::from_secs(2));
    redis.stop();
    std::thread::sleep(Duration::from_secs(3));
    redis.resume();
    let mended = Instant::now();
    std::thread::sleep(Duration::from_secs(5));
    let outcomes = load.finish();
    assert_clean(&outcomes, &[&server.url]);
    let s = seen(&outcomes, mended, None);
    // Rate limits fall back to this process's buckets while Redis is away.
    assert!(s.errors.is_empty(), "calls failed: {:?}", s.errors);
    assert!(server.wait_for_log("redis", Duration::from_secs(1)));
    let rows = pg_rows(&db.url);
    let held = Invariants { query: &rows }.check(&outcomes, &server.logs(), "redis");
    report("redis stop/start", &s, &held);
}

#[test]
fn the_plugins_folder_emptied_and_refilled_under_load() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_env(plugins.path(), &env(&[]));
    let load = Load::start(std::slice::from_ref(&server.url), 4, "plugins");
    std::thread::sleep(Duration::from_secs(2));
    let aside = tempfile::tempdir().expect("tempdir");
    let names: Vec<std::ffi::OsString> = std::fs::read_dir(plugins.path())
        .expect("plugins")
        .map(|e| e.expect("entry").file_name())
        .collect();
    for n in &names {
        std::fs::rename(plugins.path().join(n), aside.path().join(n)).expect("move out");
    }
    let ready = |want: u16| {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let code = reqwest::blocking::get(format!("{}/readyz", server.base()))
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            if code == want {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    assert!(ready(503), "/readyz stayed green with no plugin");
    std::thread::sleep(Duration::from_secs(1));
    for n in &names {
        std::fs::rename(aside.path().join(n), plugins.path().join(n)).expect("move back");
    }
    let mended = Instant::now();
    assert!(ready(200), "/readyz did not recover");
    std::thread::sleep(Duration::from_secs(3));
    let outcomes = load.finish();
    assert_clean(&outcomes, &[&server.url]);
    let s = seen(&outcomes, mended, None);
    for kind in s.errors.keys() {
        assert!(
            kind.contains("Unknown tool"),
            "not the error of a tool not served: {kind}"
        );
    }
    assert!(
        s.recovery.is_some_and(|d| d < Duration::from_secs(5)),
        "no recovery"
    );
    let db = server.demo_db();
    let rows = sqlite_rows(&db);
    let held = Invariants { query: &rows }.check(&outcomes, &server.logs(), "plugins");
    report("plugins folder emptied and refilled", &s, &held);
}

/// A small filesystem of the test's own (tmpfs), so the disk can fill and be
/// made read-only for real. Needs mount rights (root); says so when it has none.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A read-only view of it (a bind mount), as a disk mounted read-only.
    fn read_only_view(&self) -> ReadOnlyView {
        let dir = tempfile::tempdir().expect("tempdir");
        let bound = Command::new("mount")
            .arg("--bind")
            .arg(self.path())
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success())
            && Command::new("mount")
                .args(["-o", "remount,bind,ro"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
        assert!(bound, "a read-only bind mount");
        ReadOnlyView { dir }
    }

    /// Fill what is free with one file (the write stops at ENOSPC).
    fn fill(&self) {
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", self.path().join("filler").display()))
            .output();
    }

    fn unfill(&self) {
        std::fs::remove_file(self.path().join("filler")).expect("remove filler");
    }
}

struct ReadOnlyView {
    dir: tempfile::TempDir,
}

impl Drop for ReadOnlyView {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

#[test]
fn the_sqlite_disk_full_then_read_only() {
    let Some(disk) = SmallDisk::mount(64) else {
        eprintln!("fault sqlite disk: SKIPPED, no right to mount a tmpfs here (run as root)");
        return;
    };
    let file = disk.path().join("access.db");
    let uri = format!("sqlite:///{}", file.display());
    create_demo(&uri);
    let plugins = PluginDir::with_built_plugins();
    let clean = |kind: &str| {
        kind.contains("the database could not answer this request")
            || kind.contains("the database is unavailable")
    };

    // The disk fills under load, then has room again.
    let server = Server::start_env(plugins.path(), &env(&[("DATABASE_URI", uri.as_str())]));
    let load = Load::start(std::slice::from_ref(&server.url), 2, "sqlite-disk");
    std::thread::sleep(Duration::from_secs(2));
    disk.fill();
    std::thread::sleep(Duration::from_secs(3));
    disk.unfill();
    let mended = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    let full = load.finish();
    assert_clean(&full, &[&server.url]);
    let s = seen(&full, mended, None);
    assert!(!s.errors.is_empty(), "the full disk was not seen");
    for kind in s.errors.keys() {
        assert!(clean(kind), "not a clean database error: {kind}");
    }
    assert!(
        full.iter().any(|o| o.ok() && o.write && o.at > mended),
        "writes did not recover: {:?}\n{}",
        s.errors,
        server.logs()
    );
    let reads_failed = full.iter().filter(|o| !o.ok() && !o.write).count();
    let logs = server.logs();
    drop(server);

    // The same file on a read-only mount: reads are served, writes refused.
    let view = disk.read_only_view();
    let ro_uri = format!("sqlite:///{}", view.dir.path().join("access.db").display());
    let server = Server::start_env(plugins.path(), &env(&[("DATABASE_URI", ro_uri.as_str())]));
    let load = Load::start(std::slice::from_ref(&server.url), 2, "sqlite-ro");
    std::thread::sleep(Duration::from_secs(2));
    let ro = load.finish();
    assert_clean(&ro, &[&server.url]);
    assert!(
        ro.iter().filter(|o| !o.write).all(Outcome::ok),
        "reads failed read-only"
    );
    assert!(
        ro.iter()
            .filter(|o| o.write)
            .all(|o| !o.ok() && clean(&o.kind)),
        "a write on a read-only disk did not fail cleanly"
    );
    let ro_seen = seen(&ro, Instant::now(), None);
    drop(server);
    drop(view);

    let rows = sqlite_rows(&file);
    let invariants = Invariants { query: &rows };
    let held = invariants.check(&full, &logs, "sqlite-disk");
    assert_eq!(
        invariants
            .count("SELECT count(*) FROM access_request WHERE request_reason LIKE 'sqlite-ro-%'"),
        0
    );
    report(
        "sqlite disk full",
        &s,
        &format!("{held}; {reads_failed} reads failed"),
    );
    report(
        "sqlite read-only",
        &ro_seen,
        "reads all served, every write refused, nothing written",
    );
}
