//! No N+1: the number of statements a detail tool runs is bounded by a
//! constant, whatever the row counts. The real access-reads component (built by
//! `.ci/build`) runs in the real sandbox against each engine; the counts are
//! taken on the demo organisation, then again after adding hundreds of
//! memberships, role mappings and app groups, and must stay under a small bound.

mod common;

use std::path::Path;
use std::sync::Arc;

use access::Access;
use access::db::{Db, Query};
use common::*;
use mcp_host::Capabilities;
use mcp_host::caller::RequestMeta;
use mcp_host::client_link::ClientLink;
use mcp_host::plugins::{LoadedPlugin, Loader};
use mcp_host::sandbox::SandboxConfig;
use mcp_host::sandbox::cache::CompiledCache;
use mcp_host::sandbox::call::{Invocation, Returned, StructuredForm};
use mcp_host::sandbox::state::CallContext;
use mcp_host::sandbox::{Sandbox, engine};

const GRAFANA: &str = "VOQ3Vfss2E5mQpTYRpVN";

/// The real access-reads component in a sandbox whose Access capability is `db`.
async fn reads_plugin(db: &Db) -> (Arc<Sandbox>, LoadedPlugin) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("root")
        .to_path_buf();
    let manifest = root.join("target/plugins/access-reads.toml");
    assert!(
        manifest.exists(),
        "{} is missing: run .ci/build first",
        manifest.display()
    );
    let cfg = SandboxConfig::default();
    let engine = engine::build_engine(&cfg).expect("engine");
    engine::start_epoch_ticker(&engine);
    let capabilities = Capabilities::default().with(Arc::new(Access::on(db.clone())));
    let sandbox = Arc::new(
        Sandbox::new(engine.clone(), cfg, Arc::new(capabilities.clone())).expect("sandbox threads"),
    );
    let cache = CompiledCache::new(&engine, Some(root.join("target/test-compile-cache")));
    let plugin = Loader::new(sandbox.clone(), capabilities, cache)
        .load(&manifest)
        .await
        .expect("load access-reads");
    (sandbox, plugin)
}

/// Statements one tool call runs, and its JSON result.
async fn count(
    sandbox: &Sandbox,
    plugin: &LoadedPlugin,
    db: &Db,
    tool: &str,
    args: serde_json::Value,
) -> (u64, serde_json::Value) {
    let ctx = CallContext {
        plugin: plugin.code.name.clone(),
        tool: Some(Arc::from(tool)),
        caller: wumpus(),
        request: Arc::new(RequestMeta::internal("count")),
        write_gate: Default::default(),
        loading: false,
        client: Arc::new(ClientLink::none()),
    };
    let before = db.queries_run();
    let out = sandbox
        .invoke(
            &plugin.code,
            ctx,
            Invocation::CallTool {
                name: tool.into(),
                arguments: args.to_string(),
                structured: StructuredForm::Text,
            },
        )
        .await
        .expect("tool call");
    let n = db.queries_run() - before;
    let Returned::ToolOutput(Ok(o)) = out else {
        panic!("unexpected result")
    };
    assert!(!o.is_error, "{tool}: {}", o.text);
    (n, serde_json::from_str(&o.text).expect("json"))
}

/// Hundreds more rows behind each detail tool.
async fn inflate(db: &Db) {
    let now = db.now_sql();
    let exec = |sql: String| async move { db.execute(&Query::new(sql)).await.expect("inflate") };
    // 400 users, each a member of Engineering and of the new Grafana app groups.
    for i in 0..400 {
        exec(format!(
            "INSERT INTO okta_user (id, created_at, updated_at, email, first_name, last_name, profile) \
             VALUES ('00uinflate{i:010}', {now}, {now}, 'inflate{i}@example.com', 'F', 'L', '{{}}')"
        ))
        .await;
    }
    // 30 more Grafana app groups.
    for g in 0..30 {
        exec(format!(
            "INSERT INTO okta_group (id, type, created_at, updated_at, name, description, is_managed, plugin_data, externally_managed_data) \
             VALUES ('00ginflate{g:010}', 'app_group', {now}, {now}, 'App-Grafana-Inflated{g}', '', TRUE, '{{}}', '{{}}')"
        ))
        .await;
        exec(format!("INSERT INTO app_group (id, app_id, is_owner) VALUES ('00ginflate{g:010}', '{GRAFANA}', FALSE)")).await;
    }
    let mut id = 100_000;
    for i in 0..400 {
        id += 1;
        exec(format!(
            "INSERT INTO okta_user_group_member (id, user_id, group_id, is_owner, created_at, updated_at, created_reason, should_expire) \
             VALUES ({id}, '00uinflate{i:010}', '{ENGINEERING}', {}, {now}, {now}, 'inflated', FALSE)",
            if i % 5 == 0 { "TRUE" } else { "FALSE" }
        ))
        .await;
        id += 1;
        exec(format!(
            "INSERT INTO okta_user_group_member (id, user_id, group_id, is_owner, created_at, updated_at, created_reason, should_expire) \
             VALUES ({id}, '00uinflate{i:010}', '00ginflate{:010}', FALSE, {now}, {now}, 'inflated', FALSE)",
            i % 30
        ))
        .await;
        id += 1;
        exec(format!(
            "INSERT INTO okta_user_group_member (id, user_id, group_id, is_owner, created_at, updated_at, created_reason, should_expire) \
             VALUES ({id}, '00uinflate{i:010}', '{ROLE_BACKEND}', FALSE, {now}, {now}, 'inflated', FALSE)"
        ))
        .await;
    }
    // Wumpus in all 30 new groups, and 40 more role mappings onto Engineering.
    for g in 0..30 {
        id += 1;
        exec(format!(
            "INSERT INTO okta_user_group_member (id, user_id, group_id, is_owner, created_at, updated_at, created_reason, should_expire) \
             VALUES ({id}, '{WUMPUS}', '00ginflate{g:010}', FALSE, {now}, {now}, 'inflated', FALSE)"
        ))
        .await;
    }
    for r in 0..40 {
        exec(format!(
            "INSERT INTO okta_group (id, type, created_at, updated_at, name, description, is_managed, plugin_data, externally_managed_data) \
             VALUES ('00grinflate{r:09}', 'role_group', {now}, {now}, 'Role-Inflated{r}', '', TRUE, '{{}}', '{{}}')"
        ))
        .await;
        exec(format!(
            "INSERT INTO role_group (id) VALUES ('00grinflate{r:09}')"
        ))
        .await;
        exec(format!(
            "INSERT INTO role_group_map (id, role_id, group_id, is_owner, created_at, updated_at, created_reason, should_expire) \
             VALUES ({}, '00grinflate{r:09}', '{ENGINEERING}', {}, {now}, {now}, 'inflated', FALSE)",
            200_000 + r,
            if r % 2 == 0 { "TRUE" } else { "FALSE" }
        ))
        .await;
    }
}

#[tokio::test]
async fn detail_tools_run_a_constant_number_of_queries() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let (sandbox, plugin) = reads_plugin(db).await;
        let (sandbox, plugin) = (&sandbox, &plugin);
        let calls = [
            (
                "get_group",
                serde_json::json!({"group_id_or_name": ENGINEERING}),
            ),
            ("get_user", serde_json::json!({"user_id_or_email": "@me"})),
            ("get_app", serde_json::json!({"app_id_or_name": GRAFANA})),
            (
                "get_role",
                serde_json::json!({"role_id_or_name": ROLE_BACKEND}),
            ),
        ];
        let mut before = Vec::new();
        for (tool, args) in &calls {
            before.push(count(sandbox, plugin, db, tool, args.clone()).await);
        }
        inflate(db).await;
        for ((tool, args), (n0, v0)) in calls.iter().zip(before) {
            let (n1, v1) = count(sandbox, plugin, db, tool, args.clone()).await;
            println!(
                "{}: {tool} ran {n0} statements on the demo, {n1} with hundreds more rows",
                tdb.engine
            );
            // Batch calls are skipped for empty id lists, so counts may differ by a
            // little; an N+1 would add hundreds.
            assert!(
                n1 <= n0 + 2,
                "{tool} on {}: {n0} → {n1} statements: the count grew with the rows",
                tdb.engine
            );
            assert!(n1 <= 20, "{tool}: {n1} statements");
            assert!(v0 != v1, "{tool}: the added rows are visible in the result");
        }
        tdb
    })
    .await;
}
