//! The read side on a large organisation, measured (not a timed test): run with
//! `cargo bench -p access-mcp --bench scale_reads`.
//!
//! Generates the large synthetic organisation (10 000 users, 5 000 groups,
//! 200 000 memberships, 20 000 requests, a 5 000-member group, a user in 500
//! groups) on SQLite and, when `DATABASE_TEST_POSTGRES` (or a local server on
//! 127.0.0.1:5432) answers, on PostgreSQL; then prints the median and p99 of
//! each read operation on Access's schema as it is, and again with the two
//! indexes upstream Access added later, in the same run.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use access::bindings::access::directory::reads as r;
use access::bindings::access_types as t;
use access::config::{DatabaseConfig, DirectoryConfig};
use access::db::synthetic::{BIG_GROUP, BIG_GROUP_NAME, BUSY_USER, BUSY_USER_EMAIL, DEV_USER};
use access::db::{Db, Query, demo, reads};
use sqlx::Connection;

const INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS idx_ougm_user_owner_ended ON okta_user_group_member (user_id, is_owner, ended_at)",
    "CREATE INDEX IF NOT EXISTS idx_ougm_group_owner_ended ON okta_user_group_member (group_id, is_owner, ended_at)",
];

type Op = (
    &'static str,
    Box<dyn Fn(Db) -> Pin<Box<dyn Future<Output = ()>>>>,
);

fn page(limit: u32) -> t::PageRequest {
    t::PageRequest { offset: 0, limit }
}

fn ops() -> Vec<Op> {
    let groups = |q: &str, gt: Option<t::GroupType>| r::GroupFilter {
        query: q.into(),
        managed: None,
        group_type: gt,
        owner_user_id: None,
    };
    let members = |user: Option<&str>, group: Option<&str>, owner: Option<bool>, active: bool| {
        r::MembershipFilter {
            user_id: user.map(String::from),
            group_id: group.map(String::from),
            is_owner: owner,
            active_only: active,
            live_groups_only: false,
        }
    };
    let requests = |status: Option<t::RequestStatus>, requester: Option<&str>| r::RequestFilter {
        query: String::new(),
        status,
        requester_user_id: requester.map(String::from),
        resolver_user_id: None,
        requested_group_id: None,
        requester_role_id: None,
        requested_group_type: None,
        requested_app_id: None,
    };
    vec![
        (
            "list_groups (page of 50)",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_groups(&db, &groups("", None), page(50))
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "list_groups q=\"group-12\"",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_groups(&db, &groups("group-12", None), page(50))
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "list_groups roles owned by a user",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_groups(
                        &db,
                        &r::GroupFilter {
                            owner_user_id: Some(BUSY_USER.into()),
                            ..groups("", Some(t::GroupType::RoleGroup))
                        },
                        page(50),
                    )
                    .await
                    .expect("op");
                })
            }),
        ),
        (
            "find_group by name",
            Box::new(|db| {
                Box::pin(async move {
                    reads::find_group(&db, BIG_GROUP_NAME, None, true)
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "memberships of the 5 000-member group (100)",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_memberships(
                        &db,
                        &members(None, Some(BIG_GROUP), Some(false), true),
                        page(100),
                    )
                    .await
                    .expect("op");
                })
            }),
        ),
        (
            "memberships of the user in 500 groups (100)",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_memberships(
                        &db,
                        &members(Some(BUSY_USER), None, Some(false), true),
                        page(100),
                    )
                    .await
                    .expect("op");
                })
            }),
        ),
        (
            "access history of a user (50, ended too)",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_memberships(
                        &db,
                        &members(Some(BUSY_USER), None, None, false),
                        page(50),
                    )
                    .await
                    .expect("op");
                })
            }),
        ),
        (
            "group_members of the 5 000-member group",
            Box::new(|db| {
                Box::pin(async move {
                    reads::group_members(&db, BIG_GROUP).await.expect("op");
                })
            }),
        ),
        (
            "list_users q=\"user12\" (50)",
            Box::new(|db| {
                Box::pin(async move {
                    reads::list_users(&db, "user12", page(50))
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "find_user by email",
            Box::new(|db| {
                Box::pin(async move {
                    reads::find_user(&db, BUSY_USER_EMAIL, true)
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "users_by_id (100 ids)",
            Box::new(|db| {
                Box::pin(async move {
                    let ids: Vec<String> = (2..102).map(|i| format!("00usynth{i:012}")).collect();
                    reads::users_by_id(&db, &ids).await.expect("op");
                })
            }),
        ),
        (
            "role_mappings_of_roles (50 roles)",
            Box::new(|db| {
                Box::pin(async move {
                    let ids: Vec<String> = (1..51).map(|i| format!("00gsynth{i:012}")).collect();
                    reads::role_mappings_of_roles(&db, &ids).await.expect("op");
                })
            }),
        ),
        (
            "group_tag_maps (50 groups)",
            Box::new(|db| {
                Box::pin(async move {
                    let ids: Vec<String> =
                        (1000..1050).map(|i| format!("00gsynth{i:012}")).collect();
                    reads::group_tag_maps(&db, Some(&ids), None)
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "list_access_requests status=PENDING (50)",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_access_requests(
                        &db,
                        &requests(Some(t::RequestStatus::Pending), None),
                        page(50),
                    )
                    .await
                    .expect("op");
                })
            }),
        ),
        (
            "list_access_requests of a requester",
            Box::new(move |db| {
                Box::pin(async move {
                    reads::list_access_requests(&db, &requests(None, Some(BUSY_USER)), page(50))
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "find_access_request",
            Box::new(|db| {
                Box::pin(async move {
                    reads::find_access_request(&db, "ARsynth0000000000042")
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "can_manage_group",
            Box::new(|db| {
                Box::pin(async move {
                    reads::can_manage_group(&db, BUSY_USER, BIG_GROUP)
                        .await
                        .expect("op");
                })
            }),
        ),
        (
            "is_access_admin",
            Box::new(|db| {
                Box::pin(async move {
                    assert!(reads::is_access_admin(&db, DEV_USER).await.expect("op"));
                })
            }),
        ),
    ]
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

async fn measure(db: &Db, label: &str) {
    println!("\n{label}");
    println!(
        "  {:<48} {:>10} {:>10} {:>8}",
        "operation", "median ms", "p99 ms", "queries"
    );
    for (name, op) in ops() {
        // Warm up, then sample for ~0.4 s (at least 15 runs).
        op(db.clone()).await;
        let q0 = db.queries_run();
        op(db.clone()).await;
        let queries = db.queries_run() - q0;
        let mut samples = Vec::new();
        let started = Instant::now();
        while samples.len() < 15
            || (started.elapsed() < Duration::from_millis(400) && samples.len() < 2000)
        {
            let t = Instant::now();
            op(db.clone()).await;
            samples.push(t.elapsed());
        }
        let (m, p) = stats(samples);
        println!("  {name:<48} {m:>10.3} {p:>10.3} {queries:>8}");
    }
}

async fn with_and_without_indexes(db: &Db, engine: &str) {
    measure(db, &format!("{engine}: Access's schema as it is")).await;
    for sql in INDEXES {
        db.execute(&Query::new(*sql)).await.expect("create index");
    }
    if let access::db::Pool::Postgres(_) = db.pool {
        db.execute(&Query::new("ANALYZE")).await.expect("analyze");
    }
    measure(
        db,
        &format!("{engine}: with the two okta_user_group_member indexes upstream added later"),
    )
    .await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("large.db");
    let started = Instant::now();
    demo::create(
        &format!("sqlite:///{}", path.display()),
        demo::Contents::Large,
        &DirectoryConfig::default(),
    )
    .await
    .expect("generate on SQLite");
    println!(
        "generated the large organisation on SQLite in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cfg = DatabaseConfig {
        database_uri: Some(format!("sqlite:///{}", path.display())),
        demo_db: "unused".into(),
        max_connections: 4,
        sqlite_inline_reads: true,
    };
    let sqlite = Db::connect(&cfg, &DirectoryConfig::default())
        .await
        .expect("open");
    with_and_without_indexes(&sqlite, "SQLite").await;

    let admin = std::env::var("DATABASE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into());
    let Ok(mut conn) =
        sqlx::postgres::PgConnection::connect(&admin.replacen("postgresql", "postgres", 1)).await
    else {
        println!("\nPostgreSQL: skipped (no server at {admin})");
        return;
    };
    let name = format!("access_mcp_scale_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create db");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    let started = Instant::now();
    demo::create(&url, demo::Contents::Large, &DirectoryConfig::default())
        .await
        .expect("generate on PostgreSQL");
    println!(
        "\ngenerated the large organisation on PostgreSQL in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cfg = DatabaseConfig {
        database_uri: Some(url),
        demo_db: "unused".into(),
        max_connections: 4,
        sqlite_inline_reads: true,
    };
    let pg = Db::connect(&cfg, &DirectoryConfig::default())
        .await
        .expect("open");
    pg.execute(&Query::new("ANALYZE")).await.expect("analyze");
    with_and_without_indexes(&pg, "PostgreSQL").await;
    if let access::db::Pool::Postgres(p) = &pg.pool {
        p.close().await;
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .ok();
}
