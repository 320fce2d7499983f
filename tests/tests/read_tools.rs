//! The 18 read tools of `access-reads` against the demo organisation
//! (host/access/src/db/demo_seed.sql). Expected values are derived from the seed:
//! counts, ids and orderings are those the seed's rows give.

use std::collections::{BTreeSet, HashMap};

use access_mcp_e2e::{Client, PluginDir, Server, ServerOptions};
use serde_json::{Value, json};

// ---------------------------------------------------------------- seed ids

const WUMPUS: &str = "00uwumpus000000000001";
const MARCUS: &str = "00uj6Q3M3XrUdxJrgACn";
const PRIYA: &str = "00uxAaVKGZWo7P7LLgzw";
const ELENA: &str = "00uFlzDSHkQKYjS9SqJm";
const DIEGO: &str = "00uZz4PpeIhn5xmV3uyz";
const OWEN: &str = "00u27nHJeEmQZ5okwuMf";
const KEVIN_DELETED: &str = "00uAQYOmbf7bodJpSDyY";

const ENGINEERING: &str = "00gVlPE2eVMAQINp4Bdv";
const EVERYONE: &str = "00gPTEBj52PME8lpePjr";
const LEGACY_VPN_DELETED: &str = "00g62czU9N2OsIWSeNOi";
const ROLE_BACKEND: &str = "00gXEOWnQT1k2VQlWAy0";
const ROLE_SRE: &str = "00g4RodOIJG6RgQmhbVS";
const GRAFANA_OWNERS: &str = "00gzgAdiWAArvqcTXk0L";
const FINANCE_REPORTS: &str = "00g1YBzQKOJkHySfL0zN";
const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const PAGERDUTY_RESPONDERS: &str = "00gtSTyKjEnaDgI1n5yJ";

const APP_ACCESS: &str = "mIvVDek7ejMMQVIc6zjS";
const APP_GRAFANA: &str = "VOQ3Vfss2E5mQpTYRpVN";
const APP_SNOWFLAKE: &str = "0JvRlj9ZjleHHNTGAGyH";

const TAG_PII: &str = "T4tEIdoFsgb1Txal6m4h";

/// The 15 distinct users with an active member row in Engineering.
const ENGINEERING_MEMBERS: [&str; 15] = [
    "00u5OEN5jmMIm9znnDos",
    "00uA7qbEYFz4iywwkq7V",
    "00uFlzDSHkQKYjS9SqJm",
    "00uGjjkctKOn4Q021K7k",
    "00uRVf8pgMagoNfBLJg7",
    "00uTD8RVB7JLl8R0cKgZ",
    "00uZz4PpeIhn5xmV3uyz",
    "00uf4cVTzjp95bWhk4sV",
    "00uj6Q3M3XrUdxJrgACn",
    "00ulBuChmBMkkqObMKer",
    "00umP2fOXIdmEjiEq49M",
    "00un3N3m8E4ge3a2G7FQ",
    "00uv0zqi8Gc2GCsJP5K2",
    "00uwumpus000000000001",
    "00uxAaVKGZWo7P7LLgzw",
];

/// Access requests, newest first.
const ACCESS_REQUESTS_NEWEST_FIRST: [&str; 16] = [
    "edQMOAyQlCZYxNdDpSPm",
    "cXEIODpUyZrAZXAuSIaz",
    "dsWpJCwzTSTaGXqkuBOw",
    "artyFbFooLIvXESJzHkN",
    "wHotCqhVbYniQofWvMfm",
    "xacjnZSOSSxfkKGjktXA",
    "QDOvWSskMLWcbfxZGxYr",
    "mqAWBwIXRyZWieIBVQAZ",
    "JvmZzWyKqJEyGvphXOyD",
    "ipXXFoQfltqQpHnZOhEr",
    "AGzqNGmQYPFsdPOVMYhm",
    "NxYOqZNEBKlsULGhmrxe",
    "wTEAxRlcXicqmwEMCUca",
    "nOGbrThzpxngxGfLqNIK",
    "avamvYjGDDjZigVDJkOe",
    "AuSwKhOwlXVDuoQVspAD",
];

const ROLE_REQUESTS_NEWEST_FIRST: [&str; 5] = [
    "xKmQBAeZukVmyYrIZEHG",
    "hXOrRyNcVrpOxNKVPzFS",
    "rAXaoqCZhUCjHpzTjEgH",
    "iCwSQtVcoPNUfzguQGmZ",
    "lJNuiFIeBcrVkmJpVKTU",
];

const GROUP_REQUESTS_NEWEST_FIRST: [&str; 8] = [
    "5RO9YwSPPrED7aezNqS0",
    "D0M5C0qoQ9LTgAnpACsm",
    "CLsrLmnFOgMoz6L4rFAE",
    "H5TP3kHvGkrzbnnDU1Fq",
    "xE4L9mLGNgzSZVQ27uWp",
    "i0eNmFoDZhoK0hAfbm8T",
    "QmyyjPlbvSALYmPifH80",
    "KfMCb5JW5PRek6LQait5",
];

/// Every read tool, its title, its parameters and the required ones (spec §8).
const TOOLS: [(&str, &str, &[&str], &[&str]); 18] = [
    (
        "list_groups",
        "List groups",
        &["q", "managed", "page", "size"],
        &[],
    ),
    (
        "get_group",
        "Get group",
        &["group_id_or_name"],
        &["group_id_or_name"],
    ),
    (
        "list_group_memberships",
        "List group memberships",
        &["group_id_or_name"],
        &["group_id_or_name"],
    ),
    (
        "list_roles",
        "List roles",
        &["q", "owner_id", "page", "size"],
        &[],
    ),
    (
        "get_role",
        "Get role",
        &["role_id_or_name"],
        &["role_id_or_name"],
    ),
    ("list_apps", "List apps", &["q", "page", "size"], &[]),
    (
        "get_app",
        "Get app",
        &["app_id_or_name"],
        &["app_id_or_name"],
    ),
    ("list_users", "List users", &["q", "page", "size"], &[]),
    (
        "get_user",
        "Get user",
        &["user_id_or_email"],
        &["user_id_or_email"],
    ),
    ("list_tags", "List tags", &["q", "page", "size"], &[]),
    (
        "get_tag",
        "Get tag",
        &["tag_id_or_name"],
        &["tag_id_or_name"],
    ),
    (
        "list_access_requests",
        "List access requests",
        &[
            "q",
            "status",
            "requester_user_id",
            "requested_group_id",
            "resolver_user_id",
            "page",
            "size",
        ],
        &[],
    ),
    (
        "get_access_request",
        "Get access request",
        &["access_request_id"],
        &["access_request_id"],
    ),
    (
        "list_role_requests",
        "List role requests",
        &[
            "q",
            "status",
            "requester_user_id",
            "requester_role_id",
            "requested_group_id",
            "page",
            "size",
        ],
        &[],
    ),
    (
        "get_role_request",
        "Get role request",
        &["role_request_id"],
        &["role_request_id"],
    ),
    (
        "list_group_requests",
        "List group requests",
        &[
            "q",
            "status",
            "requester_user_id",
            "requested_group_type",
            "requested_app_id",
            "page",
            "size",
        ],
        &[],
    ),
    (
        "get_group_request",
        "Get group request",
        &["group_request_id"],
        &["group_request_id"],
    ),
    (
        "list_audit_entries",
        "List access history",
        &[
            "user_id",
            "group_id",
            "is_owner",
            "active_only",
            "page",
            "size",
        ],
        &[],
    ),
];

const LIST_TOOLS: [&str; 9] = [
    "list_groups",
    "list_roles",
    "list_apps",
    "list_users",
    "list_tags",
    "list_access_requests",
    "list_role_requests",
    "list_group_requests",
    "list_audit_entries",
];

// ---------------------------------------------------------------- harness

/// A server on the demo database and a client that checks every result
/// against the tool's declared output schema.
struct Reads {
    client: Client,
    schemas: HashMap<String, Value>,
    tools: Vec<Value>,
    _server: Server,
    _plugins: PluginDir,
}

impl Reads {
    fn start() -> Reads {
        Self::start_with_env(Vec::new())
    }

    fn start_with_env(env: Vec<(String, String)>) -> Reads {
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
        Reads {
            client,
            schemas,
            tools,
            _server: server,
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
        check_schema(tool, &self.schemas[tool], sc);
        sc["error"].as_str().expect("error string").to_string()
    }

    /// The raw text content of a successful call (key order is the plugin's).
    fn text(&mut self, tool: &str, args: Value) -> String {
        let r = self.client.call_tool(tool, args);
        assert_eq!(r["isError"], false, "{r}");
        r["content"][0]["text"].as_str().expect("text").to_string()
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every top-level key is declared, with a matching type.
pub(crate) fn check_schema(tool: &str, schema: &Value, v: &Value) {
    let props = schema["properties"].as_object().expect("properties");
    for (k, x) in v.as_object().expect("object result") {
        let p = props
            .get(k)
            .unwrap_or_else(|| panic!("{tool}: `{k}` not in the output schema"));
        let t = json_type(x);
        let ok = match &p["type"] {
            Value::String(s) => s == t || (s == "number" && t == "integer"),
            Value::Array(a) => a.iter().any(|s| s == t),
            _ => true,
        };
        assert!(ok, "{tool}: `{k}` is {t}, schema says {}", p["type"]);
    }
}

pub(crate) fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().expect("string").to_string())
        .collect()
}

/// `results[*][key]` of an envelope.
fn field(env: &Value, key: &str) -> Vec<String> {
    env["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {env}"))
        .iter()
        .map(|r| r[key].as_str().unwrap_or("<none>").to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn set_of(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

pub(crate) fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn total_keys(v: &Value) -> Vec<String> {
    keys(v)
        .into_iter()
        .filter(|k| k.ends_with("_total"))
        .collect()
}

fn len(v: &Value) -> usize {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .len()
}

/// `Wed, 03 Jun 2026 15:46:31 +0000`.
pub(crate) fn is_rfc822(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    s.len() == 31
        && ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&&s[0..3])
        && &s[3..5] == ", "
        && digits(5..7)
        && [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .contains(&&s[8..11])
        && digits(12..16)
        && digits(17..19)
        && &s[19..20] == ":"
        && digits(20..22)
        && digits(23..25)
        && s.ends_with(" +0000")
}

// ---------------------------------------------------------------- descriptors

#[test]
fn the_18_read_tools_are_listed_with_upstream_names_titles_and_parameters() {
    let r = Reads::start();
    let by_name: HashMap<&str, &Value> = r
        .tools
        .iter()
        .map(|t| (t["name"].as_str().expect("name"), t))
        .collect();
    for (name, title, params, required) in TOOLS {
        let t = by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not listed"));
        assert_eq!(t["title"], title, "{name}");
        assert_eq!(t["annotations"]["readOnlyHint"], true, "{name}");
        assert_eq!(t["annotations"]["openWorldHint"], false, "{name}");
        assert!(
            t["description"].as_str().expect("description").len() > 150,
            "{name} has a real description"
        );
        assert!(
            t["description"]
                .as_str()
                .expect("description")
                .contains("read_all"),
            "{name} names its scope"
        );
        let input = &t["inputSchema"];
        assert_eq!(input["type"], "object");
        assert_eq!(keys(&input["properties"]), set(params), "{name} parameters");
        assert_eq!(set_of(strs(&input["required"])), set(required), "{name}");
        let out = &t["outputSchema"];
        assert_eq!(out["type"], "object", "{name}");
        assert!(out.get("required").is_none(), "{name}: nothing required");
        assert_eq!(out["properties"]["error"]["type"], "string", "{name}");
        assert!(keys(&out["properties"]).len() > 1, "{name}");
    }
    // Defaults exactly as upstream.
    let p = |tool: &str, param: &str| by_name[tool]["inputSchema"]["properties"][param].clone();
    assert_eq!(p("list_groups", "q")["default"], "");
    assert_eq!(p("list_groups", "managed")["default"], Value::Null);
    assert_eq!(p("list_groups", "page")["default"], 0);
    assert_eq!(p("list_groups", "size")["default"], 50);
    assert_eq!(p("list_roles", "owner_id")["default"], "");
    assert_eq!(p("list_access_requests", "status")["default"], "");
    assert_eq!(
        p("list_group_requests", "requested_group_type")["default"],
        ""
    );
    assert_eq!(p("list_audit_entries", "active_only")["default"], true);
    assert_eq!(p("list_audit_entries", "is_owner")["default"], Value::Null);
    assert_eq!(p("list_audit_entries", "user_id")["type"], "string");
    assert_eq!(p("list_audit_entries", "size")["type"], "integer");
}

// ---------------------------------------------------------------- pagination and arguments

#[test]
fn pagination_and_lax_arguments_behave_the_same_in_every_list_tool() {
    let mut r = Reads::start();
    for tool in LIST_TOOLS {
        assert_eq!(
            r.err(tool, json!({"page": -1})),
            "page must be >= 0",
            "{tool}"
        );
        assert_eq!(
            r.err(tool, json!({"size": 0})),
            "size must be >= 1",
            "{tool}"
        );
        assert_eq!(
            r.err(tool, json!({"size": -3})),
            "size must be >= 1",
            "{tool}"
        );
        assert_eq!(
            r.err(tool, json!({"size": "abc"})),
            "size: Input should be a valid integer",
            "{tool}"
        );
        assert_eq!(
            r.err(tool, json!({"page": [1]})),
            "page: Input should be a valid integer",
            "{tool}"
        );
        let clamped = r.ok(tool, json!({"size": 500}));
        assert_eq!(clamped["size"], 100, "{tool}");
        let lax = r.ok(tool, json!({"size": "5", "page": "0"}));
        assert_eq!(lax["size"], 5, "{tool}");
        assert_eq!(lax["page"], 0, "{tool}");
        let past = r.ok(tool, json!({"page": 1000}));
        assert_eq!(past["results"], json!([]), "{tool}: a page past the end");
        assert_eq!(past["has_next"], false, "{tool}");
        assert_eq!(past["has_prev"], true, "{tool}");
        assert!(past["total"].as_i64().expect("total") > 0, "{tool}");
    }

    // 34 live users, 10 a page: pages 0..=3, the last one holding 4.
    let first = r.ok("list_users", json!({"size": 10}));
    assert_eq!(
        (
            &first["total"],
            &first["pages"],
            &first["has_next"],
            &first["has_prev"]
        ),
        (&json!(34), &json!(4), &json!(true), &json!(false))
    );
    assert_eq!(len(&first["results"]), 10);
    let middle = r.ok("list_users", json!({"size": 10, "page": 1}));
    assert_eq!(
        (&middle["has_next"], &middle["has_prev"]),
        (&json!(true), &json!(true))
    );
    let last = r.ok("list_users", json!({"size": 10, "page": 3}));
    assert_eq!(
        (&last["has_next"], &last["has_prev"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(
        field(&last, "email"),
        [
            "wei.chen@example.com",
            "wumpus@discord.com",
            "yuki.sato@example.com",
            "zoe.nakamura@example.com"
        ]
    );
    // An empty result still has one page.
    let none = r.ok("list_users", json!({"q": "no-such-person-anywhere"}));
    assert_eq!(
        (&none["total"], &none["pages"], &none["has_next"]),
        (&json!(0), &json!(1), &json!(false))
    );

    // Lax booleans, and bad ones.
    assert_eq!(r.ok("list_groups", json!({"managed": "false"}))["total"], 2);
    assert_eq!(r.ok("list_groups", json!({"managed": "true"}))["total"], 23);
    assert_eq!(
        r.err("list_groups", json!({"managed": "maybe"})),
        "managed: Input should be a valid boolean"
    );
    assert_eq!(
        r.err("list_groups", json!({"q": 5})),
        "q: Input should be a valid string"
    );
    assert_eq!(
        r.err("get_group", json!({})),
        "group_id_or_name: Field required"
    );
    assert_eq!(
        r.err("list_audit_entries", json!({"active_only": "sometimes"})),
        "active_only: Input should be a valid boolean"
    );
}

// ---------------------------------------------------------------- groups

#[test]
fn list_groups_searches_filters_on_managed_and_escapes_wildcards() {
    let mut r = Reads::start();
    let all = r.ok("list_groups", json!({}));
    assert_eq!(all["total"], 25, "26 groups, one deleted");
    let names = field(&all, "name");
    assert!(!names.contains(&"Legacy-VPN-Users".to_string()));
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "ordered by lower(name)");
    assert_eq!(names[0], "All-Contractors");

    let unmanaged = r.ok("list_groups", json!({"managed": false}));
    assert_eq!(field(&unmanaged, "name"), ["All-Contractors", "Everyone"]);
    assert_eq!(r.ok("list_groups", json!({"managed": null}))["total"], 25);

    let eng = r.ok("list_groups", json!({"q": "ENG"}));
    assert_eq!(
        field(&eng, "name"),
        [
            "Engineering",
            "Role-Backend-Engineer",
            "Role-Security-Engineer",
            "Role-SRE"
        ]
    );
    // `%` and `_` are literal characters, not wildcards (no seed group has them).
    assert_eq!(r.ok("list_groups", json!({"q": "%"}))["total"], 0);
    assert_eq!(r.ok("list_groups", json!({"q": "_"}))["total"], 0);

    // Role summaries carry the groups they grant; app summaries their app.
    let role = r.ok("list_groups", json!({"q": "Role-Backend-Engineer"}));
    let role = &role["results"][0];
    assert_eq!(role["type"], "role_group");
    assert_eq!(
        len(&role["active_role_associated_group_member_mappings"]),
        4
    );
    let app = r.ok("list_groups", json!({"q": "App-Grafana-Owners"}));
    assert_eq!(app["results"][0]["app"]["id"], APP_GRAFANA);
    assert!(is_rfc822(&app["results"][0]["created_at"]));
}

#[test]
fn get_group_returns_the_detail_of_every_group_type_and_finds_deleted_groups() {
    let mut r = Reads::start();
    let g = r.ok("get_group", json!({"group_id_or_name": "Engineering"}));
    assert_eq!(g["id"], ENGINEERING);
    assert_eq!(g["type"], "okta_group");
    assert_eq!(g["is_managed"], true);
    assert_eq!(g["externally_managed_data"], json!({}));
    assert_eq!(g["deleted_at"], Value::Null);
    assert!(is_rfc822(&g["created_at"]) && is_rfc822(&g["updated_at"]));
    // 16 active member rows (15 users: Diego has two), 11 of them through roles.
    let members = g["active_user_memberships"].as_array().expect("members");
    assert_eq!(members.len(), 16);
    let users: BTreeSet<String> = members
        .iter()
        .map(|m| m["user"]["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(users, set(&ENGINEERING_MEMBERS));
    let via_roles: Vec<&Value> = members
        .iter()
        .filter(|m| !m["active_role_group_mapping"].is_null())
        .collect();
    assert_eq!(via_roles.len(), 11);
    for m in &via_roles {
        let role = m["active_role_group_mapping"]["active_role_group"]["name"]
            .as_str()
            .expect("role name");
        assert!(
            ["Role-Backend-Engineer", "Role-SRE"].contains(&role),
            "{role}"
        );
    }
    let m = &members[0];
    assert_eq!(
        keys(m),
        set(&[
            "is_owner",
            "created_at",
            "updated_at",
            "ended_at",
            "created_reason",
            "should_expire",
            "user",
            "active_user",
            "group",
            "active_group",
            "role_group_mapping",
            "active_role_group_mapping"
        ])
    );
    assert_eq!(m["group"]["id"], ENGINEERING);
    assert_eq!(
        keys(&m["group"]),
        set(&[
            "id",
            "type",
            "name",
            "description",
            "is_owner",
            "is_managed",
            "deleted_at",
            "app"
        ])
    );
    assert_eq!(m["active_group"], m["group"]);
    // Newest first: Diego's two rows (190, then 73) are the newest.
    assert_eq!(members[0]["user"]["id"], DIEGO);
    assert_eq!(members[1]["user"]["id"], DIEGO);

    let owners: BTreeSet<String> = g["active_user_ownerships"]
        .as_array()
        .expect("owners")
        .iter()
        .map(|m| m["user"]["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(owners, set(&[WUMPUS, PRIYA]));
    let roles: BTreeSet<String> = g["active_role_member_mappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| {
            m["active_role_group"]["name"]
                .as_str()
                .expect("name")
                .to_string()
        })
        .collect();
    assert_eq!(roles, set(&["Role-Backend-Engineer", "Role-SRE"]));
    assert_eq!(g["active_role_owner_mappings"], json!([]));
    assert_eq!(
        g["active_group_tags"],
        json!([]),
        "the Oncall-Rotation attachment ended"
    );
    assert!(g.get("app_id").is_none(), "no app fields on an okta_group");
    assert!(
        total_keys(&g).is_empty(),
        "nothing capped at the default limit"
    );
    // By id, the same group.
    assert_eq!(
        r.ok("get_group", json!({"group_id_or_name": ENGINEERING})),
        g
    );

    // Upstream's key order in the text content.
    let text = r.text("get_group", json!({"group_id_or_name": ENGINEERING}));
    assert!(
        text.starts_with(&format!(
            "{{\"id\":\"{ENGINEERING}\",\"name\":\"Engineering\",\"description\":"
        )),
        "{}",
        &text[..120]
    );

    // A deleted group is still found (§8.2) ...
    let vpn = r.ok("get_group", json!({"group_id_or_name": "Legacy-VPN-Users"}));
    assert_eq!(vpn["id"], LEGACY_VPN_DELETED);
    assert!(is_rfc822(&vpn["deleted_at"]));
    assert_eq!(vpn["active_user_memberships"], json!([]));

    // App group variant.
    let owners = r.ok(
        "get_group",
        json!({"group_id_or_name": "App-Grafana-Owners"}),
    );
    assert_eq!(owners["id"], GRAFANA_OWNERS);
    assert_eq!(owners["type"], "app_group");
    assert_eq!(owners["app_id"], APP_GRAFANA);
    assert_eq!(owners["is_owner"], true);
    assert_eq!(owners["plugin_data"], json!({}));
    assert_eq!(owners["app"]["name"], "Grafana");
    assert_eq!(len(&owners["active_user_memberships"]), 2);

    // Role variant: the groups the role grants, not the roles granting it.
    let sre = r.ok("get_group", json!({"group_id_or_name": "Role-SRE"}));
    assert_eq!(sre["type"], "role_group");
    assert_eq!(len(&sre["active_role_associated_group_member_mappings"]), 4);
    assert_eq!(len(&sre["active_role_associated_group_owner_mappings"]), 2);
    assert!(sre.get("active_role_member_mappings").is_none());

    // Group tags, with the app-level tag they were propagated from.
    let analysts = r.ok(
        "get_group",
        json!({"group_id_or_name": "App-Snowflake-Analysts"}),
    );
    let tags = analysts["active_group_tags"].as_array().expect("tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0]["active_tag"]["id"], TAG_PII);
    assert_eq!(
        tags[0]["active_app_tag_mapping"]["active_app"]["id"],
        APP_SNOWFLAKE
    );

    assert_eq!(
        r.err("get_group", json!({"group_id_or_name": "engineering"})),
        "Group not found",
        "names are case-sensitive"
    );
    assert_eq!(
        r.err("get_group", json!({"group_id_or_name": "No-Such-Group"})),
        "Group not found"
    );
}

#[test]
fn list_group_memberships_lists_distinct_ids_of_live_groups_only() {
    let mut r = Reads::start();
    let eng = r.ok(
        "list_group_memberships",
        json!({"group_id_or_name": "Engineering"}),
    );
    assert_eq!(keys(&eng), set(&["members", "owners"]));
    let members = strs(&eng["members"]);
    assert_eq!(members.len(), 15, "Diego's two rows count once");
    assert_eq!(set_of(members), set(&ENGINEERING_MEMBERS));
    assert_eq!(set_of(strs(&eng["owners"])), set(&[WUMPUS, PRIYA]));

    let everyone = r.ok(
        "list_group_memberships",
        json!({"group_id_or_name": EVERYONE}),
    );
    assert_eq!(len(&everyone["members"]), 34);
    assert_eq!(everyone["owners"], json!([]));

    // §8.3: non-deleted groups only, unlike get_group.
    assert_eq!(
        r.err(
            "list_group_memberships",
            json!({"group_id_or_name": "Legacy-VPN-Users"})
        ),
        "Group not found"
    );
    assert_eq!(
        r.err(
            "list_group_memberships",
            json!({"group_id_or_name": LEGACY_VPN_DELETED})
        ),
        "Group not found"
    );
    assert_eq!(
        r.err(
            "list_group_memberships",
            json!({"group_id_or_name": "nope"})
        ),
        "Group not found"
    );
}

// ---------------------------------------------------------------- roles

#[test]
fn list_roles_and_get_role() {
    let mut r = Reads::start();
    let all = r.ok("list_roles", json!({}));
    assert_eq!(all["total"], 5);
    assert_eq!(
        field(&all, "name"),
        [
            "Role-Backend-Engineer",
            "Role-Data-Analyst",
            "Role-Finance-Analyst",
            "Role-Security-Engineer",
            "Role-SRE"
        ]
    );
    assert_eq!(
        keys(&all["results"][0]),
        set(&[
            "id",
            "type",
            "name",
            "description",
            "created_at",
            "updated_at"
        ])
    );
    assert_eq!(all["results"][0]["type"], "role_group");

    let analysts = r.ok("list_roles", json!({"q": "analyst"}));
    assert_eq!(
        field(&analysts, "name"),
        ["Role-Data-Analyst", "Role-Finance-Analyst"]
    );

    // owner_id: id or case-insensitive email.
    let mine = r.ok("list_roles", json!({"owner_id": "WUMPUS@discord.com"}));
    assert_eq!(field(&mine, "id"), [ROLE_BACKEND]);
    let elena = r.ok("list_roles", json!({"owner_id": ELENA}));
    assert_eq!(field(&elena, "id"), [ROLE_SRE]);
    let priya = r.ok("list_roles", json!({"owner_id": PRIYA}));
    assert_eq!(priya["total"], 0, "Priya owns no role");
    // A deleted user is accepted.
    let kevin = r.ok("list_roles", json!({"owner_id": "kevin.marsh@example.com"}));
    assert_eq!(kevin["total"], 0);
    assert_eq!(
        r.err("list_roles", json!({"owner_id": "ghost@example.com"})),
        "Owner not found: ghost@example.com"
    );

    let role = r.ok(
        "get_role",
        json!({"role_id_or_name": "Role-Backend-Engineer"}),
    );
    assert_eq!(role["id"], ROLE_BACKEND);
    assert_eq!(role["type"], "role_group");
    assert_eq!(len(&role["active_user_memberships"]), 7);
    let owners: BTreeSet<String> = role["active_user_ownerships"]
        .as_array()
        .expect("owners")
        .iter()
        .map(|m| m["user"]["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(owners, set(&[WUMPUS, MARCUS]));
    let granted: BTreeSet<String> = role["active_role_associated_group_member_mappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| m["group"]["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(
        granted,
        set(&[
            "Engineering",
            "Backend-Deploy",
            "App-Grafana-Viewers",
            "Prod-Database-ReadOnly"
        ])
    );
    let mapping = &role["active_role_associated_group_member_mappings"][0];
    assert_eq!(
        keys(mapping),
        set(&[
            "is_owner",
            "created_at",
            "ended_at",
            "role_group",
            "active_role_group",
            "group",
            "active_group"
        ])
    );
    assert_eq!(
        role["active_role_associated_group_owner_mappings"],
        json!([])
    );
    assert!(role.get("active_role_member_mappings").is_none());
    assert_eq!(
        r.ok("get_role", json!({"role_id_or_name": ROLE_BACKEND}))["id"],
        ROLE_BACKEND
    );

    assert_eq!(
        r.err("get_role", json!({"role_id_or_name": "Engineering"})),
        "Role not found",
        "a plain group is not a role"
    );
    assert_eq!(
        r.err("get_role", json!({"role_id_or_name": "Role-Nope"})),
        "Role not found"
    );
}

// ---------------------------------------------------------------- apps

#[test]
fn list_apps_and_get_app() {
    let mut r = Reads::start();
    let all = r.ok("list_apps", json!({}));
    assert_eq!(
        field(&all, "name"),
        ["Access", "Grafana", "PagerDuty", "Snowflake"]
    );
    assert_eq!(
        keys(&all["results"][0]),
        set(&[
            "id",
            "name",
            "description",
            "created_at",
            "updated_at",
            "deleted_at"
        ])
    );
    let q = r.ok("list_apps", json!({"q": "WAREHOUSE"}));
    assert_eq!(field(&q, "id"), [APP_SNOWFLAKE]);

    let grafana = r.ok("get_app", json!({"app_id_or_name": "Grafana"}));
    assert_eq!(grafana["id"], APP_GRAFANA);
    assert_eq!(grafana["plugin_data"], json!({}));
    assert_eq!(grafana["app_group_lifecycle_plugin"], Value::Null);
    assert_eq!(grafana["active_app_tags"], json!([]));
    let owners = grafana["active_owner_app_groups"]
        .as_array()
        .expect("owners");
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0]["name"], "App-Grafana-Owners");
    assert_eq!(owners[0]["is_owner"], true);
    assert_eq!(len(&owners[0]["active_user_memberships"]), 2);
    assert_eq!(len(&owners[0]["active_user_ownerships"]), 2);
    let others = grafana["active_non_owner_app_groups"]
        .as_array()
        .expect("groups");
    let names: Vec<&str> = others
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["App-Grafana-Editors", "App-Grafana-Viewers"]);
    assert_eq!(len(&others[0]["active_user_memberships"]), 5);
    assert_eq!(len(&others[1]["active_user_memberships"]), 12);
    assert_eq!(len(&others[1]["active_user_ownerships"]), 1);
    assert_eq!(others[1]["app_id"], APP_GRAFANA);
    assert_eq!(others[1]["app"]["name"], "Grafana");
    assert!(total_keys(&others[1]).is_empty());

    let snowflake = r.ok("get_app", json!({"app_id_or_name": APP_SNOWFLAKE}));
    let tags = snowflake["active_app_tags"].as_array().expect("tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0]["active_tag"]["name"], "PII-Data");
    assert_eq!(tags[0]["active_app"]["id"], APP_SNOWFLAKE);
    assert_eq!(len(&snowflake["active_non_owner_app_groups"]), 2);

    let access = r.ok("get_app", json!({"app_id_or_name": APP_ACCESS}));
    assert_eq!(access["name"], "Access");

    assert_eq!(
        r.err("get_app", json!({"app_id_or_name": "grafana"})),
        "App not found"
    );
    assert_eq!(
        r.err("get_app", json!({"app_id_or_name": "Nope"})),
        "App not found"
    );
}

// ---------------------------------------------------------------- users

#[test]
fn list_users_searches_names_email_and_displayed_profile_attributes() {
    let mut r = Reads::start();
    let all = r.ok("list_users", json!({}));
    assert_eq!(all["total"], 34, "36 users, two offboarded");
    let emails = field(&all, "email");
    assert!(!emails.contains(&"kevin.marsh@example.com".to_string()));
    assert_eq!(
        &emails[..3],
        [
            "aisha.karimi@example.com",
            "amara.nwosu@example.com",
            "benjamin.cho@example.com"
        ]
    );
    assert_eq!(
        keys(&all["results"][0]),
        set(&[
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "created_at",
            "updated_at",
            "deleted_at"
        ])
    );
    // Wumpus's Title is "Staff Engineer": found only through the profile (§15 item 4).
    let staff = r.ok("list_users", json!({"q": "staff"}));
    assert_eq!(
        field(&staff, "email"),
        ["wumpus@discord.com", "yuki.sato@example.com"]
    );
    // "first last" and the Manager attribute: Marcus himself and his 6 reports.
    assert_eq!(r.ok("list_users", json!({"q": "Marcus Bell"}))["total"], 7);
    assert_eq!(r.ok("list_users", json!({"q": "%"}))["total"], 0);
    let dan = r.ok("list_users", json!({"q": "dan whit"}));
    assert_eq!(field(&dan, "email"), ["daniel.whitfield@example.com"]);
}

#[test]
fn get_user_resolves_me_emails_and_deleted_users() {
    let mut r = Reads::start();
    let me = r.ok("get_user", json!({"user_id_or_email": "@me"}));
    assert_eq!(me["id"], WUMPUS);
    assert_eq!(me["email"], "wumpus@discord.com");
    assert_eq!(
        me["profile"],
        json!({"Title": "Staff Engineer", "Manager": "Marcus Bell"})
    );
    assert_eq!(me["manager"]["id"], MARCUS);
    assert_eq!(
        me["manager"]["profile"]["Title"],
        "Engineering Manager, Backend"
    );
    assert_eq!(len(&me["active_group_memberships"]), 10);
    let owned: BTreeSet<String> = me["active_group_ownerships"]
        .as_array()
        .expect("ownerships")
        .iter()
        .map(|m| m["group"]["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(
        owned,
        set(&["Role-Backend-Engineer", "App-Grafana-Owners", "Engineering"])
    );
    let via_role: BTreeSet<String> = me["active_group_memberships"]
        .as_array()
        .expect("memberships")
        .iter()
        .filter(|m| !m["active_role_group_mapping"].is_null())
        .map(|m| {
            assert_eq!(
                m["active_role_group_mapping"]["active_role_group"]["id"],
                ROLE_BACKEND
            );
            assert_eq!(
                m["role_group_mapping"], m["active_role_group_mapping"],
                "an active mapping is the mapping"
            );
            m["group"]["name"].as_str().expect("name").to_string()
        })
        .collect();
    assert_eq!(
        via_role,
        set(&[
            "Engineering",
            "Backend-Deploy",
            "App-Grafana-Viewers",
            "Prod-Database-ReadOnly"
        ])
    );
    assert!(total_keys(&me).is_empty());
    let text = r.text("get_user", json!({"user_id_or_email": "@me"}));
    assert!(
        text.starts_with(&format!(
            "{{\"id\":\"{WUMPUS}\",\"email\":\"wumpus@discord.com\",\"first_name\":\"Wumpus\""
        )),
        "{}",
        &text[..100]
    );

    assert_eq!(
        r.ok(
            "get_user",
            json!({"user_id_or_email": "WUMPUS@Discord.com"})
        )["id"],
        WUMPUS
    );
    assert_eq!(
        r.ok("get_user", json!({"user_id_or_email": WUMPUS}))["id"],
        WUMPUS
    );

    // Deleted users are found (non-deleted preferred).
    let kevin = r.ok(
        "get_user",
        json!({"user_id_or_email": "kevin.marsh@example.com"}),
    );
    assert_eq!(kevin["id"], KEVIN_DELETED);
    assert!(is_rfc822(&kevin["deleted_at"]));
    assert_eq!(kevin["active_group_memberships"], json!([]));

    // A user without profile attributes shows them as null.
    let diego = r.ok("get_user", json!({"user_id_or_email": DIEGO}));
    assert_eq!(diego["profile"], json!({"Title": null, "Manager": null}));
    assert_eq!(diego["display_name"], Value::Null);

    assert_eq!(
        r.err(
            "get_user",
            json!({"user_id_or_email": "nobody@example.com"})
        ),
        "User not found"
    );
}

// ---------------------------------------------------------------- tags

#[test]
fn list_tags_and_get_tag() {
    let mut r = Reads::start();
    let all = r.ok("list_tags", json!({}));
    assert_eq!(
        field(&all, "name"),
        [
            "Contractor-Visible",
            "Oncall-Rotation",
            "PII-Data",
            "Production-Access",
            "Security-Sensitive",
            "SOX-Compliance"
        ]
    );
    assert_eq!(
        all["results"][0]["enabled"], false,
        "disabled tags are listed"
    );
    assert_eq!(
        keys(&all["results"][0]),
        set(&[
            "id",
            "name",
            "description",
            "constraints",
            "enabled",
            "created_at",
            "updated_at"
        ])
    );
    assert_eq!(
        field(&r.ok("list_tags", json!({"q": "pii"})), "id"),
        [TAG_PII]
    );

    let pii = r.ok("get_tag", json!({"tag_id_or_name": "PII-Data"}));
    assert_eq!(pii["id"], TAG_PII);
    assert_eq!(
        pii["constraints"],
        json!({"member_time_limit": 15552000, "require_member_reason": true, "disallow_self_add_membership": true})
    );
    assert_eq!(pii["deleted_at"], Value::Null);
    let groups = pii["active_group_tags"].as_array().expect("groups");
    let names: BTreeSet<String> = groups
        .iter()
        .map(|m| {
            assert_eq!(
                m["active_app_tag_mapping"]["active_app"]["id"],
                APP_SNOWFLAKE
            );
            m["active_group"]["name"]
                .as_str()
                .expect("name")
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        set(&[
            "App-Snowflake-Owners",
            "App-Snowflake-Analysts",
            "App-Snowflake-Loaders"
        ])
    );
    let apps = pii["active_app_tags"].as_array().expect("apps");
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["active_app"]["name"], "Snowflake");
    assert_eq!(apps[0]["active_tag"]["id"], TAG_PII);

    // The ended Engineering attachment is left out.
    let oncall = r.ok("get_tag", json!({"tag_id_or_name": "Oncall-Rotation"}));
    let groups = oncall["active_group_tags"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    assert!(groups.iter().all(|m| m["active_app_tag_mapping"].is_null()));
    assert_eq!(oncall["active_app_tags"], json!([]));

    let disabled = r.ok("get_tag", json!({"tag_id_or_name": "Contractor-Visible"}));
    assert_eq!(disabled["enabled"], false);
    assert_eq!(
        r.err("get_tag", json!({"tag_id_or_name": "pii-data"})),
        "Tag not found"
    );
}

// ---------------------------------------------------------------- requests

#[test]
fn list_access_requests_filters_and_rejects_an_invalid_status() {
    let mut r = Reads::start();
    let all = r.ok("list_access_requests", json!({}));
    assert_eq!(all["total"], 16);
    assert_eq!(field(&all, "id"), ACCESS_REQUESTS_NEWEST_FIRST);
    for (status, n) in [("PENDING", 6), ("APPROVED", 6), ("REJECTED", 4)] {
        let page = r.ok("list_access_requests", json!({"status": status}));
        assert_eq!(page["total"], n, "{status}");
        assert!(field(&page, "status").iter().all(|s| s == status));
    }
    for bad in ["pending", "Approved", "DONE"] {
        let e = r.err("list_access_requests", json!({"status": bad}));
        assert_eq!(
            e, "status: Input should be 'PENDING', 'APPROVED' or 'REJECTED'",
            "{bad}"
        );
    }
    let mine = r.ok("list_access_requests", json!({"requester_user_id": "@me"}));
    assert_eq!(
        field(&mine, "id"),
        ["cXEIODpUyZrAZXAuSIaz", "nOGbrThzpxngxGfLqNIK"]
    );
    let mine_pending = r.ok(
        "list_access_requests",
        json!({"requester_user_id": "@me", "status": "PENDING"}),
    );
    assert_eq!(field(&mine_pending, "id"), ["cXEIODpUyZrAZXAuSIaz"]);
    let by_elena = r.ok("list_access_requests", json!({"resolver_user_id": ELENA}));
    assert_eq!(
        field(&by_elena, "id"),
        ["ipXXFoQfltqQpHnZOhEr", "AGzqNGmQYPFsdPOVMYhm"]
    );
    assert_eq!(
        r.ok("list_access_requests", json!({"resolver_user_id": "@me"}))["total"],
        0
    );
    let eng = r.ok(
        "list_access_requests",
        json!({"requested_group_id": ENGINEERING}),
    );
    assert_eq!(field(&eng, "id"), ["artyFbFooLIvXESJzHkN"]);
    // q: an id prefix or the reason.
    assert_eq!(
        field(&r.ok("list_access_requests", json!({"q": "arty"})), "id"),
        ["artyFbFooLIvXESJzHkN"]
    );
    assert_eq!(
        field(&r.ok("list_access_requests", json!({"q": "BILLING"})), "id"),
        ["xacjnZSOSSxfkKGjktXA"]
    );
    // Pages of 5: 4 pages, the last holding 1.
    let last = r.ok("list_access_requests", json!({"size": 5, "page": 3}));
    assert_eq!(
        (&last["pages"], &last["has_next"]),
        (&json!(4), &json!(false))
    );
    assert_eq!(field(&last, "id"), ["AuSwKhOwlXVDuoQVspAD"]);

    let arty = &eng["results"][0];
    assert_eq!(
        keys(arty),
        set(&[
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
            "active_resolver"
        ])
    );
    assert_eq!(
        keys(&arty["requested_group"]),
        set(&[
            "id",
            "name",
            "description",
            "is_managed",
            "deleted_at",
            "type"
        ])
    );
    assert_eq!(arty["requester"]["email"], "olivia.brooks@example.com");
    assert_eq!(arty["resolver"], Value::Null);
    assert!(is_rfc822(&arty["created_at"]));
    let app_ref = &mine["results"][0]["requested_group"];
    assert_eq!(app_ref["type"], "app_group");
    assert_eq!(app_ref["app_id"], APP_SNOWFLAKE);
    assert_eq!(app_ref["is_owner"], false);
    assert_eq!(app_ref["app"]["name"], "Snowflake");
    // A deleted requester: only the active_ variant goes null.
    let kevin = r.ok(
        "list_access_requests",
        json!({"requester_user_id": KEVIN_DELETED}),
    );
    assert_eq!(field(&kevin, "id"), ["AuSwKhOwlXVDuoQVspAD"]);
    assert_eq!(kevin["results"][0]["requester"]["id"], KEVIN_DELETED);
    assert_eq!(kevin["results"][0]["active_requester"], Value::Null);
}

#[test]
fn get_access_request_has_the_rich_requested_group() {
    let mut r = Reads::start();
    let arty = r.ok(
        "get_access_request",
        json!({"access_request_id": "artyFbFooLIvXESJzHkN"}),
    );
    assert_eq!(arty["status"], "PENDING");
    assert_eq!(arty["request_ownership"], false);
    assert_eq!(
        keys(&arty["requested_group"]),
        set(&["id", "type", "name", "deleted_at", "active_group_tags"])
    );
    assert_eq!(arty["requested_group"]["name"], "Engineering");
    assert_eq!(arty["active_requested_group"]["id"], ENGINEERING);

    let role = r.ok(
        "get_access_request",
        json!({"access_request_id": "wHotCqhVbYniQofWvMfm"}),
    );
    assert_eq!(role["request_ownership"], true);
    assert!(is_rfc822(&role["request_ending_at"]));
    assert_eq!(role["requested_group"]["type"], "role_group");
    assert_eq!(
        len(&role["requested_group"]["active_role_associated_group_member_mappings"]),
        4
    );

    let app = r.ok(
        "get_access_request",
        json!({"access_request_id": "cXEIODpUyZrAZXAuSIaz"}),
    );
    let g = &app["requested_group"];
    assert_eq!(g["is_owner"], false);
    assert_eq!(g["app"]["id"], APP_SNOWFLAKE);
    assert_eq!(g["active_group_tags"][0]["active_tag"]["name"], "PII-Data");

    let approved = r.ok(
        "get_access_request",
        json!({"access_request_id": "nOGbrThzpxngxGfLqNIK"}),
    );
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["resolution_reason"], "Welcome aboard");
    assert!(is_rfc822(&approved["resolved_at"]));
    assert_eq!(approved["resolver"]["email"], "nora.kaplan@example.com");

    assert_eq!(
        r.err("get_access_request", json!({"access_request_id": "nope"})),
        "Access request not found"
    );
}

#[test]
fn role_requests_list_and_detail() {
    let mut r = Reads::start();
    let all = r.ok("list_role_requests", json!({}));
    assert_eq!(field(&all, "id"), ROLE_REQUESTS_NEWEST_FIRST);
    let mine = r.ok("list_role_requests", json!({"requester_user_id": "@me"}));
    assert_eq!(field(&mine, "id"), ["xKmQBAeZukVmyYrIZEHG"]);
    let backend = r.ok(
        "list_role_requests",
        json!({"requester_role_id": ROLE_BACKEND}),
    );
    assert_eq!(
        field(&backend, "id"),
        ["xKmQBAeZukVmyYrIZEHG", "iCwSQtVcoPNUfzguQGmZ"]
    );
    let finance = r.ok(
        "list_role_requests",
        json!({"requested_group_id": FINANCE_REPORTS, "status": "REJECTED"}),
    );
    assert_eq!(field(&finance, "id"), ["lJNuiFIeBcrVkmJpVKTU"]);
    assert_eq!(
        r.err("list_role_requests", json!({"status": "open"})),
        "status: Input should be 'PENDING', 'APPROVED' or 'REJECTED'"
    );
    assert_eq!(
        field(&r.ok("list_role_requests", json!({"q": "forensic"})), "id"),
        ["hXOrRyNcVrpOxNKVPzFS"]
    );

    // §15 item 6 fixed: active_requester_role is the role, not the requested group.
    let x = &mine["results"][0];
    assert_eq!(x["requester_role"]["id"], ROLE_BACKEND);
    assert_eq!(x["active_requester_role"]["id"], ROLE_BACKEND);
    assert_eq!(x["requested_group"]["id"], PAGERDUTY_RESPONDERS);
    assert_eq!(x["active_requested_group"]["id"], PAGERDUTY_RESPONDERS);
    assert_eq!(
        keys(x),
        set(&[
            "id",
            "requester_user_id",
            "requester_role_id",
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
            "requester_role",
            "active_requester_role",
            "requested_group",
            "active_requested_group",
            "resolver",
            "active_resolver"
        ])
    );

    let detail = r.ok(
        "get_role_request",
        json!({"role_request_id": "xKmQBAeZukVmyYrIZEHG"}),
    );
    let role = &detail["requester_role"];
    assert_eq!(role["name"], "Role-Backend-Engineer");
    assert_eq!(len(&role["active_user_memberships"]), 7);
    assert!(role.get("active_user_memberships_total").is_none());
    let group = &detail["requested_group"];
    assert_eq!(group["type"], "app_group");
    assert_eq!(group["app"]["name"], "PagerDuty");
    assert_eq!(
        group["active_group_tags"][0]["active_tag"]["name"],
        "Oncall-Rotation"
    );
    assert_eq!(detail["active_requester_role"]["id"], ROLE_BACKEND);
    assert_eq!(
        r.err("get_role_request", json!({"role_request_id": "nope"})),
        "Role request not found"
    );
}

#[test]
fn group_requests_list_and_detail() {
    let mut r = Reads::start();
    let all = r.ok("list_group_requests", json!({}));
    assert_eq!(field(&all, "id"), GROUP_REQUESTS_NEWEST_FIRST);
    let roles = r.ok(
        "list_group_requests",
        json!({"requested_group_type": "role_group"}),
    );
    assert_eq!(
        field(&roles, "id"),
        ["5RO9YwSPPrED7aezNqS0", "KfMCb5JW5PRek6LQait5"]
    );
    assert_eq!(
        r.err(
            "list_group_requests",
            json!({"requested_group_type": "team"})
        ),
        "requested_group_type: Input should be 'okta_group', 'role_group' or 'app_group'"
    );
    assert_eq!(
        r.err("list_group_requests", json!({"status": "approved"})),
        "status: Input should be 'PENDING', 'APPROVED' or 'REJECTED'"
    );
    let snowflake = r.ok(
        "list_group_requests",
        json!({"requested_app_id": APP_SNOWFLAKE}),
    );
    assert_eq!(field(&snowflake, "id"), ["H5TP3kHvGkrzbnnDU1Fq"]);
    let mobile = r.ok("list_group_requests", json!({"q": "mobile"}));
    assert_eq!(field(&mobile, "id"), ["CLsrLmnFOgMoz6L4rFAE"]);
    assert_eq!(
        r.ok("list_group_requests", json!({"status": "APPROVED"}))["total"],
        2
    );
    assert_eq!(
        r.ok("list_group_requests", json!({"requester_user_id": "@me"}))["total"],
        0
    );

    let h = r.ok(
        "get_group_request",
        json!({"group_request_id": "H5TP3kHvGkrzbnnDU1Fq"}),
    );
    assert_eq!(h["requested_group_type"], "app_group");
    assert_eq!(h["requested_app_id"], APP_SNOWFLAKE);
    assert_eq!(h["requested_group_tags"], json!([TAG_PII]));
    assert_eq!(h["requester"]["email"], "ethan.clarke@example.com");
    assert_eq!(h["resolver"], Value::Null);
    assert_eq!(h["status"], "PENDING");
    assert_eq!(
        keys(&h),
        set(&[
            "id",
            "status",
            "requested_group_name",
            "requested_group_description",
            "requested_group_type",
            "requested_app_id",
            "requested_group_tags",
            "requested_ownership_ending_at",
            "request_reason",
            "resolved_group_name",
            "resolved_group_description",
            "resolved_group_type",
            "resolved_app_id",
            "resolved_group_tags",
            "resolved_ownership_ending_at",
            "resolution_reason",
            "resolved_at",
            "approved_group_id",
            "created_at",
            "updated_at",
            "requester",
            "resolver"
        ])
    );
    // Resolved by the dev user.
    let rejected = r.ok(
        "get_group_request",
        json!({"group_request_id": "xE4L9mLGNgzSZVQ27uWp"}),
    );
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["resolver"]["id"], WUMPUS);
    assert!(is_rfc822(&rejected["resolved_at"]));
    assert_eq!(
        r.err("get_group_request", json!({"group_request_id": "nope"})),
        "Group request not found"
    );
}

// ---------------------------------------------------------------- access history

#[test]
fn list_audit_entries_filters_resolves_and_links_the_approving_request() {
    let mut r = Reads::start();
    let active = r.ok("list_audit_entries", json!({}));
    assert_eq!(active["total"], 189, "217 rows, 28 ended");
    assert_eq!(
        r.ok("list_audit_entries", json!({"active_only": false}))["total"],
        217
    );
    assert_eq!(
        r.ok("list_audit_entries", json!({"active_only": "false"}))["total"],
        217,
        "lax boolean"
    );

    let me = r.ok("list_audit_entries", json!({"user_id": "@me"}));
    assert_eq!(me["total"], 13);
    assert!(field(&me, "user_id").iter().all(|u| u == WUMPUS));
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"user_id": "wumpus@DISCORD.com"})
        )["total"],
        13
    );
    // Owen lost his VPN rows when the group was retired.
    assert_eq!(
        r.ok("list_audit_entries", json!({"user_id": OWEN}))["total"],
        1
    );
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"user_id": OWEN, "active_only": false})
        )["total"],
        4
    );
    // A deleted user and a deleted group are found.
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"user_id": "kevin.marsh@example.com", "active_only": false})
        )["total"],
        12
    );
    assert_eq!(
        r.ok("list_audit_entries", json!({"user_id": KEVIN_DELETED}))["total"],
        0
    );
    let vpn = r.ok(
        "list_audit_entries",
        json!({"group_id": "Legacy-VPN-Users", "active_only": false}),
    );
    assert_eq!(vpn["total"], 4);
    let ended = &vpn["results"][0];
    assert!(is_rfc822(&ended["ended_at"]));
    assert_eq!(ended["ended_actor_id"], OWEN);
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"group_id": "Legacy-VPN-Users"})
        )["total"],
        0
    );

    let owners = r.ok(
        "list_audit_entries",
        json!({"group_id": ENGINEERING, "is_owner": "true"}),
    );
    assert_eq!(owners["total"], 2);
    let ids: Vec<i64> = owners["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|x| x["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [184, 185], "newest first");
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"group_id": "Engineering", "is_owner": false})
        )["total"],
        16
    );

    // The approving access request, and the compact row shape with RFC 822 times.
    let design = r.ok(
        "list_audit_entries",
        json!({"user_id": "@me", "group_id": DESIGN_REVIEWS}),
    );
    assert_eq!(design["total"], 1);
    let row = &design["results"][0];
    assert_eq!(row["id"], 211);
    assert_eq!(row["access_request_id"], "nOGbrThzpxngxGfLqNIK");
    assert_eq!(row["created_reason"], "Reviewing API console designs");
    assert!(is_rfc822(&row["created_at"]));
    assert_eq!(row["ended_at"], Value::Null);
    assert_eq!(
        keys(row),
        set(&[
            "id",
            "user_id",
            "group_id",
            "role_group_map_id",
            "is_owner",
            "should_expire",
            "created_at",
            "ended_at",
            "created_actor_id",
            "ended_actor_id",
            "created_reason",
            "access_request_id"
        ])
    );
    let role_row = r.ok(
        "list_audit_entries",
        json!({"user_id": "@me", "group_id": "Backend-Deploy"}),
    );
    assert_eq!(role_row["results"][0]["role_group_map_id"], 2);
    assert_eq!(role_row["results"][0]["access_request_id"], Value::Null);

    assert_eq!(
        r.err("list_audit_entries", json!({"user_id": "ghost"})),
        "User not found: ghost"
    );
    assert_eq!(
        r.err("list_audit_entries", json!({"group_id": "No-Such-Group"})),
        "Group not found: No-Such-Group"
    );
}

// ---------------------------------------------------------------- inline cap

#[test]
fn detail_lists_are_capped_at_the_inline_limit_with_a_total_beside_them() {
    let mut r = Reads::start_with_env(vec![("MCP_INLINE_LIST_LIMIT".into(), "2".into())]);

    let g = r.ok("get_group", json!({"group_id_or_name": "Engineering"}));
    assert_eq!(len(&g["active_user_memberships"]), 2);
    assert_eq!(g["active_user_memberships_total"], 16);
    // The newest rows are kept: Diego's two.
    assert_eq!(g["active_user_memberships"][0]["user"]["id"], DIEGO);
    assert_eq!(g["active_user_memberships"][1]["user"]["id"], DIEGO);
    // Exactly at the limit: not cut, no total.
    assert_eq!(len(&g["active_user_ownerships"]), 2);
    assert_eq!(len(&g["active_role_member_mappings"]), 2);
    assert_eq!(
        total_keys(&g),
        ["active_user_memberships_total"],
        "only the cut list has a total"
    );

    let role = r.ok("get_role", json!({"role_id_or_name": ROLE_BACKEND}));
    assert_eq!(len(&role["active_user_memberships"]), 2);
    assert_eq!(role["active_user_memberships_total"], 7);
    assert_eq!(
        len(&role["active_role_associated_group_member_mappings"]),
        2
    );
    assert_eq!(
        role["active_role_associated_group_member_mappings_total"],
        4
    );
    assert_eq!(
        total_keys(&role),
        [
            "active_role_associated_group_member_mappings_total",
            "active_user_memberships_total"
        ]
    );

    let me = r.ok("get_user", json!({"user_id_or_email": "@me"}));
    assert_eq!(len(&me["active_group_memberships"]), 2);
    assert_eq!(me["active_group_memberships_total"], 10);
    assert_eq!(len(&me["active_group_ownerships"]), 2);
    assert_eq!(me["active_group_ownerships_total"], 3);

    let grafana = r.ok("get_app", json!({"app_id_or_name": "Grafana"}));
    let viewers = &grafana["active_non_owner_app_groups"][1];
    assert_eq!(viewers["name"], "App-Grafana-Viewers");
    assert_eq!(len(&viewers["active_user_memberships"]), 2);
    assert_eq!(viewers["active_user_memberships_total"], 12);
    assert!(viewers.get("active_user_ownerships_total").is_none());
    let owners = &grafana["active_owner_app_groups"][0];
    assert!(total_keys(owners).is_empty(), "2 rows: not cut");

    let rr = r.ok(
        "get_role_request",
        json!({"role_request_id": "xKmQBAeZukVmyYrIZEHG"}),
    );
    assert_eq!(len(&rr["requester_role"]["active_user_memberships"]), 2);
    assert_eq!(rr["requester_role"]["active_user_memberships_total"], 7);

    // The paged tools are not affected.
    let ids = r.ok(
        "list_group_memberships",
        json!({"group_id_or_name": "Engineering"}),
    );
    assert_eq!(len(&ids["members"]), 15);
    assert_eq!(
        r.ok(
            "list_audit_entries",
            json!({"group_id": ENGINEERING, "is_owner": false})
        )["total"],
        16
    );
}
