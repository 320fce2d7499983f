//! The indexes the queries rely on (#21): on Access's schema as shipped the
//! server warns once at startup with the exact statements and stays ready;
//! `access-mcp db indexes` prints them and `--apply` creates them, never
//! unasked; an index upstream Access added later counts.

use std::process::Command;

use access_mcp_e2e::pg::TempDb;
use access_mcp_e2e::{PluginDir, Server, binary};

const USER_INDEX: &str = "CREATE INDEX idx_ougm_user_owner_created ON okta_user_group_member (user_id, is_owner, created_at, ended_at);";
const GROUP_INDEX: &str = "CREATE INDEX idx_ougm_group_owner_created ON okta_user_group_member (group_id, is_owner, created_at, ended_at);";

fn indexes(db: &TempDb, apply: bool) -> (i32, String) {
    let mut cmd = Command::new(binary());
    cmd.args(["db", "indexes", "--database-uri", &db.url]);
    if apply {
        cmd.arg("--apply");
    }
    let out = cmd.output().expect("run access-mcp db indexes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn index_count(db: &TempDb) -> i64 {
    db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'okta_user_group_member'")
}

#[test]
fn missing_indexes_are_warned_once_printed_and_created_only_when_asked() {
    let db = TempDb::with_demo();
    let plugins = PluginDir::with_built_plugins();
    let before = index_count(&db);
    let server = Server::start_env(plugins.path(), &[("DATABASE_URI", db.url.as_str())]);
    let logs = server.logs();
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("lacks indexes this server's queries rely on"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {logs}");
    assert!(
        warnings[0].contains(USER_INDEX) && warnings[0].contains(GROUP_INDEX),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("52 ms"), "the cost: {}", warnings[0]);
    let ready = reqwest::blocking::get(format!("{}/readyz", server.base())).expect("readyz");
    assert_eq!(ready.status().as_u16(), 200, "ready without the indexes");
    drop(server);
    assert_eq!(index_count(&db), before, "the server created nothing");

    // The command prints the same statements and exits 2; nothing created.
    let (code, out) = indexes(&db, false);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(USER_INDEX) && out.contains(GROUP_INDEX),
        "{out}"
    );
    assert_eq!(index_count(&db), before);

    // An index like upstream's later one serves the user side.
    db.scalar("CREATE INDEX upstream_user ON okta_user_group_member (user_id, is_owner, ended_at); SELECT 0");
    let (code, out) = indexes(&db, false);
    assert_eq!(code, 2, "{out}");
    assert!(
        !out.contains(USER_INDEX) && out.contains(GROUP_INDEX),
        "{out}"
    );

    // --apply creates what is missing; then nothing is, and no warning.
    let (code, out) = indexes(&db, true);
    assert_eq!(code, 0, "{out}");
    assert_eq!(index_count(&db), before + 2);
    let (code, out) = indexes(&db, false);
    assert_eq!((code, out.contains("present")), (0, true), "{out}");
    let server = Server::start_env(plugins.path(), &[("DATABASE_URI", db.url.as_str())]);
    assert!(
        !server.logs().contains("lacks indexes"),
        "{}",
        server.logs()
    );
    // The reads still answer.
    let r = server.client().call_tool(
        "get_group",
        serde_json::json!({"group_id_or_name": "Engineering"}),
    );
    assert_eq!(r["isError"], false, "{r}");
    db.drop_now();
}
