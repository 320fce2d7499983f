//! Test databases for the data-layer tests: each test gets a fresh SQLite file
//! (twice: reads in place, and reads through sqlx's pool) and, when PostgreSQL
//! is configured, a fresh PostgreSQL database, all created from Access's own
//! schema and loaded with the demo organisation.
//!
//! PostgreSQL comes from `DATABASE_TEST_POSTGRES` (an admin URL such as
//! `postgresql://postgres@127.0.0.1:5432/postgres`). Outside CI the PostgreSQL
//! half is skipped when it is unset; in CI (`CI` set) it must be set.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;

use access::config::{DatabaseConfig, DirectoryConfig};
use access::db::{Db, demo};
use mcp_host::caller::Caller;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

pub const WUMPUS: &str = "00uwumpus000000000001";
pub const ENGINEERING: &str = "00gVlPE2eVMAQINp4Bdv";
pub const EVERYONE_UNMANAGED: &str = "00gPTEBj52PME8lpePjr";
pub const ROLE_BACKEND: &str = "00gXEOWnQT1k2VQlWAy0";

pub struct TestDb {
    pub db: Db,
    pub engine: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Drop the PostgreSQL database (the SQLite file goes with its folder).
    pub async fn cleanup(self) {
        if let Some((admin, name)) = &self.pg {
            if let access::db::Pool::Postgres(p) = &self.db.pool {
                p.close().await;
            }
            if let Ok(mut c) = PgConnection::connect(admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
        }
    }

    /// The admin URL and database name, for tests that manipulate the server.
    pub fn postgres(&self) -> Option<&(String, String)> {
        self.pg.as_ref()
    }
}

pub fn directory() -> DirectoryConfig {
    DirectoryConfig::default()
}

pub async fn sqlite() -> TestDb {
    sqlite_with(true).await
}

/// The demo on SQLite; `inline_reads: false` reads through sqlx's pool.
pub async fn sqlite_with(inline_reads: bool) -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = DatabaseConfig {
        database_uri: None,
        demo_db: dir.path().join("access.db"),
        max_connections: 4,
        sqlite_inline_reads: inline_reads,
    };
    let db = Db::connect(&cfg, &directory())
        .await
        .expect("demo SQLite database");
    TestDb {
        db,
        engine: if inline_reads {
            "sqlite"
        } else {
            "sqlite (reads through sqlx)"
        },
        _dir: Some(dir),
        pg: None,
    }
}

pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("DATABASE_TEST_POSTGRES") {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set DATABASE_TEST_POSTGRES: every data-layer test runs on PostgreSQL too"
            );
            None
        }
    }
}

/// `postgresql://…/postgres` with the database name replaced.
pub fn with_database(admin: &str, name: &str) -> String {
    let base = admin.split('?').next().unwrap_or(admin);
    let cut = base.rfind('/').unwrap_or(base.len());
    format!("{}/{name}", &base[..cut])
}

pub async fn postgres() -> Option<TestDb> {
    let admin = postgres_admin_url()?;
    let name = format!("access_mcp_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut c = PgConnection::connect(&admin)
        .await
        .expect("connect to DATABASE_TEST_POSTGRES");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create test database");
    c.close().await.ok();
    let url = with_database(&admin, &name);
    demo::create_postgres_schema(&url)
        .await
        .expect("Access schema on PostgreSQL");
    let cfg = DatabaseConfig {
        database_uri: Some(url),
        demo_db: "unused.db".into(),
        max_connections: 4,
        sqlite_inline_reads: true,
    };
    let db = Db::connect(&cfg, &directory())
        .await
        .expect("connect test database");
    let source = sqlite().await;
    demo::copy_sqlite_to_postgres(&source.db, &db)
        .await
        .expect("copy demo rows");
    Some(TestDb {
        db,
        engine: "postgresql",
        _dir: None,
        pg: Some((admin, name)),
    })
}

/// Run `f` on a fresh SQLite database and, when configured, a fresh PostgreSQL one.
pub async fn on_both<F, Fut>(f: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = TestDb>,
{
    for inline_reads in [true, false] {
        let s = f(sqlite_with(inline_reads).await).await;
        s.cleanup().await;
    }
    match postgres().await {
        Some(p) => {
            let p = f(p).await;
            p.cleanup().await;
        }
        None => eprintln!("PostgreSQL half skipped: DATABASE_TEST_POSTGRES is unset"),
    }
}

pub fn wumpus() -> Arc<Caller> {
    Arc::new(Caller {
        user_id: WUMPUS.into(),
        email: "wumpus@discord.com".into(),
        scopes: access::scopes::ALL.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
    })
}

pub fn caller(id: &str, scopes: &[&str]) -> Arc<Caller> {
    Arc::new(Caller {
        user_id: id.into(),
        email: String::new(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
    })
}
