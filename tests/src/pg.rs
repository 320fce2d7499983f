//! A throw-away PostgreSQL database for one test, on the server CI and this
//! machine run at 127.0.0.1:5432 (`DATABASE_TEST_POSTGRES` names another),
//! filled with Access's schema and the demo organisation by the real binary
//! (`access-mcp demo`), queried with `psql`, dropped on drop.

use std::process::Command;

use crate::binary;

/// The server's maintenance URL.
pub fn server_url() -> String {
    std::env::var("DATABASE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into())
}

pub struct TempDb {
    pub name: String,
    /// The database's URL, as `DATABASE_URI` takes it.
    pub url: String,
}

fn psql(url: &str, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-Atq", "-c", sql])
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

impl TempDb {
    /// A new database holding the demo organisation.
    pub fn with_demo() -> TempDb {
        let name = format!("access_mcp_e2e_{:016x}", rand::random::<u64>());
        let server = server_url();
        psql(&server, &format!("CREATE DATABASE {name}")).expect("create the test database");
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        let db = TempDb { name, url };
        let out = Command::new(binary())
            .args(["demo", "--database-uri", &db.url])
            .output()
            .expect("run access-mcp demo");
        assert!(
            out.status.success(),
            "access-mcp demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        db
    }

    /// One value (a count, say) from this database.
    pub fn scalar(&self, sql: &str) -> i64 {
        psql(&self.url, sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .parse()
            .unwrap_or_else(|e| panic!("{sql}: not an integer: {e}"))
    }

    /// Drop the database now, disconnecting whoever uses it.
    pub fn drop_now(&self) {
        let _ = psql(
            &server_url(),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.drop_now();
    }
}
