//! A throw-away PostgreSQL database for one test, on the server CI and this
//! machine run at 127.0.0.1:5432 (`DATABASE_TEST_POSTGRES` names another),
//! filled with Access's schema and the demo organisation by the real binary
//! (`access-mcp demo`), queried with `psql`, dropped on drop.

use std::process::Command;

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

pub fn psql(url: &str, sql: &str) -> Result<String, String> {
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
        crate::create_demo(&db.url);
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

/// A PostgreSQL cluster of one test's own (the real `initdb` and `pg_ctl`, on
/// a free loopback port, in a temporary folder), which the test may stop and
/// start again on the same port: the outage the shared server cannot give.
/// Run as `postgres` when the test runs as root (PostgreSQL refuses root).
pub struct PgCluster {
    pub port: u16,
    dir: tempfile::TempDir,
}

/// A PostgreSQL server program: on `PATH`, else in Debian's
/// `/usr/lib/postgresql/<version>/bin` (where the `postgresql` package puts
/// `initdb` and `pg_ctl`, off `PATH`), newest version first.
fn pg_program(name: &str) -> String {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()));
    if on_path {
        return name.to_string();
    }
    let mut versions: Vec<std::path::PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.is_file());
    versions.sort_by_key(|p| {
        p.components()
            .nth(4)
            .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .map_or_else(|| name.to_string(), |p| p.to_string_lossy().into_owned())
}

fn as_postgres(program: &str) -> Command {
    let program = pg_program(program);
    let program = program.as_str();
    // Whether this runs as root (`id -u`), which PostgreSQL refuses.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

impl PgCluster {
    pub fn start() -> PgCluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let _ = Command::new("chown")
            .args(["-R", "postgres", &dir.path().to_string_lossy()])
            .status();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let data = dir.path().join("data");
        let out = as_postgres("initdb")
            .args([
                "-D",
                &data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = PgCluster { port, dir };
        cluster.resume();
        psql(&cluster.url("postgres"), "CREATE DATABASE access").expect("create database");
        cluster
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> bool {
        let data = self.dir.path().join("data");
        as_postgres("pg_ctl")
            .args(["-D", &data.to_string_lossy(), "-w"])
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Start (again) on the same port.
    pub fn resume(&self) {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        assert!(
            self.pg_ctl(&["-o", &opts, "-l", &log.to_string_lossy(), "start"]),
            "pg_ctl start failed"
        );
    }

    /// Stop at once (`-m fast`: open connections are cut, as in a restart).
    pub fn stop(&self) {
        assert!(self.pg_ctl(&["-m", "fast", "stop"]), "pg_ctl stop failed");
    }

    /// One value from database `name`.
    pub fn scalar(&self, name: &str, sql: &str) -> i64 {
        psql(&self.url(name), sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .parse()
            .unwrap_or_else(|e| panic!("{sql}: not an integer: {e}"))
    }

    /// Text rows from database `name`.
    pub fn rows(&self, name: &str, sql: &str) -> Vec<String> {
        psql(&self.url(name), sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}
