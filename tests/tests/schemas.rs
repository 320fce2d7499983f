//! Output schemas cannot drift from what the plugins write: every tool's
//! successful results, on the demo organisation and on the large one, are
//! validated against the `outputSchema` that `tools/list` advertises for it
//! (with the `jsonschema` crate, the draft the schema names or 2020-12).
//!
//! The calls are a crawl, not a fixed list: each list tool with several page
//! shapes and filters, then every get tool on the ids the lists returned, and
//! each write tool once. Every tool must have been validated at least once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use access_mcp_e2e::{Client, PluginDir, Server, binary};
use serde_json::{Value, json};

const DESIGN_REVIEWS: &str = "00gTz3sHWqgF4SvtmZt0";
const ROLE_BACKEND: &str = "00gXEOWnQT1k2VQlWAy0";

struct Checker {
    client: Client,
    validators: BTreeMap<String, jsonschema::Validator>,
    validated: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Checker {
    fn new(server: &Server) -> Checker {
        let mut client = server.client();
        let listed = client.request("tools/list", json!({}));
        let mut validators = BTreeMap::new();
        for tool in listed["result"]["tools"].as_array().expect("tools") {
            let name = tool["name"].as_str().expect("name").to_string();
            let schema = &tool["outputSchema"];
            assert!(schema.is_object(), "{name} has no outputSchema");
            let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| {
                panic!("{name}'s outputSchema is not a valid JSON Schema: {e}")
            });
            validators.insert(name, validator);
        }
        Checker {
            client,
            validators,
            validated: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Call a tool; validate its structured content when it succeeded.
    fn call(&mut self, tool: &str, args: Value) -> Option<Value> {
        let result = self.client.call_tool(tool, args.clone());
        if result["isError"] != false {
            return None;
        }
        let content = result["structuredContent"].clone();
        let validator = self.validators.get(tool).expect("a listed tool");
        let errors: Vec<String> = validator
            .iter_errors(&content)
            .take(3)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            *self.validated.entry(tool.to_string()).or_default() += 1;
        } else {
            self.failures
                .push(format!("{tool} {args}: {}", errors.join("; ")));
        }
        Some(content)
    }

    fn ids(&mut self, tool: &str, args: Value) -> Vec<String> {
        let page = self.call(tool, args).unwrap_or_default();
        page["results"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The whole crawl; `per_list` bounds how many ids each get tool is tried on.
    fn crawl(&mut self, per_list: usize) {
        let lists = [
            ("list_groups", "get_group", "group_id_or_name"),
            ("list_roles", "get_role", "role_id_or_name"),
            ("list_apps", "get_app", "app_id_or_name"),
            ("list_users", "get_user", "user_id_or_email"),
            ("list_tags", "get_tag", "tag_id_or_name"),
            (
                "list_access_requests",
                "get_access_request",
                "access_request_id",
            ),
            ("list_role_requests", "get_role_request", "role_request_id"),
            (
                "list_group_requests",
                "get_group_request",
                "group_request_id",
            ),
        ];
        for (list, get, param) in lists {
            for args in [json!({}), json!({"size": 3, "page": 1}), json!({"q": "e"})] {
                self.call(list, args);
            }
            let ids = self.ids(list, json!({"size": per_list}));
            for id in &ids {
                self.call(get, json!({ param: id }));
            }
            if list == "list_groups" {
                for id in &ids {
                    self.call("list_group_memberships", json!({"group_id_or_name": id}));
                    self.call("list_audit_entries", json!({"group_id": id}));
                }
            }
            if list == "list_users" {
                for id in &ids {
                    self.call("list_audit_entries", json!({"user_id": id}));
                }
            }
        }
        for status in ["PENDING", "APPROVED", "REJECTED"] {
            for tool in [
                "list_access_requests",
                "list_role_requests",
                "list_group_requests",
            ] {
                self.call(tool, json!({"status": status}));
                self.call(tool, json!({"requester_user_id": "@me"}));
            }
        }
        self.call("list_groups", json!({"managed": true}));
        self.call("get_user", json!({"user_id_or_email": "@me"}));
        self.call("list_audit_entries", json!({}));
    }

    fn writes(&mut self) {
        self.call(
            "create_access_request",
            json!({"group_id": DESIGN_REVIEWS, "reason": "schema check", "ending_at": "Tue, 01 Jun 2027 12:00:00 +0000"}),
        );
        self.call(
            "create_role_request",
            json!({"role_id": ROLE_BACKEND, "group_id": DESIGN_REVIEWS, "reason": "schema check"}),
        );
        self.call(
            "create_group_request",
            json!({"group_name": "Schema-Check", "group_type": "okta_group", "reason": "schema check"}),
        );
    }

    fn assert_all_valid(&self, expect_every_tool: bool, place: &str) {
        assert!(
            self.failures.is_empty(),
            "{place}: {} results do not match their outputSchema:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        if expect_every_tool {
            let listed: BTreeSet<&String> = self.validators.keys().collect();
            let seen: BTreeSet<&String> = self.validated.keys().collect();
            let missing: Vec<_> = listed.difference(&seen).collect();
            assert!(
                missing.is_empty(),
                "{place}: no successful result validated for {missing:?}"
            );
        }
    }
}

#[test]
fn every_result_on_the_demo_organisation_matches_its_output_schema() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start(plugins.path());
    let mut checker = Checker::new(&server);
    assert_eq!(checker.validators.len(), 21);
    checker.crawl(100);
    checker.writes();
    checker.assert_all_valid(true, "demo");
    let total: usize = checker.validated.values().sum();
    assert!(total > 200, "only {total} results validated");
}

fn create_large_organisation(db: &Path) {
    let uri = format!("sqlite:///{}", db.display());
    let out = Command::new(binary())
        .args(["demo", "--large", "--database-uri", &uri])
        .output()
        .expect("run access-mcp demo --large");
    assert!(
        out.status.success(),
        "demo --large failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_result_on_the_large_organisation_matches_its_output_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("large.db");
    create_large_organisation(&db);
    let plugins = PluginDir::with_built_plugins();
    let uri = format!("sqlite:///{}", db.display());
    let server = Server::start_env(plugins.path(), &[("DATABASE_URI", &uri)]);
    let mut checker = Checker::new(&server);
    // Fewer ids per list: each get of a large group inlines up to 100 rows.
    checker.crawl(20);
    checker.assert_all_valid(false, "large organisation");
    let total: usize = checker.validated.values().sum();
    assert!(total > 100, "only {total} results validated");
}
