//! Real MCP clients against the real binary: the official Python SDK and the
//! official conformance suite.

use std::process::Command;

use access_mcp_e2e::{
    PluginDir, Server, conformance_cli, extra_plugins, fixture_component, python, root,
};

#[test]
fn python_sdk_initializes_lists_and_calls_tools() {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start(plugins.path());
    let out = Command::new(python())
        .arg(root().join("tests/clients/python_smoke.py"))
        .arg(&server.url)
        .output()
        .expect("run python client");
    assert!(
        out.status.success(),
        "python client failed:\n{}\nserver logs:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.logs()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("client printed JSON");
    assert_eq!(v["server_name"], "Access");
    assert_eq!(v["has_instructions"], true);
    assert!(
        v["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .any(|t| t == "list_groups")
    );
    assert_eq!(v["list_groups_is_error"], false);
    let groups = &v["list_groups"];
    assert_eq!(groups["size"], 5);
    let names: Vec<&str> = groups["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"Engineering"), "{names:?}");
    assert!(names.iter().all(|n| n.to_lowercase().contains("eng")
        || groups["results"].as_array().expect("r").iter().any(|g| {
            g["description"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
                .contains("eng")
        })));
    assert_eq!(
        v["list_groups_structured"], v["list_groups"],
        "structuredContent mirrors the text"
    );
    assert_eq!(v["prompts"], serde_json::json!(["request_access"]));
    assert!(
        v["prompt_text"]
            .as_str()
            .expect("text")
            .contains("The user is asking about: Engineering")
    );
}

#[test]
fn conformance_suite_server_scenarios_pass() {
    let plugins = PluginDir::with_built_plugins();
    // Without a plugin that answers completion, it is not advertised.
    {
        let server = Server::start(plugins.path());
        let init = server.client().request(
            "initialize",
            serde_json::json!({"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "t", "version": "0"}}),
        );
        assert!(
            init["result"]["capabilities"].get("completions").is_none(),
            "{init}"
        );
    }
    // The tools-call-error scenario calls a tool named `test_error_handling`,
    // which the trivial fixture plugin serves.
    plugins.add("trivial", &fixture_component("trivial_plugin"), &[]);
    let server = Server::start(plugins.path());
    for scenario in [
        "server-initialize",
        "ping",
        "tools-list",
        "prompts-list",
        "tools-call-error",
        "logging-set-level",
    ] {
        let out = Command::new(conformance_cli())
            .args(["server", "--url", &server.url, "--scenario", scenario])
            .output()
            .expect("run conformance suite");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains(" 0 failed"),
            "scenario {scenario} failed:\n{text}"
        );
        assert!(
            text.contains("Passed: 1/1") || text.contains("Passed: "),
            "{scenario}: {text}"
        );
    }
}

/// The server scenarios `conformance list` names (32 in 0.1.12).
fn server_scenarios() -> Vec<String> {
    let out = Command::new(conformance_cli())
        .arg("list")
        .output()
        .expect("conformance list");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .skip_while(|l| !l.starts_with("Server scenarios"))
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| l.trim_start().trim_start_matches("- ").trim().to_string())
        .collect()
}

/// Every server scenario of conformance 0.1.12, one by one, against the
/// Access plugins plus the conformance plugin (contract 0.2), in a server
/// that keeps sessions: the suite's client speaks 2025-11-25, and sampling
/// and elicitation from a tool need a session to ask on.
#[test]
fn every_server_scenario_of_conformance_0_1_12_passes_through_plugins() {
    let scenarios = server_scenarios();
    assert_eq!(scenarios.len(), 32, "{scenarios:?}");
    let plugins = PluginDir::with_built_plugins();
    std::fs::copy(
        extra_plugins().join("conformance.wasm"),
        plugins.path().join("conformance.wasm"),
    )
    .expect("copy the conformance component (run .ci/build)");
    std::fs::copy(
        extra_plugins().join("conformance.toml"),
        plugins.path().join("conformance.toml"),
    )
    .expect("copy its manifest");
    let server = Server::start_env(plugins.path(), &[("ACCESS_MCP_STATEFUL", "true")]);
    let mut failed = Vec::new();
    for scenario in &scenarios {
        let out = Command::new(conformance_cli())
            .args(["server", "--url", &server.url, "--scenario", scenario])
            .output()
            .expect("run conformance suite");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if !(out.status.success() && text.contains(" 0 failed")) {
            failed.push(format!("{scenario}:\n{text}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        scenarios.len(),
        failed.join("\n")
    );
    drop(server);
    // Completion is advertised because a loaded plugin answers it (stateless).
    let server = Server::start(plugins.path());
    let mut client = server.client();
    let init = client.request(
        "initialize",
        serde_json::json!({"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "0"}}),
    );
    assert!(
        init["result"]["capabilities"]["completions"].is_object(),
        "{init}"
    );
    // The 0.1 plugins beside it are unchanged: a read tool still answers.
    let r = client.call_tool("list_groups", serde_json::json!({"size": 1}));
    assert_eq!(r["isError"], false, "{r}");
}
