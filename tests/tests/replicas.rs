//! Several replicas of one deployment (issue #18, finding 5): three real
//! servers sharing one PostgreSQL database and one Redis (a `redis-server` of
//! the test's own, so it can be stopped and started). A confirmation writes
//! once in total, whichever replicas its retry reaches; a rate limit of N/min
//! admits N in total; with Redis stopped, confirmations fail closed and
//! nothing is written, and when it is back they work again, without a restart.

use std::time::{Duration, Instant};

use access_mcp_e2e::pg::TempDb;
use access_mcp_e2e::redis::RedisServer;
use access_mcp_e2e::{PluginDir, Server, call_2026};
use serde_json::{Value, json};

const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const ELICIT: &str = r#"{"elicitation": {"form": {}}}"#;
const KEY: &str = "replicas-share-this-confirmation-key-0123456789";

fn replicas(db: &TempDb, redis: &RedisServer, extra: &[(&str, &str)]) -> (PluginDir, Vec<Server>) {
    let plugins = PluginDir::with_built_plugins();
    let redis_url = redis.url();
    let mut env = vec![
        ("DATABASE_URI", db.url.as_str()),
        ("ACCESS_MCP_REDIS_URL", redis_url.as_str()),
        ("MCP_WRITE_CONFIRMATION_KEY", KEY),
    ];
    env.extend_from_slice(extra);
    let servers = (0..3)
        .map(|_| Server::start_env(plugins.path(), &env))
        .collect();
    (plugins, servers)
}

fn args(reason: &str) -> Value {
    json!({"group_id": DESIGN_REVIEWS, "reason": reason})
}

/// Ask `server` to file a request: the input-required answer's `requestState`.
fn ask(server: &Server, reason: &str) -> String {
    let v = call_2026(
        &server.url,
        None,
        json!({"name": "create_access_request", "arguments": args(reason)}),
        ELICIT,
    );
    v["result"]["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("no requestState: {v}"))
        .to_string()
}

/// The confirmed retry, on `server`.
fn confirm(server: &Server, reason: &str, state: &str) -> Value {
    call_2026(
        &server.url,
        None,
        json!({"name": "create_access_request", "arguments": args(reason), "requestState": state,
            "inputResponses": {"confirm_write": {"action": "accept", "content": {"confirm": true}}}}),
        ELICIT,
    )
}

fn filed(db: &TempDb, reason: &str) -> i64 {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM access_request WHERE request_reason = '{reason}'"
    ))
}

/// Send the same confirmed retry to every replica at once; the answers.
fn confirm_everywhere(servers: &[Server], reason: &str, state: &str) -> Vec<Value> {
    std::thread::scope(|s| {
        let handles: Vec<_> = servers
            .iter()
            .map(|server| s.spawn(move || confirm(server, reason, state)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("retry"))
            .collect()
    })
}

fn created(answers: &[Value]) -> usize {
    answers
        .iter()
        .filter(|v| v["result"]["isError"] == false)
        .count()
}

fn errors(answers: &[Value]) -> Vec<String> {
    answers
        .iter()
        .filter(|v| v["result"]["isError"] == true)
        .map(|v| {
            v["result"]["structuredContent"]["error"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn one_confirmation_writes_once_across_replicas_and_redis_outages_fail_closed() {
    let db = TempDb::with_demo();
    let mut redis = RedisServer::start();
    let (_plugins, servers) = replicas(&db, &redis, &[]);

    // One confirmation, presented to all three replicas at once: one write.
    let state = ask(&servers[0], "replicas-once");
    let answers = confirm_everywhere(&servers, "replicas-once", &state);
    assert_eq!(created(&answers), 1, "{answers:?}");
    for e in errors(&answers) {
        assert!(e.contains("already used"), "{e}");
    }
    assert_eq!(filed(&db, "replicas-once"), 1);

    // Redis goes away: the confirmation cannot be spent, so nothing is written.
    redis.stop();
    let state = ask(&servers[1], "replicas-outage");
    let answers = confirm_everywhere(&servers, "replicas-outage", &state);
    assert_eq!(created(&answers), 0, "{answers:?}");
    for e in errors(&answers) {
        assert!(e.contains("shared state store is unavailable"), "{e}");
    }
    assert_eq!(filed(&db, "replicas-outage"), 0);
    // Reads are still served, and readiness says what is missing.
    let mut c = servers[2].client();
    assert_eq!(
        c.call_tool("list_groups", json!({"size": 1}))["isError"],
        false
    );
    let ready: Value = reqwest::blocking::get(format!("{}/readyz", servers[2].base()))
        .expect("readyz")
        .json()
        .expect("json");
    assert_eq!(ready["shared_state"], "unavailable", "{ready}");

    // Redis is back (empty): without restarting anything, a confirmation
    // writes once again; the one refused during the outage may be retried.
    redis.resume();
    let started = Instant::now();
    loop {
        let ready: Value = reqwest::blocking::get(format!("{}/readyz", servers[0].base()))
            .expect("readyz")
            .json()
            .expect("json");
        if ready["shared_state"] == "ok" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Redis not seen again: {ready}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let answers = confirm_everywhere(&servers, "replicas-outage", &state);
    assert_eq!(created(&answers), 1, "{answers:?}");
    assert_eq!(filed(&db, "replicas-outage"), 1);
    assert!(
        servers
            .iter()
            .any(|s| s.logs().contains("Redis is unavailable"))
    );
}

#[test]
fn a_rate_limit_holds_across_replicas() {
    let db = TempDb::with_demo();
    let redis = RedisServer::start();
    let (_plugins, servers) = replicas(&db, &redis, &[("MCP_RATE_LIMIT", "3/min")]);
    let mut statuses = Vec::new();
    for round in 0..2 {
        for server in &servers {
            let (status, body) = server
                .client()
                .raw(&json!({"jsonrpc":"2.0","id":round,"method":"tools/list"}).to_string());
            statuses.push((status, body));
        }
    }
    let admitted = statuses.iter().filter(|(s, _)| *s == 200).count();
    let limited = statuses.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!((admitted, limited), (3, 3), "{statuses:?}");
}
