//! The 3 write tools of `access-requests` against the demo organisation
//! (host/access/src/db/demo_seed.sql), over the wire: happy paths, every error
//! string, supersede, name rules, owner_time_limit clipping, app-owner
//! auto-approval, lax arguments, the audit log, and upstream test_mcp rows
//! 7 (success part), 21-24, 26-30. Expected values come from the seed.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use access_mcp_e2e::{Client, PluginDir, Server, ServerOptions};
use serde_json::{Value, json};

use super::read_tools::{check_schema, is_rfc822, keys, strs};

// ---------------------------------------------------------------- seed ids

const WUMPUS: &str = "00uwumpus000000000001";
const WUMPUS_EMAIL: &str = "wumpus@discord.com";
const OLIVIA: &str = "00uqxu6x0VClfJJmv8Nv";
const OLIVIA_EMAIL: &str = "olivia.brooks@example.com";

const ENGINEERING: &str = "00gVlPE2eVMAQINp4Bdv";
const EVERYONE: &str = "00gPTEBj52PME8lpePjr";
const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const LEGACY_VPN_DELETED: &str = "00g62czU9N2OsIWSeNOi";
const SNOWFLAKE_ANALYSTS: &str = "00g5sKf9uRPPxPq2ixJa";
const PAGERDUTY_RESPONDERS: &str = "00gtSTyKjEnaDgI1n5yJ";
/// Wumpus owns it (and is a member).
const ROLE_BACKEND: &str = "00gXEOWnQT1k2VQlWAy0";
/// Wumpus neither owns it nor is a member.
const ROLE_SRE: &str = "00g4RodOIJG6RgQmhbVS";
/// Olivia is a member, not an owner.
const ROLE_DATA_ANALYST: &str = "00gneyAgL8sQDZobYFTE";

const APP_GRAFANA: &str = "VOQ3Vfss2E5mQpTYRpVN"; // Wumpus owns it
const APP_SNOWFLAKE: &str = "0JvRlj9ZjleHHNTGAGyH"; // Wumpus does not

/// owner_time_limit 31536000 (one year).
const TAG_SECURITY_SENSITIVE: &str = "ROuZIeBs21wpkDWePLpI";
/// owner_time_limit 7776000 (90 days).
const TAG_SOX: &str = "f0Q7TunoLOJuvGE9DVg4";
const YEAR: i64 = 31_536_000;
const NINETY_DAYS: i64 = 7_776_000;

/// Wumpus's pending membership request for App-Snowflake-Analysts.
const WUMPUS_PENDING_ACCESS: &str = "cXEIODpUyZrAZXAuSIaz";
/// Wumpus's pending role request: Role-Backend-Engineer -> App-PagerDuty-Responders, membership.
const WUMPUS_PENDING_ROLE: &str = "xKmQBAeZukVmyYrIZEHG";
/// Olivia's pending membership request for Engineering.
const OLIVIA_PENDING_ACCESS: &str = "artyFbFooLIvXESJzHkN";

const NOT_ALLOWED: &str = "Current user is not allowed to perform this action";
const UNMANAGED: &str = "Groups not managed by Access cannot be modified";
const DECLINED: &str = "Group request could not be created";
const NAME_PATTERN: &str = "String should match pattern '^[A-Z][A-Za-z0-9-]*$'";
const UNKNOWN_TYPE: &str = "input: Input tag 't' found using 'requested_group_type' does not match any of the expected tags: 'okta_group', 'role_group', 'app_group'";

/// The write tools, their titles, parameters and required ones (spec §8.19-8.21).
const TOOLS: [(&str, &str, &[&str], &[&str]); 3] = [
    (
        "create_access_request",
        "Submit access request",
        &["group_id", "reason", "group_owner", "ending_at"],
        &["group_id"],
    ),
    (
        "create_role_request",
        "Submit role request",
        &["role_id", "group_id", "reason", "group_owner", "ending_at"],
        &["role_id", "group_id"],
    ),
    (
        "create_group_request",
        "Submit group request",
        &[
            "group_name",
            "group_type",
            "description",
            "app_id",
            "tags_to_apply",
            "ownership_ending_at",
            "reason",
        ],
        &["group_name", "group_type"],
    ),
];

// ---------------------------------------------------------------- harness

/// A server on a fresh demo database, and a client that checks every result
/// against the tool's declared output schema.
struct Writes {
    client: Client,
    schemas: std::collections::HashMap<String, Value>,
    tools: Vec<Value>,
    server: Server,
    _plugins: PluginDir,
}

impl Writes {
    /// As the dev user Wumpus.
    fn start() -> Writes {
        Self::start_with_env(Vec::new())
    }

    /// As another user of the seed (the dev identity's email).
    fn start_as(email: &str) -> Writes {
        Self::start_with_env(vec![(
            "CURRENT_OKTA_USER_EMAIL".to_string(),
            email.to_string(),
        )])
    }

    fn start_with_env(env: Vec<(String, String)>) -> Writes {
        let plugins = PluginDir::with_built_plugins();
        let server = Server::start_with(ServerOptions {
            plugins: plugins.path(),
            env,
        });
        let mut client = server.client();
        let listed = client.request("tools/list", json!({}));
        let tools = listed["result"]["tools"].as_array().expect("tools").clone();
        let schemas = tools
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().expect("name").to_string(),
                    t["outputSchema"].clone(),
                )
            })
            .collect();
        Writes {
            client,
            schemas,
            tools,
            server,
            _plugins: plugins,
        }
    }

    /// A successful call: its structured content, checked against the text
    /// content and the declared output schema.
    fn ok(&mut self, tool: &str, args: Value) -> Value {
        let r = self.client.call_tool(tool, args.clone());
        assert_eq!(r["isError"], false, "{tool} {args}: {r}");
        let sc = r["structuredContent"].clone();
        let text = r["content"][0]["text"].as_str().expect("text content");
        let parsed: Value = serde_json::from_str(text).expect("text is JSON");
        assert_eq!(parsed, sc, "{tool}: text and structuredContent differ");
        check_schema(tool, &self.schemas[tool], &sc);
        sc
    }

    /// A failed call: the `{"error"}` envelope's message.
    fn err(&mut self, tool: &str, args: Value) -> String {
        let r = self.client.call_tool(tool, args.clone());
        assert_eq!(r["isError"], true, "{tool} {args}: {r}");
        let sc = &r["structuredContent"];
        let obj = sc.as_object().expect("error object");
        assert_eq!(obj.len(), 1, "only `error`: {sc}");
        let text = r["content"][0]["text"].as_str().expect("text content");
        assert_eq!(
            serde_json::from_str::<Value>(text).expect("text is JSON"),
            *sc
        );
        check_schema(tool, &self.schemas[tool], sc);
        sc["error"].as_str().expect("error string").to_string()
    }

    /// How many requests of a kind (`access`, `role`, `group`) exist.
    fn count(&mut self, kind: &str) -> i64 {
        let v = self.ok(&format!("list_{kind}_requests"), json!({"size": 1}));
        v["total"].as_i64().expect("total")
    }

    fn counts(&mut self) -> [i64; 3] {
        [
            self.count("access"),
            self.count("role"),
            self.count("group"),
        ]
    }

    /// The `access.audit` events logged so far, parsed.
    fn audit_events(&self) -> Vec<Value> {
        self.server
            .logs()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "access.audit")
            .map(|v| {
                serde_json::from_str(v["fields"]["audit"].as_str().expect("audit field"))
                    .expect("audit JSON")
            })
            .collect()
    }

    /// Wait until an audit event mentioning `needle` is logged.
    fn wait_audit(&self, needle: &str) {
        assert!(
            self.server.wait_for_log(needle, Duration::from_secs(10)),
            "no log line with {needle}: {}",
            self.server.logs()
        );
    }
}

// ---------------------------------------------------------------- time helpers

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Seconds since the epoch of an RFC 822 timestamp (`Wed, 03 Jun 2026 15:46:31 +0000`).
fn epoch(v: &Value) -> i64 {
    assert!(is_rfc822(v), "not RFC 822: {v}");
    let s = v.as_str().expect("string");
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let num = |r: std::ops::Range<usize>| s[r].parse::<i64>().expect("digits");
    let month = MONTHS.iter().position(|m| *m == &s[8..11]).expect("month") as i64 + 1;
    days_from_civil(num(12..16), month, num(5..7)) * 86_400
        + num(17..19) * 3600
        + num(20..22) * 60
        + num(23..25)
}

/// ISO 8601 with `Z`, for an epoch second.
fn iso(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn names(tools: &[Value]) -> BTreeSet<String> {
    tools
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect()
}

fn tool_names(server: &Server) -> Vec<String> {
    let v = server.client().request("tools/list", json!({}));
    v["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_string())
        .collect()
}

// ---------------------------------------------------------------- descriptors

#[test]
fn tools_list_has_21_tools_and_18_without_access_requests() {
    let plugins = PluginDir::with_built_plugins();
    {
        let server = Server::start(plugins.path());
        let listed = tool_names(&server);
        assert_eq!(listed.len(), 21, "{listed:?}");
        let distinct: BTreeSet<&String> = listed.iter().collect();
        assert_eq!(distinct.len(), 21, "no duplicates: {listed:?}");
        for (name, ..) in TOOLS {
            assert!(listed.contains(&name.to_string()), "{name}: {listed:?}");
        }
    }
    plugins.remove("access-requests");
    let server = Server::start(plugins.path());
    let listed = tool_names(&server);
    assert_eq!(listed.len(), 18, "{listed:?}");
    for (name, ..) in TOOLS {
        assert!(!listed.contains(&name.to_string()), "{name}: {listed:?}");
    }
    assert!(listed.contains(&"get_group_request".to_string()));
}

#[test]
fn write_tools_are_described_as_upstream() {
    let w = Writes::start();
    let all = names(&w.tools);
    for (name, title, params, required) in TOOLS {
        let t = w
            .tools
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not listed: {all:?}"));
        assert_eq!(t["title"], title, "{name}");
        let a = &t["annotations"];
        assert_eq!(a["readOnlyHint"], false, "{name}");
        assert_eq!(a["destructiveHint"], false, "{name}");
        assert_eq!(a["idempotentHint"], false, "{name}");
        assert_eq!(a["openWorldHint"], false, "{name}");
        let d = t["description"].as_str().expect("description");
        assert!(d.len() > 400, "{name} has a real description");
        assert!(d.contains("create_requests"), "{name} names its scope");
        assert!(d.contains("PENDING") || d.contains("approv"), "{name}");
        let input = &t["inputSchema"];
        assert_eq!(input["type"], "object");
        let expected: BTreeSet<String> = params.iter().map(|s| s.to_string()).collect();
        assert_eq!(keys(&input["properties"]), expected, "{name} parameters");
        let req: BTreeSet<String> = strs(&input["required"]).into_iter().collect();
        let want: BTreeSet<String> = required.iter().map(|s| s.to_string()).collect();
        assert_eq!(req, want, "{name} required");
        let out = &t["outputSchema"];
        assert_eq!(out["type"], "object", "{name}");
        assert!(out.get("required").is_none(), "{name}: nothing required");
        assert_eq!(out["properties"]["error"]["type"], "string", "{name}");
        assert!(out["properties"].get("id").is_some(), "{name}");
        assert!(out["properties"].get("status").is_some(), "{name}");
    }
    // Defaults exactly as upstream.
    let p = |tool: &str, param: &str| {
        w.tools.iter().find(|t| t["name"] == tool).expect("tool")["inputSchema"]["properties"]
            [param]
            .clone()
    };
    for tool in ["create_access_request", "create_role_request"] {
        assert_eq!(p(tool, "reason")["default"], "", "{tool}");
        assert_eq!(p(tool, "group_owner")["default"], false, "{tool}");
        assert_eq!(p(tool, "group_owner")["type"], "boolean", "{tool}");
        assert_eq!(p(tool, "ending_at")["default"], "", "{tool}");
        assert_eq!(p(tool, "group_id")["type"], "string", "{tool}");
        assert!(p(tool, "group_id").get("default").is_none(), "{tool}");
    }
    let g = "create_group_request";
    for param in ["description", "app_id", "ownership_ending_at", "reason"] {
        assert_eq!(p(g, param)["default"], "", "{param}");
    }
    assert_eq!(p(g, "tags_to_apply")["default"], Value::Null);
    assert_eq!(
        p(g, "tags_to_apply")["anyOf"],
        json!([{"type": "array", "items": {"type": "string"}}, {"type": "null"}])
    );
    // The access request output names the summary's nested refs.
    for key in [
        "requester",
        "active_requester",
        "requested_group",
        "active_requested_group",
    ] {
        assert!(
            w.schemas["create_access_request"]["properties"]
                .get(key)
                .is_some(),
            "{key}"
        );
    }
    for key in [
        "requester_role",
        "active_requester_role",
        "requester_role_id",
    ] {
        assert!(
            w.schemas["create_role_request"]["properties"]
                .get(key)
                .is_some(),
            "{key}"
        );
    }
    for key in [
        "approved_group_id",
        "requested_group_tags",
        "resolved_group_tags",
    ] {
        assert!(
            w.schemas["create_group_request"]["properties"]
                .get(key)
                .is_some(),
            "{key}"
        );
    }
}

// ---------------------------------------------------------------- create_access_request

/// Upstream test_mcp row 7 (the success part) and the REST RFC 822 test.
#[test]
fn create_access_request_files_a_pending_request_for_the_caller() {
    let mut w = Writes::start();
    let before = w.count("access");
    let r = w.ok(
        "create_access_request",
        json!({
            "group_id": DESIGN_REVIEWS,
            "reason": "Reviewing the API console redesign",
            "ending_at": "Sun, 10 May 2026 19:09:02 -0700",
        }),
    );
    assert_eq!(r["requester_user_id"], WUMPUS);
    assert_eq!(r["requested_group_id"], DESIGN_REVIEWS);
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["request_ownership"], false);
    assert_eq!(r["request_reason"], "Reviewing the API console redesign");
    // Converted to UTC.
    assert_eq!(r["request_ending_at"], "Mon, 11 May 2026 02:09:02 +0000");
    assert_eq!(r["resolver_user_id"], Value::Null);
    assert_eq!(r["resolution_reason"], "");
    assert_eq!(r["resolved_at"], Value::Null);
    assert_eq!(r["approval_ending_at"], Value::Null);
    assert!(is_rfc822(&r["created_at"]), "{}", r["created_at"]);
    assert!((epoch(&r["created_at"]) - now()).abs() < 120);
    assert_eq!(r["created_at"], r["updated_at"]);
    let id = r["id"].as_str().expect("id");
    assert_eq!(id.len(), 20);
    assert!(id.chars().all(|c| c.is_ascii_alphabetic()), "{id}");
    // Nested refs: UserSummary and GroupRef.
    assert_eq!(r["requester"]["id"], WUMPUS);
    assert_eq!(r["requester"]["email"], WUMPUS_EMAIL);
    assert_eq!(r["requester"]["first_name"], "Wumpus");
    assert_eq!(r["active_requester"], r["requester"]);
    assert_eq!(r["requested_group"]["id"], DESIGN_REVIEWS);
    assert_eq!(r["requested_group"]["name"], "Design-Reviews");
    assert_eq!(r["requested_group"]["type"], "okta_group");
    assert_eq!(r["requested_group"]["is_managed"], true);
    assert_eq!(r["active_requested_group"], r["requested_group"]);
    assert_eq!(r["resolver"], Value::Null);
    assert_eq!(r["active_resolver"], Value::Null);
    assert_eq!(
        keys(&r),
        [
            "id",
            "requester_user_id",
            "requested_group_id",
            "request_ownership",
            "request_reason",
            "request_ending_at",
            "status",
            "resolver_user_id",
            "resolution_reason",
            "resolved_at",
            "approval_ending_at",
            "created_at",
            "updated_at",
            "requester",
            "active_requester",
            "requested_group",
            "active_requested_group",
            "resolver",
            "active_resolver",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    );

    // It is in the directory: one more request, readable with the read tools.
    assert_eq!(w.count("access"), before + 1);
    let got = w.ok("get_access_request", json!({"access_request_id": id}));
    for key in [
        "id",
        "requester_user_id",
        "requested_group_id",
        "request_ownership",
        "request_reason",
        "request_ending_at",
        "status",
        "created_at",
    ] {
        assert_eq!(got[key], r[key], "{key}");
    }
    let mine = w.ok(
        "list_access_requests",
        json!({"requester_user_id": "@me", "status": "PENDING"}),
    );
    let ids: Vec<&str> = mine["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [id, WUMPUS_PENDING_ACCESS], "newest first");
}

#[test]
fn create_access_request_accepts_iso_dates_lax_booleans_and_roles() {
    let mut w = Writes::start();
    // ISO 8601 with an offset is converted to UTC; "true" is a boolean.
    let r = w.ok(
        "create_access_request",
        json!({"group_id": ENGINEERING, "group_owner": "true", "ending_at": "2026-05-10T19:09:02-07:00"}),
    );
    assert_eq!(r["request_ownership"], true);
    assert_eq!(r["request_ending_at"], "Mon, 11 May 2026 02:09:02 +0000");
    assert_eq!(r["request_reason"], "");
    // A trailing Z; a naive value is UTC.
    let r = w.ok(
        "create_access_request",
        json!({"group_id": DESIGN_REVIEWS, "ending_at": "2026-05-11T02:09:02Z"}),
    );
    assert_eq!(r["request_ending_at"], "Mon, 11 May 2026 02:09:02 +0000");
    let r = w.ok(
        "create_access_request",
        json!({"group_id": PAGERDUTY_RESPONDERS, "ending_at": "2026-05-11 02:09:02", "group_owner": 1}),
    );
    assert_eq!(r["request_ending_at"], "Mon, 11 May 2026 02:09:02 +0000");
    assert_eq!(r["request_ownership"], true);
    // App groups carry app_id, is_owner and app in their GroupRef.
    assert_eq!(r["requested_group"]["type"], "app_group");
    assert_eq!(r["requested_group"]["app"]["name"], "PagerDuty");
    assert_eq!(r["requested_group"]["is_owner"], false);
    // An empty ending_at is no end.
    let r = w.ok(
        "create_access_request",
        json!({"group_id": ROLE_SRE, "ending_at": ""}),
    );
    assert_eq!(r["request_ending_at"], Value::Null);
    // A role is a valid target of an access request.
    assert_eq!(r["requested_group"]["type"], "role_group");
    assert_eq!(r["requested_group"]["name"], "Role-SRE");
    assert_eq!(r["status"], "PENDING");
}

#[test]
fn create_access_request_errors_are_upstreams_strings_and_write_nothing() {
    let mut w = Writes::start();
    let before = w.counts();
    let t = "create_access_request";
    assert_eq!(w.err(t, json!({"group_id": "nope"})), "Group not found");
    // An id, not a name.
    assert_eq!(
        w.err(t, json!({"group_id": "Engineering"})),
        "Group not found"
    );
    assert_eq!(
        w.err(t, json!({"group_id": LEGACY_VPN_DELETED})),
        "Group not found"
    );
    assert_eq!(w.err(t, json!({"group_id": EVERYONE})), UNMANAGED);
    assert_eq!(w.err(t, json!({})), "group_id: Field required");
    assert_eq!(
        w.err(t, json!({"group_id": 5})),
        "group_id: Input should be a valid string"
    );
    assert_eq!(
        w.err(t, json!({"group_id": ENGINEERING, "ending_at": "x"})),
        "ending_at: Value error, Cannot parse 'x' as a datetime"
    );
    assert_eq!(
        w.err(
            t,
            json!({"group_id": ENGINEERING, "ending_at": "next tuesday"})
        ),
        "ending_at: Value error, Cannot parse 'next tuesday' as a datetime"
    );
    assert_eq!(
        w.err(
            t,
            json!({"group_id": ENGINEERING, "ending_at": "2026-02-30"})
        ),
        "ending_at: Value error, Cannot parse '2026-02-30' as a datetime"
    );
    assert_eq!(
        w.err(t, json!({"group_id": ENGINEERING, "ending_at": 5})),
        "ending_at: Input should be a valid string"
    );
    assert_eq!(
        w.err(t, json!({"group_id": ENGINEERING, "group_owner": "maybe"})),
        "group_owner: Input should be a valid boolean"
    );
    assert_eq!(
        w.err(t, json!({"group_id": ENGINEERING, "reason": 5})),
        "reason: Input should be a valid string"
    );
    assert_eq!(w.counts(), before, "no request was filed");
}

#[test]
fn create_access_request_supersedes_the_callers_pending_request_of_the_same_kind() {
    let mut w = Writes::start();
    let seeded = w.ok(
        "get_access_request",
        json!({"access_request_id": WUMPUS_PENDING_ACCESS}),
    );
    assert_eq!(seeded["status"], "PENDING");
    assert_eq!(seeded["request_ownership"], false);

    // Ownership is another kind: the membership request stays pending.
    let owner = w.ok(
        "create_access_request",
        json!({"group_id": SNOWFLAKE_ANALYSTS, "group_owner": true}),
    );
    let seeded = w.ok(
        "get_access_request",
        json!({"access_request_id": WUMPUS_PENDING_ACCESS}),
    );
    assert_eq!(seeded["status"], "PENDING");

    // Same group, same kind: the earlier request is rejected by the caller.
    let new = w.ok(
        "create_access_request",
        json!({"group_id": SNOWFLAKE_ANALYSTS, "reason": "capacity planning, again"}),
    );
    assert_eq!(new["status"], "PENDING");
    let old = w.ok(
        "get_access_request",
        json!({"access_request_id": WUMPUS_PENDING_ACCESS}),
    );
    assert_eq!(old["status"], "REJECTED");
    assert_eq!(
        old["resolution_reason"],
        "Superseded by a newer request from the same user"
    );
    assert_eq!(old["resolver_user_id"], WUMPUS);
    assert_eq!(old["resolver"]["email"], WUMPUS_EMAIL);
    assert!(is_rfc822(&old["resolved_at"]));
    // The ownership request was not touched.
    let owner = w.ok(
        "get_access_request",
        json!({"access_request_id": owner["id"]}),
    );
    assert_eq!(owner["status"], "PENDING");
    // Superseding the new one in turn.
    let newer = w.ok(
        "create_access_request",
        json!({"group_id": SNOWFLAKE_ANALYSTS}),
    );
    let new = w.ok(
        "get_access_request",
        json!({"access_request_id": new["id"]}),
    );
    assert_eq!(new["status"], "REJECTED");
    assert_ne!(newer["id"], new["id"]);

    // Each supersede is an ACCESS_REJECT audit event.
    w.wait_audit(newer["id"].as_str().expect("id"));
    let rejects: Vec<Value> = w
        .audit_events()
        .into_iter()
        .filter(|e| e["event_type"] == "ACCESS_REJECT")
        .collect();
    let rejected: Vec<&Value> = rejects.iter().map(|e| &e["request"]["id"]).collect();
    assert_eq!(rejected, [&json!(WUMPUS_PENDING_ACCESS), &new["id"]]);
    assert_eq!(
        rejects[0]["request"]["rejection_reason"],
        "Superseded by a newer request from the same user"
    );
}

/// Upstream test_mcp row 30: the write's audit line carries `source: "mcp"`,
/// and here also the plugin and tool that asked.
#[test]
fn the_audit_line_of_a_write_says_mcp_and_names_plugin_and_tool() {
    let mut w = Writes::start();
    let r = w.ok(
        "create_access_request",
        json!({"group_id": ENGINEERING, "reason": "audit me", "ending_at": "2030-01-01T00:00:00Z"}),
    );
    let id = r["id"].as_str().expect("id");
    w.wait_audit(id);
    let events = w.audit_events();
    let last = events.last().expect("an audit event");
    assert_eq!(last["event_type"], "ACCESS_CREATE");
    assert_eq!(last["source"], "mcp");
    assert_eq!(last["plugin"], "access-requests");
    assert_eq!(last["tool"], "create_access_request");
    assert_eq!(last["current_user_id"], WUMPUS);
    assert_eq!(last["current_user_email"], WUMPUS_EMAIL);
    assert_eq!(last["request"]["id"], id);
    assert_eq!(last["request"]["request_reason"], "audit me");
    assert_eq!(last["request"]["request_ownership"], false);
    assert_eq!(last["group"]["id"], ENGINEERING);
    assert_eq!(last["group"]["name"], "Engineering");
    assert_eq!(
        last["requester"],
        json!({"id": WUMPUS, "email": WUMPUS_EMAIL})
    );
    // Engineering's owners (Wumpus is one) are the approvers.
    let owners: BTreeSet<&str> = last["group_owners"]
        .as_array()
        .expect("group_owners")
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    assert!(owners.contains(WUMPUS), "{owners:?}");
    // The application log line of a write.
    assert!(
        w.server.logs().contains(&format!(
            "MCP create_access_request id={id} requester={WUMPUS} group={ENGINEERING}"
        )),
        "{}",
        w.server.logs()
    );
    // A failed write logs no audit event.
    let n = w.audit_events().len();
    assert_eq!(
        w.err("create_access_request", json!({"group_id": EVERYONE})),
        UNMANAGED
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(w.audit_events().len(), n);
}

// ---------------------------------------------------------------- create_role_request

/// Upstream test_mcp row 22: a role owner files a role request.
#[test]
fn create_role_request_by_a_role_owner() {
    let mut w = Writes::start();
    let r = w.ok(
        "create_role_request",
        json!({
            "role_id": ROLE_BACKEND,
            "group_id": DESIGN_REVIEWS,
            "reason": "Backend engineers review API designs",
            "ending_at": "Tue, 01 Jun 2027 12:00:00 +0000",
        }),
    );
    assert_eq!(r["requester_user_id"], WUMPUS);
    assert_eq!(r["requester_role_id"], ROLE_BACKEND);
    assert_eq!(r["requested_group_id"], DESIGN_REVIEWS);
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["request_ownership"], false);
    assert_eq!(r["request_reason"], "Backend engineers review API designs");
    assert_eq!(r["request_ending_at"], "Tue, 01 Jun 2027 12:00:00 +0000");
    assert_eq!(r["requester"]["email"], WUMPUS_EMAIL);
    assert_eq!(r["requester_role"]["name"], "Role-Backend-Engineer");
    assert_eq!(r["requester_role"]["type"], "role_group");
    // The role (upstream's quirk of returning the requested group is fixed).
    assert_eq!(r["active_requester_role"], r["requester_role"]);
    assert_eq!(r["requested_group"]["name"], "Design-Reviews");
    assert_eq!(r["active_requested_group"], r["requested_group"]);
    assert_eq!(r["resolver"], Value::Null);
    let id = r["id"].as_str().expect("id");
    assert!(
        id.len() == 20 && id.chars().all(|c| c.is_ascii_alphabetic()),
        "{id}"
    );
    let got = w.ok("get_role_request", json!({"role_request_id": id}));
    assert_eq!(got["status"], "PENDING");
    assert_eq!(got["requester_role_id"], ROLE_BACKEND);

    // Lax boolean: ownership of an app group.
    let r = w.ok(
        "create_role_request",
        json!({"role_id": ROLE_BACKEND, "group_id": PAGERDUTY_RESPONDERS, "group_owner": "true"}),
    );
    assert_eq!(r["request_ownership"], true);
    assert_eq!(r["requested_group"]["type"], "app_group");
    assert_eq!(r["requested_group"]["app"]["id"], "3wb4EG1irC3IJsn8jvuP");

    w.wait_audit(r["id"].as_str().expect("id"));
    let last = w.audit_events().pop().expect("audit");
    assert_eq!(last["event_type"], "ROLE_REQUEST_CREATE");
    assert_eq!(last["source"], "mcp");
    assert_eq!(last["tool"], "create_role_request");
    assert_eq!(
        last["role_request"]["requester_role"]["name"],
        "Role-Backend-Engineer"
    );
}

/// Upstream test_mcp row 23: an Access admin who does not own the role.
#[test]
fn create_role_request_by_an_access_admin_who_does_not_own_the_role() {
    let mut w = Writes::start();
    let r = w.ok(
        "create_role_request",
        json!({"role_id": ROLE_SRE, "group_id": DESIGN_REVIEWS}),
    );
    assert_eq!(r["requester_user_id"], WUMPUS);
    assert_eq!(r["requester_role_id"], ROLE_SRE);
    assert_eq!(r["requester_role"]["name"], "Role-SRE");
    assert_eq!(r["status"], "PENDING");
}

/// Upstream test_mcp row 24, and every other refusal.
#[test]
fn create_role_request_errors_are_upstreams_strings_and_write_nothing() {
    let mut w = Writes::start();
    let before = w.counts();
    let t = "create_role_request";
    let role_target = w.err(t, json!({"role_id": ROLE_BACKEND, "group_id": ROLE_SRE}));
    assert_eq!(
        role_target,
        "Role requests may only be made for groups and app groups (not roles)."
    );
    assert!(role_target.contains("role"));
    assert_eq!(
        w.err(t, json!({"role_id": "nope", "group_id": DESIGN_REVIEWS})),
        "Role not found"
    );
    // A group that is not a role.
    assert_eq!(
        w.err(
            t,
            json!({"role_id": ENGINEERING, "group_id": DESIGN_REVIEWS})
        ),
        "Role not found"
    );
    assert_eq!(
        w.err(t, json!({"role_id": ROLE_BACKEND, "group_id": "nope"})),
        "Group not found"
    );
    assert_eq!(
        w.err(
            t,
            json!({"role_id": ROLE_BACKEND, "group_id": LEGACY_VPN_DELETED})
        ),
        "Group not found"
    );
    assert_eq!(
        w.err(t, json!({"role_id": ROLE_BACKEND, "group_id": EVERYONE})),
        UNMANAGED
    );
    assert_eq!(
        w.err(t, json!({"group_id": DESIGN_REVIEWS})),
        "role_id: Field required"
    );
    assert_eq!(
        w.err(t, json!({"role_id": ROLE_BACKEND})),
        "group_id: Field required"
    );
    assert_eq!(
        w.err(
            t,
            json!({"role_id": ROLE_BACKEND, "group_id": DESIGN_REVIEWS, "ending_at": "soon"})
        ),
        "ending_at: Value error, Cannot parse 'soon' as a datetime"
    );
    assert_eq!(
        w.err(
            t,
            json!({"role_id": ROLE_BACKEND, "group_id": DESIGN_REVIEWS, "group_owner": []})
        ),
        "group_owner: Input should be a valid boolean"
    );
    assert_eq!(w.counts(), before, "no request was filed");
}

#[test]
fn create_role_request_supersedes_the_callers_pending_request() {
    let mut w = Writes::start();
    let seeded = w.ok(
        "get_role_request",
        json!({"role_request_id": WUMPUS_PENDING_ROLE}),
    );
    assert_eq!(seeded["status"], "PENDING");
    assert_eq!(seeded["requester_role_id"], ROLE_BACKEND);
    assert_eq!(seeded["requested_group_id"], PAGERDUTY_RESPONDERS);
    assert_eq!(seeded["request_ownership"], false);
    // Another role for the same group does not supersede it.
    w.ok(
        "create_role_request",
        json!({"role_id": ROLE_SRE, "group_id": PAGERDUTY_RESPONDERS}),
    );
    let seeded = w.ok(
        "get_role_request",
        json!({"role_request_id": WUMPUS_PENDING_ROLE}),
    );
    assert_eq!(seeded["status"], "PENDING");

    let new = w.ok(
        "create_role_request",
        json!({"role_id": ROLE_BACKEND, "group_id": PAGERDUTY_RESPONDERS, "reason": "again"}),
    );
    assert_eq!(new["status"], "PENDING");
    let old = w.ok(
        "get_role_request",
        json!({"role_request_id": WUMPUS_PENDING_ROLE}),
    );
    assert_eq!(old["status"], "REJECTED");
    assert_eq!(
        old["resolution_reason"],
        "Closed due to duplicate role request creation"
    );
    assert_eq!(old["resolver_user_id"], WUMPUS);
    assert!(is_rfc822(&old["resolved_at"]));
}

// ---------------------------------------------------------------- as a non-owner

/// Upstream test_mcp row 21, and what a plain user can do.
#[test]
fn a_user_who_owns_no_role_and_is_no_admin() {
    let mut w = Writes::start_as(OLIVIA_EMAIL);
    let before = w.count("role");
    // A member (not an owner) of the role.
    assert_eq!(
        w.err(
            "create_role_request",
            json!({"role_id": ROLE_DATA_ANALYST, "group_id": DESIGN_REVIEWS})
        ),
        NOT_ALLOWED
    );
    assert_eq!(
        w.err(
            "create_role_request",
            json!({"role_id": ROLE_BACKEND, "group_id": DESIGN_REVIEWS})
        ),
        NOT_ALLOWED
    );
    // Whether the role exists is checked first, as upstream does.
    assert_eq!(
        w.err(
            "create_role_request",
            json!({"role_id": "nope", "group_id": DESIGN_REVIEWS})
        ),
        "Role not found"
    );
    assert_eq!(w.count("role"), before);

    // Access requests are for oneself: they supersede Olivia's own request.
    let r = w.ok(
        "create_access_request",
        json!({"group_id": ENGINEERING, "reason": "joining the events pipeline work"}),
    );
    assert_eq!(r["requester_user_id"], OLIVIA);
    assert_eq!(r["requester"]["email"], OLIVIA_EMAIL);
    let old = w.ok(
        "get_access_request",
        json!({"access_request_id": OLIVIA_PENDING_ACCESS}),
    );
    assert_eq!(old["status"], "REJECTED");
    assert_eq!(old["resolver_user_id"], OLIVIA);

    // Anyone may ask for a group; an app group of an app she does not own stays pending.
    let g = w.ok(
        "create_group_request",
        json!({"group_name": "App-Grafana-Data", "group_type": "app_group", "app_id": APP_GRAFANA}),
    );
    assert_eq!(g["status"], "PENDING");
    assert_eq!(g["requester"]["id"], OLIVIA);
    assert_eq!(g["approved_group_id"], Value::Null);
}

// ---------------------------------------------------------------- create_group_request

/// Upstream test_mcp row 26.
#[test]
fn create_group_request_by_any_authenticated_user() {
    let mut w = Writes::start();
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "SomeNewGroup", "group_type": "okta_group"}),
    );
    assert_eq!(r["requested_group_name"], "SomeNewGroup");
    assert_eq!(r["requested_group_type"], "okta_group");
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["requested_group_description"], "");
    assert_eq!(r["requested_app_id"], Value::Null);
    assert_eq!(r["requested_group_tags"], json!([]));
    assert_eq!(r["requested_ownership_ending_at"], Value::Null);
    assert_eq!(r["request_reason"], "");
    assert_eq!(r["resolved_group_name"], "SomeNewGroup");
    assert_eq!(r["resolved_group_type"], "okta_group");
    assert_eq!(r["resolved_group_tags"], json!([]));
    assert_eq!(r["resolution_reason"], "");
    assert_eq!(r["resolved_at"], Value::Null);
    assert_eq!(r["approved_group_id"], Value::Null);
    assert_eq!(r["requester"]["id"], WUMPUS);
    assert_eq!(r["resolver"], Value::Null);
    assert!(is_rfc822(&r["created_at"]));
    let id = r["id"].as_str().expect("id");
    assert!(
        id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
    let got = w.ok("get_group_request", json!({"group_request_id": id}));
    assert_eq!(got, r, "the tool answers with get_group_request's shape");

    // Every field, an app id dropped for a non-app type, lax tags.
    let r = w.ok(
        "create_group_request",
        json!({
            "group_name": "Role-Data-Scientist",
            "group_type": "role_group",
            "description": "Job function: data scientists.",
            "app_id": APP_GRAFANA,
            "tags_to_apply": format!("[\"{TAG_SOX}\"]"),
            "ownership_ending_at": "2026-05-11T02:09:02Z",
            "reason": "New team",
        }),
    );
    assert_eq!(r["requested_group_type"], "role_group");
    assert_eq!(
        r["requested_group_description"],
        "Job function: data scientists."
    );
    assert_eq!(r["requested_app_id"], Value::Null);
    assert_eq!(r["requested_group_tags"], json!([TAG_SOX]));
    assert_eq!(r["request_reason"], "New team");
    // Before the tag's limit: kept as asked.
    assert_eq!(
        r["requested_ownership_ending_at"],
        "Mon, 11 May 2026 02:09:02 +0000"
    );
    // tags_to_apply as a list, or null.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Team-Alpha", "group_type": "okta_group", "tags_to_apply": [TAG_SOX, TAG_SECURITY_SENSITIVE]}),
    );
    assert_eq!(
        r["requested_group_tags"],
        json!([TAG_SOX, TAG_SECURITY_SENSITIVE])
    );
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Team-Beta", "group_type": "okta_group", "tags_to_apply": null}),
    );
    assert_eq!(r["requested_group_tags"], json!([]));
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Team-Gamma", "group_type": "okta_group", "tags_to_apply": "null"}),
    );
    assert_eq!(r["requested_group_tags"], json!([]));

    w.wait_audit("Team-Gamma");
    let last = w.audit_events().pop().expect("audit");
    assert_eq!(last["event_type"], "GROUP_REQUEST_CREATE");
    assert_eq!(last["source"], "mcp");
    assert_eq!(last["plugin"], "access-requests");
    assert_eq!(last["tool"], "create_group_request");
    assert_eq!(last["group_request"]["requested_group_name"], "Team-Gamma");
}

/// Upstream test_mcp rows 27, 28 and 29.
#[test]
fn create_group_request_for_app_groups() {
    let mut w = Writes::start();
    let before = w.count("group");
    // Row 27: app_id is required for an app group.
    assert_eq!(
        w.err(
            "create_group_request",
            json!({"group_name": "App-Snowflake-Newgrp", "group_type": "app_group"})
        ),
        "app_group.requested_app_id: Field required"
    );
    assert_eq!(
        w.err(
            "create_group_request",
            json!({"group_name": "App-Snowflake-Newgrp", "group_type": "app_group", "app_id": ""})
        ),
        "app_group.requested_app_id: Field required"
    );
    // Row 28.
    assert_eq!(
        w.err(
            "create_group_request",
            json!({"group_name": "App-Foo-Newgrp", "group_type": "app_group", "app_id": "does-not-exist"})
        ),
        "App not found"
    );
    // An app name is not an id.
    assert_eq!(
        w.err(
            "create_group_request",
            json!({"group_name": "App-Snowflake-Newgrp", "group_type": "app_group", "app_id": "Snowflake"})
        ),
        "App not found"
    );
    assert_eq!(w.count("group"), before);
    // Row 29: an app the caller does not own; the request waits for its owners.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "App-Snowflake-Newgrp", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
    );
    assert_eq!(r["requested_group_type"], "app_group");
    assert_eq!(r["requested_app_id"], APP_SNOWFLAKE);
    assert_eq!(r["resolved_app_id"], APP_SNOWFLAKE);
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["approved_group_id"], Value::Null);
    assert_eq!(w.count("group"), before + 1);
}

#[test]
fn create_group_request_name_rules() {
    let mut w = Writes::start();
    let before = w.count("group");
    let t = "create_group_request";
    let declined = [
        json!({"group_name": "Data-Owners", "group_type": "okta_group"}),
        json!({"group_name": "Role-Data-Owners", "group_type": "role_group"}),
        json!({"group_name": "App-Snowflake-Owners", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
        // Role- prefix both ways.
        json!({"group_name": "Role-Foo", "group_type": "okta_group"}),
        json!({"group_name": "Foo-Role", "group_type": "role_group"}),
        json!({"group_name": "Role-Foo", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
        // App-<app>- prefix.
        json!({"group_name": "App-Grafana-Foo", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
        json!({"group_name": "Snowflake-Foo", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
        json!({"group_name": "App-SnowflakeFoo", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
    ];
    for args in declined {
        assert_eq!(w.err(t, args.clone()), DECLINED, "{args}");
    }
    let schema_errors = [
        (
            json!({"group_name": "bad name", "group_type": "okta_group"}),
            format!("okta_group.requested_group_name: {NAME_PATTERN}"),
        ),
        (
            json!({"group_name": "role-lower", "group_type": "role_group"}),
            format!("role_group.requested_group_name: {NAME_PATTERN}"),
        ),
        (
            json!({"group_name": "App_Snowflake_X", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
            format!("app_group.requested_group_name: {NAME_PATTERN}"),
        ),
        (
            json!({"group_name": "", "group_type": "okta_group"}),
            "okta_group.requested_group_name: String should have at least 1 character".to_string(),
        ),
        (
            json!({"group_name": format!("A{}", "b".repeat(255)), "group_type": "okta_group"}),
            "okta_group.requested_group_name: String should have at most 255 characters"
                .to_string(),
        ),
        (
            json!({"group_name": "Fine", "group_type": "okta_group", "description": "d".repeat(1025)}),
            "okta_group.requested_group_description: String should have at most 1024 characters"
                .to_string(),
        ),
        (
            json!({"group_name": "Fine", "group_type": "t"}),
            UNKNOWN_TYPE.to_string(),
        ),
        (
            json!({"group_name": "bad name", "group_type": "t"}),
            UNKNOWN_TYPE.to_string(),
        ),
        (
            json!({"group_name": "Fine", "group_type": "Okta_Group"}),
            UNKNOWN_TYPE.replace("'t'", "'Okta_Group'"),
        ),
        (
            json!({"group_name": "Fine", "group_type": "okta_group", "ownership_ending_at": "x"}),
            "okta_group.requested_ownership_ending_at: Value error, Cannot parse 'x' as a datetime"
                .to_string(),
        ),
        (
            json!({"group_name": "App-Snowflake-X", "group_type": "app_group", "app_id": APP_SNOWFLAKE, "ownership_ending_at": "it's"}),
            "app_group.requested_ownership_ending_at: Value error, Cannot parse \"it's\" as a datetime"
                .to_string(),
        ),
        (
            json!({"group_type": "okta_group"}),
            "group_name: Field required".to_string(),
        ),
        (
            json!({"group_name": "Fine"}),
            "group_type: Field required".to_string(),
        ),
    ];
    for (args, want) in schema_errors {
        assert_eq!(w.err(t, args.clone()), want, "{args}");
    }
    assert_eq!(w.count("group"), before, "nothing was filed");
    // The right prefixes pass.
    for args in [
        json!({"group_name": "Role-Foo", "group_type": "role_group"}),
        json!({"group_name": "App-Snowflake-Foo", "group_type": "app_group", "app_id": APP_SNOWFLAKE}),
        json!({"group_name": "Owners-Of-Things", "group_type": "okta_group"}),
    ] {
        assert_eq!(w.ok(t, args.clone())["status"], "PENDING", "{args}");
    }
    assert_eq!(w.count("group"), before + 3);
}

#[test]
fn create_group_request_tag_arguments() {
    let mut w = Writes::start();
    let before = w.count("group");
    let t = "create_group_request";
    let base = |tags: Value| json!({"group_name": "Tagged", "group_type": "okta_group", "tags_to_apply": tags});
    assert_eq!(
        w.err(t, base(json!(["nope"]))),
        "One or more tags not found"
    );
    // The count must match: a repeated id fails too.
    assert_eq!(
        w.err(t, base(json!([TAG_SOX, TAG_SOX]))),
        "One or more tags not found"
    );
    assert_eq!(
        w.err(t, base(json!(5))),
        "tags_to_apply: Input should be a valid list"
    );
    assert_eq!(
        w.err(t, base(json!("not json"))),
        "tags_to_apply: Input should be a valid list"
    );
    assert_eq!(
        w.err(t, base(json!({"a": 1}))),
        "tags_to_apply: Input should be a valid list"
    );
    assert_eq!(
        w.err(t, base(json!([TAG_SOX, 1]))),
        "tags_to_apply.1: Input should be a valid string"
    );
    assert_eq!(w.count("group"), before);
}

#[test]
fn create_group_request_clips_ownership_to_the_tags_owner_time_limit() {
    let mut w = Writes::start();
    // No end asked: now + the limit (one year).
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Security-Tools", "group_type": "okta_group", "tags_to_apply": [TAG_SECURITY_SENSITIVE]}),
    );
    let created = epoch(&r["created_at"]);
    assert_eq!(
        epoch(&r["requested_ownership_ending_at"]) - created,
        YEAR,
        "{r}"
    );
    assert_eq!(
        r["resolved_ownership_ending_at"],
        r["requested_ownership_ending_at"]
    );
    // Longer than the limit: clipped.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Security-Tools-Two", "group_type": "okta_group",
               "tags_to_apply": [TAG_SECURITY_SENSITIVE], "ownership_ending_at": "Fri, 31 Dec 9998 00:00:00 +0000"}),
    );
    assert_eq!(
        epoch(&r["requested_ownership_ending_at"]) - epoch(&r["created_at"]),
        YEAR
    );
    // Shorter than the limit: kept.
    let in_30_days = now() + 30 * 86_400;
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Security-Tools-Three", "group_type": "okta_group",
               "tags_to_apply": [TAG_SECURITY_SENSITIVE], "ownership_ending_at": iso(in_30_days)}),
    );
    assert_eq!(epoch(&r["requested_ownership_ending_at"]), in_30_days);
    // Several tags: the smallest limit (SOX-Compliance, 90 days).
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Security-Tools-Four", "group_type": "okta_group",
               "tags_to_apply": [TAG_SECURITY_SENSITIVE, TAG_SOX]}),
    );
    assert_eq!(
        epoch(&r["requested_ownership_ending_at"]) - epoch(&r["created_at"]),
        NINETY_DAYS
    );
    // No tag, no limit: no end.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "Security-Tools-Five", "group_type": "okta_group"}),
    );
    assert_eq!(r["requested_ownership_ending_at"], Value::Null);
}

#[test]
fn create_group_request_supersedes_the_callers_pending_request_for_the_name() {
    let mut w = Writes::start();
    let first = w.ok(
        "create_group_request",
        json!({"group_name": "Team-Delta", "group_type": "okta_group", "reason": "first"}),
    );
    // Another name leaves it alone.
    w.ok(
        "create_group_request",
        json!({"group_name": "Team-Epsilon", "group_type": "okta_group"}),
    );
    let again = w.ok(
        "get_group_request",
        json!({"group_request_id": first["id"]}),
    );
    assert_eq!(again["status"], "PENDING");
    let second = w.ok(
        "create_group_request",
        json!({"group_name": "Team-Delta", "group_type": "okta_group", "reason": "second"}),
    );
    assert_eq!(second["status"], "PENDING");
    let old = w.ok(
        "get_group_request",
        json!({"group_request_id": first["id"]}),
    );
    assert_eq!(old["status"], "REJECTED");
    assert_eq!(
        old["resolution_reason"],
        "Closed due to duplicate group request creation"
    );
    assert_eq!(old["resolver"]["id"], WUMPUS);
    assert!(is_rfc822(&old["resolved_at"]));
    w.wait_audit(second["id"].as_str().expect("id"));
    assert!(
        w.audit_events()
            .iter()
            .any(|e| e["event_type"] == "GROUP_REQUEST_REJECT"
                && e["group_request"]["id"] == first["id"]),
        "a GROUP_REQUEST_REJECT event for the superseded request"
    );
}

#[test]
fn an_app_owners_app_group_request_is_approved_at_once() {
    let mut w = Writes::start();
    let groups_before = w.ok("list_groups", json!({"size": 1}))["total"]
        .as_i64()
        .expect("total");
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "App-Grafana-Oncall", "group_type": "app_group", "app_id": APP_GRAFANA,
               "description": "On-call dashboards.", "tags_to_apply": [TAG_SECURITY_SENSITIVE],
               "reason": "dashboards for the rotation"}),
    );
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(
        r["resolution_reason"],
        "Requester owns parent app and can create app groups"
    );
    assert_eq!(r["resolver"]["id"], WUMPUS);
    assert!(is_rfc822(&r["resolved_at"]));
    let gid = r["approved_group_id"].as_str().expect("approved_group_id");
    assert!(gid.starts_with("00g") && gid.len() == 20, "{gid}");
    assert_eq!(
        epoch(&r["requested_ownership_ending_at"]) - epoch(&r["created_at"]),
        YEAR
    );
    let got = w.ok("get_group_request", json!({"group_request_id": r["id"]}));
    assert_eq!(got["status"], "APPROVED");
    assert_eq!(got["approved_group_id"], gid);

    // The group exists, in the app, with the tag, and Wumpus owns it until the clipped end.
    assert_eq!(
        w.ok("list_groups", json!({"size": 1}))["total"]
            .as_i64()
            .expect("total"),
        groups_before + 1
    );
    let g = w.ok("get_group", json!({"group_id_or_name": gid}));
    assert_eq!(g["name"], "App-Grafana-Oncall");
    assert_eq!(g["type"], "app_group");
    assert_eq!(g["description"], "On-call dashboards.");
    assert_eq!(g["app_id"], APP_GRAFANA);
    assert_eq!(g["is_owner"], false);
    assert_eq!(g["is_managed"], true);
    let owners = g["active_user_ownerships"].as_array().expect("ownerships");
    assert_eq!(owners.len(), 1, "{owners:?}");
    assert_eq!(owners[0]["user"]["id"], WUMPUS);
    assert_eq!(
        owners[0]["created_reason"],
        "Requester owns parent app and can create app groups"
    );
    assert_eq!(
        owners[0]["ended_at"], r["requested_ownership_ending_at"],
        "ownership ends at the tag's limit"
    );
    assert_eq!(g["active_user_memberships"], json!([]));
    let tags: Vec<&Value> = g["active_group_tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|m| &m["active_tag"]["id"])
        .collect();
    assert_eq!(tags, [&json!(TAG_SECURITY_SENSITIVE)]);
    let members = w.ok(
        "list_group_memberships",
        json!({"group_id_or_name": "App-Grafana-Oncall"}),
    );
    assert_eq!(members["owners"], json!([WUMPUS]));

    // Only the approve path is audited: no GROUP_REQUEST_CREATE for it.
    w.wait_audit(gid);
    let events: Vec<Value> = w
        .audit_events()
        .into_iter()
        .filter(|e| e["group_request"]["id"] == r["id"] || e["group"]["id"] == json!(gid))
        .collect();
    let kinds: Vec<&Value> = events.iter().map(|e| &e["event_type"]).collect();
    assert_eq!(
        kinds,
        [&json!("GROUP_CREATE"), &json!("GROUP_REQUEST_APPROVE")]
    );
    assert!(
        events
            .iter()
            .all(|e| e["source"] == "mcp" && e["tool"] == "create_group_request")
    );

    // Without a tag there is no end to the ownership.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "App-Grafana-Sandbox", "group_type": "app_group", "app_id": APP_GRAFANA}),
    );
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["requested_ownership_ending_at"], Value::Null);
    let g = w.ok(
        "get_group",
        json!({"group_id_or_name": r["approved_group_id"]}),
    );
    assert_eq!(g["active_user_ownerships"][0]["ended_at"], Value::Null);

    // A name already taken is left pending for a human.
    let r = w.ok(
        "create_group_request",
        json!({"group_name": "App-Grafana-Viewers", "group_type": "app_group", "app_id": APP_GRAFANA}),
    );
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["approved_group_id"], Value::Null);
}
