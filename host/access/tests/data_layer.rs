//! Data-layer tests: reads, permission predicates and the three request
//! operations, each on a fresh SQLite database and a fresh PostgreSQL one.

mod common;

use access::bindings::access::directory::reads as r;
use access::bindings::access::directory::requests as rq;
use access::bindings::access_types as t;
use access::db::reads;
use access::db::{Db, Query};
use access::requests::{self as writes, WriteContext, WriteError, WriteSettings};
use access::scopes::READ_ALL as SCOPE_READ_ALL;
use common::*;
use mcp_host::caller::Caller;
use mcp_host::caller::RequestMeta;
use mcp_host::client_link::ClientLink;
use mcp_host::confirm::WriteGate;
use mcp_host::sandbox::state::CallContext;
use std::sync::Arc;

const OLIVIA: &str = "00uqxu6x0VClfJJmv8Nv";
const GRAFANA: &str = "VOQ3Vfss2E5mQpTYRpVN";
const SECURITY_SENSITIVE_TAG: &str = "ROuZIeBs21wpkDWePLpI"; // owner_time_limit = 1 year
const PAGE: t::PageRequest = t::PageRequest {
    offset: 0,
    limit: 1000,
};

async fn count(db: &Db, sql: &str) -> i64 {
    db.fetch_count(&Query::new(sql)).await.expect(sql)
}

/// The context a write tool call of `caller` binds (an open write gate).
fn call(caller: &Arc<Caller>) -> CallContext {
    CallContext {
        plugin: Arc::from("test"),
        tool: Some(Arc::from("test")),
        caller: caller.clone(),
        request: Arc::new(RequestMeta::internal("r1")),
        write_gate: WriteGate::Open,
        loading: false,
        client: Arc::new(ClientLink::none()),
    }
}

fn ctx(call: &CallContext) -> WriteContext<'_> {
    WriteContext {
        call,
        settings: WriteSettings::default(),
    }
}

fn access_input(group: &str, ownership: bool) -> rq::AccessRequestInput {
    rq::AccessRequestInput {
        group_id: group.into(),
        reason: "need it".into(),
        ownership,
        ending_at: None,
    }
}

fn group_input(
    name: &str,
    kind: t::GroupType,
    app: Option<&str>,
    tags: &[&str],
) -> rq::GroupRequestInput {
    rq::GroupRequestInput {
        name: name.into(),
        group_type: kind,
        description: "d".into(),
        app_id: app.map(String::from),
        tag_ids: tags.iter().map(|s| s.to_string()).collect(),
        ownership_ending_at: None,
        reason: "r".into(),
    }
}

#[tokio::test]
async fn reads_and_predicates_agree_with_the_database() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let engine = tdb.engine;
        let f = r::GroupFilter { query: String::new(), managed: None, group_type: None, owner_user_id: None };
        let all = reads::list_groups(db, &f, PAGE).await.expect("list_groups");
        assert_eq!(all.total as i64, count(db, "SELECT CAST(COUNT(*) AS BIGINT) FROM okta_group WHERE deleted_at IS NULL").await, "{engine}");
        let names: Vec<String> = all.items.iter().map(|g| g.name.to_lowercase()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "ordered by lower(name) on {engine}");

        let unmanaged = reads::list_groups(db, &r::GroupFilter { managed: Some(false), ..f.clone() }, PAGE).await.expect("managed=false");
        assert!(unmanaged.items.iter().all(|g| !g.is_managed) && unmanaged.total >= 1, "{engine}");
        assert!(unmanaged.items.iter().any(|g| g.id == EVERYONE_UNMANAGED));

        // Search escapes LIKE wildcards: "%" matches nothing literally absent.
        let pct = reads::list_groups(db, &r::GroupFilter { query: "%".into(), ..f.clone() }, PAGE).await.expect("q=%");
        assert_eq!(pct.total, 0, "`%` is not a wildcard on {engine}");
        let eng = reads::list_groups(db, &r::GroupFilter { query: "ENGINEER".into(), ..f.clone() }, PAGE).await.expect("q");
        assert!(eng.items.iter().any(|g| g.id == ENGINEERING), "{engine}");

        let page = reads::list_groups(db, &f, t::PageRequest { offset: 2, limit: 3 }).await.expect("page");
        assert_eq!(page.items.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
                   all.items[2..5].iter().map(|g| g.id.clone()).collect::<Vec<_>>(), "{engine}");
        // The total is the same whether a short page tells it or a count is run:
        // full pages, the short last page, a page past the end, an empty first page.
        let n = all.total as u32;
        for (offset, limit) in [(0, 1), (0, n), (0, n + 1), (n - 1, 5), (n, 5), (n + 10, 5), (3, n)] {
            let p = reads::list_groups(db, &f, t::PageRequest { offset, limit }).await.expect("page");
            assert_eq!(p.total, all.total, "offset {offset} limit {limit} on {engine}");
        }
        let none = reads::list_groups(db, &r::GroupFilter { query: "no such group".into(), ..f.clone() },
            t::PageRequest { offset: 0, limit: 5 }).await.expect("empty");
        assert_eq!((none.total, none.items.len()), (0, 0), "{engine}");

        let g = reads::find_group(db, "Engineering", None, true).await.expect("find").expect("Engineering");
        assert_eq!(g.id, ENGINEERING);
        let deleted = reads::find_group(db, "Legacy-VPN-Users", None, true).await.expect("find").expect("deleted group");
        assert!(deleted.deleted_at.is_some());
        assert!(reads::find_group(db, "Legacy-VPN-Users", None, false).await.expect("find").is_none());
        let role = reads::find_group(db, ROLE_BACKEND, Some(t::GroupType::RoleGroup), false).await.expect("role");
        assert!(role.is_some());
        assert!(reads::find_group(db, ENGINEERING, Some(t::GroupType::RoleGroup), false).await.expect("not a role").is_none());

        let u = reads::find_user(db, "WUMPUS@Discord.com", true).await.expect("find_user").expect("wumpus");
        assert_eq!(u.id, WUMPUS);
        // The indexed first try (id, exact or lower-case email) and the
        // case-insensitive fallback agree.
        for key in [WUMPUS, "wumpus@discord.com", "Wumpus@discord.com", "WUMPUS@DISCORD.COM"] {
            let found = reads::find_user(db, key, false).await.expect("find_user").map(|u| u.id);
            assert_eq!(found.as_deref(), Some(WUMPUS), "find_user({key}) on {engine}");
            let bound = reads::user_by_email(db, key).await.expect("user_by_email").map(|u| u.id);
            let expect = (key != WUMPUS).then_some(WUMPUS);
            assert_eq!(bound.as_deref(), expect, "user_by_email({key}) on {engine}: emails only");
        }
        let title = u.profile.iter().find(|a| a.name == "Title").and_then(|a| a.value_json.clone());
        assert_eq!(title.as_deref(), Some("\"Staff Engineer\""));
        assert!(u.profile.iter().all(|a| a.name == "Title" || a.name == "Manager"), "only displayed attributes");
        let by_title = reads::list_users(db, "staff engineer", PAGE).await.expect("profile search");
        assert!(by_title.items.iter().any(|u| u.id == WUMPUS), "searches displayed profile attributes on {engine}");
        let by_hidden = reads::list_users(db, "remote", PAGE).await.expect("hidden attribute");
        assert!(by_hidden.items.is_empty(), "Location is not displayed, so not searched, on {engine}");

        let members = reads::group_members(db, ENGINEERING).await.expect("members");
        let active_members = count(db, &format!(
            "SELECT CAST(COUNT(DISTINCT user_id) AS BIGINT) FROM okta_user_group_member WHERE group_id = '{ENGINEERING}' \
             AND is_owner = FALSE AND (ended_at IS NULL OR ended_at > {})", db.now_sql())).await;
        assert_eq!(members.members.len() as i64, active_members, "{engine}");
        assert!(members.owners.contains(&WUMPUS.to_string()));

        let mf = r::MembershipFilter { user_id: None, group_id: Some(ENGINEERING.into()), is_owner: None, active_only: false, live_groups_only: false };
        let history = reads::list_memberships(db, &mf, PAGE).await.expect("history");
        assert_eq!(history.total as i64, count(db, &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM okta_user_group_member WHERE group_id = '{ENGINEERING}'")).await);
        let approved = count(db, "SELECT CAST(COUNT(*) AS BIGINT) FROM access_request WHERE approved_membership_id IS NOT NULL").await;
        let all_rows = reads::list_memberships(db, &r::MembershipFilter { group_id: None, ..mf.clone() }, PAGE).await.expect("all");
        let linked = all_rows.items.iter().filter(|m| m.access_request_id.is_some()).count() as i64;
        assert_eq!(linked, approved, "access_request_id filled from the approving request on {engine}");

        assert!(reads::is_access_admin(db, WUMPUS).await.expect("admin"));
        assert!(!reads::is_access_admin(db, OLIVIA).await.expect("admin"));
        assert!(reads::is_group_owner(db, WUMPUS, ENGINEERING).await.expect("owner"));
        assert!(!reads::is_group_owner(db, OLIVIA, ENGINEERING).await.expect("owner"));
        assert!(reads::is_app_owner(db, WUMPUS, GRAFANA).await.expect("app owner"));
        assert!(!reads::is_app_owner(db, OLIVIA, GRAFANA).await.expect("app owner"));
        assert!(reads::can_manage_group(db, WUMPUS, ENGINEERING).await.expect("manage"));
        assert!(!reads::can_manage_group(db, OLIVIA, ENGINEERING).await.expect("manage"));
        tdb
    })
    .await;
}

#[tokio::test]
async fn access_request_supersedes_the_earlier_pending_one() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let first = writes::create_access_request(
            db,
            &ctx(&call(&olivia)),
            &access_input(ENGINEERING, false),
        )
        .await
        .expect("first");
        assert_eq!(first.status, t::RequestStatus::Pending);
        assert_eq!(first.id.len(), 20);
        assert!(first.id.chars().all(|c| c.is_ascii_alphabetic()));
        let second = writes::create_access_request(
            db,
            &ctx(&call(&olivia)),
            &access_input(ENGINEERING, false),
        )
        .await
        .expect("second");
        let old = reads::find_access_request(db, &first.id)
            .await
            .expect("read")
            .expect("first exists");
        assert_eq!(old.status, t::RequestStatus::Rejected);
        assert_eq!(
            old.resolution_reason,
            "Superseded by a newer request from the same user"
        );
        assert_eq!(old.resolver_user_id.as_deref(), Some(OLIVIA));
        assert!(old.resolved_at.is_some());
        let new = reads::find_access_request(db, &second.id)
            .await
            .expect("read")
            .expect("second");
        assert_eq!(new.status, t::RequestStatus::Pending);
        // An ownership request is a different kind: it does not supersede the membership one.
        writes::create_access_request(db, &ctx(&call(&olivia)), &access_input(ENGINEERING, true))
            .await
            .expect("ownership");
        let still = reads::find_access_request(db, &second.id)
            .await
            .expect("read")
            .expect("second");
        assert_eq!(still.status, t::RequestStatus::Pending);
        tdb
    })
    .await;
}

#[tokio::test]
async fn access_request_errors() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let err = |e: WriteError| e.to_string();
        assert_eq!(
            err(writes::create_access_request(
                db,
                &ctx(&call(&olivia)),
                &access_input("nope", false)
            )
            .await
            .unwrap_err()),
            "Group not found"
        );
        assert_eq!(
            err(writes::create_access_request(
                db,
                &ctx(&call(&olivia)),
                &access_input(EVERYONE_UNMANAGED, false)
            )
            .await
            .unwrap_err()),
            "Groups not managed by Access cannot be modified"
        );
        let ghost = caller("00uAQYOmbf7bodJpSDyY", &[SCOPE_READ_ALL, "create_requests"]); // deleted user
        assert_eq!(
            err(writes::create_access_request(
                db,
                &ctx(&call(&ghost)),
                &access_input(ENGINEERING, false)
            )
            .await
            .unwrap_err()),
            "Current user is not allowed to perform this action"
        );
        tdb
    })
    .await;
}

#[tokio::test]
async fn role_request_rules() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let input = |role: &str, group: &str| rq::RoleRequestInput {
            role_id: role.into(),
            group_id: group.into(),
            reason: "r".into(),
            ownership: false,
            ending_at: None,
        };
        let e = writes::create_role_request(
            db,
            &ctx(&call(&olivia)),
            &input(ROLE_BACKEND, ENGINEERING),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Current user is not allowed to perform this action"
        );
        let e =
            writes::create_role_request(db, &ctx(&call(&olivia)), &input(ENGINEERING, ENGINEERING))
                .await
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Role not found",
            "a plain group is not a role"
        );
        let wumpus = wumpus();
        let ok = writes::create_role_request(
            db,
            &ctx(&call(&wumpus)),
            &input(ROLE_BACKEND, ENGINEERING),
        )
        .await
        .expect("role owner");
        assert_eq!(ok.status, t::RequestStatus::Pending);
        assert_eq!(ok.requester_role_id, ROLE_BACKEND);
        let again = writes::create_role_request(
            db,
            &ctx(&call(&wumpus)),
            &input(ROLE_BACKEND, ENGINEERING),
        )
        .await
        .expect("again");
        let old = reads::find_role_request(db, &ok.id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(old.status, t::RequestStatus::Rejected);
        assert_eq!(
            old.resolution_reason,
            "Closed due to duplicate role request creation"
        );
        assert_ne!(again.id, ok.id);
        let other_role = reads::list_groups(
            db,
            &r::GroupFilter {
                query: String::new(),
                managed: None,
                group_type: Some(t::GroupType::RoleGroup),
                owner_user_id: None,
            },
            PAGE,
        )
        .await
        .expect("roles")
        .items
        .into_iter()
        .find(|g| g.id != ROLE_BACKEND)
        .expect("another role");
        let e = writes::create_role_request(
            db,
            &ctx(&call(&wumpus)),
            &input(ROLE_BACKEND, &other_role.id),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Role requests may only be made for groups and app groups (not roles)."
        );
        let e = writes::create_role_request(
            db,
            &ctx(&call(&wumpus)),
            &input(ROLE_BACKEND, EVERYONE_UNMANAGED),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Groups not managed by Access cannot be modified"
        );
        tdb
    })
    .await;
}

#[tokio::test]
async fn group_request_rules_and_owner_time_limit() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let bound = call(&olivia);
        let c = ctx(&bound);
        let e = |i: rq::GroupRequestInput| {
            let c = &c;
            async move {
                writes::create_group_request(db, c, &i)
                    .await
                    .unwrap_err()
                    .to_string()
            }
        };
        assert_eq!(
            e(group_input("bad name", t::GroupType::OktaGroup, None, &[])).await,
            "okta_group.requested_group_name: String should match pattern '^[A-Z][A-Za-z0-9-]*$'"
        );
        assert_eq!(
            e(group_input(
                "Team-Owners",
                t::GroupType::OktaGroup,
                None,
                &[]
            ))
            .await,
            "Group request could not be created"
        );
        assert_eq!(
            e(group_input(
                "Role-Thing",
                t::GroupType::OktaGroup,
                None,
                &[]
            ))
            .await,
            "Group request could not be created"
        );
        assert_eq!(
            e(group_input("Thing", t::GroupType::RoleGroup, None, &[])).await,
            "Group request could not be created"
        );
        assert_eq!(
            e(group_input(
                "App-Other-X",
                t::GroupType::AppGroup,
                Some(GRAFANA),
                &[]
            ))
            .await,
            "Group request could not be created"
        );
        assert_eq!(
            e(group_input(
                "App-Grafana-X",
                t::GroupType::AppGroup,
                None,
                &[]
            ))
            .await,
            "app_group.requested_app_id: Field required"
        );
        assert_eq!(
            e(group_input(
                "App-Grafana-X",
                t::GroupType::AppGroup,
                Some("does-not-exist"),
                &[]
            ))
            .await,
            "App not found"
        );
        assert_eq!(
            e(group_input(
                "Thing",
                t::GroupType::OktaGroup,
                None,
                &["nope"]
            ))
            .await,
            "One or more tags not found"
        );
        assert_eq!(
            e(group_input(
                "Thing",
                t::GroupType::OktaGroup,
                None,
                &[SECURITY_SENSITIVE_TAG, SECURITY_SENSITIVE_TAG]
            ))
            .await,
            "One or more tags not found",
            "a duplicated tag id fails the exact count"
        );

        // owner_time_limit of the requested tags clips the ownership end.
        let year = 365 * 24 * 3600;
        let now = chrono::Utc::now().timestamp();
        let mut i = group_input(
            "Thing",
            t::GroupType::OktaGroup,
            None,
            &[SECURITY_SENSITIVE_TAG],
        );
        i.ownership_ending_at = Some(mcp_host::bindings::mcp::plugin::clock::Timestamp {
            seconds: now + 2 * year,
            nanoseconds: 0,
        });
        let g = writes::create_group_request(db, &c, &i)
            .await
            .expect("group request");
        assert_eq!(g.status, t::RequestStatus::Pending);
        assert!(g.id.len() == 20 && g.id.chars().all(|c| c.is_ascii_alphanumeric()));
        let end = g
            .requested_ownership_ending_at
            .expect("clipped end")
            .seconds;
        assert!(
            (end - (now + year)).abs() < 60,
            "clipped to now + 1 year: {end} vs {}",
            now + year
        );
        assert_eq!(
            g.requested_group_tags,
            vec![SECURITY_SENSITIVE_TAG.to_string()]
        );
        let i2 = group_input(
            "Thing",
            t::GroupType::OktaGroup,
            None,
            &[SECURITY_SENSITIVE_TAG],
        );
        let g2 = writes::create_group_request(db, &c, &i2)
            .await
            .expect("no end requested");
        let end2 = g2
            .requested_ownership_ending_at
            .expect("now + limit")
            .seconds;
        assert!((end2 - (now + year)).abs() < 60);
        let old = reads::find_group_request(db, &g.id)
            .await
            .expect("read")
            .expect("first");
        assert_eq!(old.status, t::RequestStatus::Rejected);
        assert_eq!(
            old.resolution_reason,
            "Closed due to duplicate group request creation"
        );
        tdb
    })
    .await;
}

#[tokio::test]
async fn app_owner_request_is_auto_approved_in_one_transaction() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let wumpus = wumpus();
        let g = writes::create_group_request(
            db,
            &ctx(&call(&wumpus)),
            &group_input(
                "App-Grafana-Oncall",
                t::GroupType::AppGroup,
                Some(GRAFANA),
                &[],
            ),
        )
        .await
        .expect("auto-approved");
        assert_eq!(g.status, t::RequestStatus::Approved);
        assert_eq!(
            g.resolution_reason,
            "Requester owns parent app and can create app groups"
        );
        let gid = g.approved_group_id.clone().expect("approved group");
        let group = reads::find_group(db, &gid, None, false)
            .await
            .expect("read")
            .expect("created group");
        assert_eq!(group.group_type, t::GroupType::AppGroup);
        assert_eq!(group.app_id.as_deref(), Some(GRAFANA));
        assert!(!group.is_owner);
        assert!(
            reads::is_group_owner(db, WUMPUS, &gid)
                .await
                .expect("owner row")
        );
        // A non-owner's request stays pending and creates nothing.
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let p = writes::create_group_request(
            db,
            &ctx(&call(&olivia)),
            &group_input(
                "App-Grafana-Viewers2",
                t::GroupType::AppGroup,
                Some(GRAFANA),
                &[],
            ),
        )
        .await
        .expect("pending");
        assert_eq!(p.status, t::RequestStatus::Pending);
        assert!(
            reads::find_group(db, "App-Grafana-Viewers2", None, true)
                .await
                .expect("read")
                .is_none()
        );
        tdb
    })
    .await;
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_half_done() {
    on_both(|tdb| async move {
        let db = &tdb.db;
        let olivia = caller(OLIVIA, &[SCOPE_READ_ALL, "create_requests"]);
        let first = writes::create_access_request(db, &ctx(&call(&olivia)), &access_input(ENGINEERING, false)).await.expect("first");
        // Make the insert of the next request fail after the supersede update ran.
        let trigger = match db.pool {
            access::db::Pool::Sqlite(_) => vec![
                "CREATE TRIGGER boom BEFORE INSERT ON access_request WHEN NEW.request_reason = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END".to_string(),
            ],
            access::db::Pool::Postgres(_) => vec![
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.request_reason = 'boom' THEN \
                 RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql".to_string(),
                "CREATE TRIGGER boom BEFORE INSERT ON access_request FOR EACH ROW EXECUTE FUNCTION boom()".to_string(),
            ],
        };
        for sql in trigger {
            db.execute(&Query::new(sql)).await.expect("trigger");
        }
        let mut input = access_input(ENGINEERING, false);
        input.reason = "boom".into();
        let e = writes::create_access_request(db, &ctx(&call(&olivia)), &input).await.unwrap_err();
        assert!(matches!(e, WriteError::Db(_)), "{e}");
        let still = reads::find_access_request(db, &first.id).await.expect("read").expect("first");
        assert_eq!(still.status, t::RequestStatus::Pending, "the supersede rolled back with the failed insert on {}", tdb.engine);
        tdb
    })
    .await;
}

#[tokio::test]
async fn rows_the_host_writes_satisfy_the_schema() {
    let tdb = sqlite().await;
    let db = &tdb.db;
    let wumpus = wumpus();
    writes::create_access_request(db, &ctx(&call(&wumpus)), &access_input(ENGINEERING, true))
        .await
        .expect("access");
    writes::create_group_request(
        db,
        &ctx(&call(&wumpus)),
        &group_input(
            "App-Grafana-Compat",
            t::GroupType::AppGroup,
            Some(GRAFANA),
            &[SECURITY_SENSITIVE_TAG],
        ),
    )
    .await
    .expect("group");
    #[derive(sqlx::FromRow, serde::Deserialize)]
    struct Ts {
        v: Option<String>,
    }
    for (table, col) in [
        ("access_request", "created_at"),
        ("group_request", "requested_ownership_ending_at"),
        ("okta_group", "created_at"),
        ("okta_user_group_member", "ended_at"),
    ] {
        let rows: Vec<Ts> = db
            .fetch_all(&Query::new(format!(
                "SELECT CAST({col} AS TEXT) AS v FROM {table}"
            )))
            .await
            .expect("ts");
        for v in rows.into_iter().filter_map(|r| r.v) {
            let ok = v.len() == 26
                && chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S%.6f").is_ok();
            assert!(
                ok,
                "{table}.{col} = {v:?} is not SQLAlchemy's naive-UTC text"
            );
        }
    }
    if let access::db::Pool::Sqlite(p) = &db.pool {
        let violations: Vec<(String, i64, String, i64)> =
            sqlx::query_as("PRAGMA foreign_key_check")
                .fetch_all(p)
                .await
                .expect("fk check");
        assert!(violations.is_empty(), "{violations:?}");
        let ok: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(p)
            .await
            .expect("integrity");
        assert_eq!(ok.0, "ok");
    }
    tdb.cleanup().await;
}

#[tokio::test]
async fn a_database_without_accesss_schema_is_refused_naming_what_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .expect("create");
        sqlx::raw_sql("CREATE TABLE okta_user (id TEXT)")
            .execute(&pool)
            .await
            .expect("table");
        pool.close().await;
    }
    let cfg = access::config::DatabaseConfig {
        database_uri: Some(format!("sqlite:///{}", path.display())),
        demo_db: "unused.db".into(),
        max_connections: 2,
        sqlite_inline_reads: true,
    };
    let e = Db::connect(&cfg, &directory())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("table `okta_user`") && e.contains("table `okta_group`"),
        "{e}"
    );
}

#[tokio::test]
async fn postgres_connection_loss_fails_the_call_and_recovers() {
    let Some(tdb) = postgres().await else {
        eprintln!("skipped: DATABASE_TEST_POSTGRES is unset");
        return;
    };
    let (admin, name) = tdb.postgres().cloned().expect("postgres");
    let db = tdb.db.clone();
    assert!(
        reads::find_group(&db, ENGINEERING, None, false)
            .await
            .expect("before")
            .is_some()
    );
    let admin_pool = sqlx::PgPool::connect(&admin).await.expect("admin");
    let refuse = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false");
    sqlx::raw_sql(sqlx::AssertSqlSafe(refuse))
        .execute(&admin_pool)
        .await
        .expect("refuse connections");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )))
    .execute(&admin_pool)
    .await
    .expect("terminate");
    let during = reads::find_group(&db, ENGINEERING, None, false).await;
    assert!(
        during.is_err(),
        "a call while the database is gone fails cleanly"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS true"
    )))
    .execute(&admin_pool)
    .await
    .expect("allow connections");
    let after = reads::find_group(&db, ENGINEERING, None, false)
        .await
        .expect("the pool reconnects");
    assert!(after.is_some());
    admin_pool.close().await;
    tdb.cleanup().await;
}
