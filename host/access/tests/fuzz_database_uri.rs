//! Fuzzing `DATABASE_URI` parsing (#21): Access's URL forms mutated, and
//! random text, through `DatabaseUrl::parse` and, for PostgreSQL, sqlx's own
//! parser of the URL it is handed (what connecting parses first). A failure
//! is a panic, an accepted URL that breaks the rules (an in-memory or empty
//! SQLite path; a PostgreSQL URL sqlx is not given in its own scheme), or an
//! error message that repeats the password given in the URL's user-info.
//! Runs `ACCESS_MCP_FUZZ_SECS` (5 in the test suite).

use std::str::FromStr;

use access::db::url::DatabaseUrl;
use access_mcp_e2e::fuzz::text_inputs;
use sqlx::postgres::PgConnectOptions;

const PASSWORD: &str = "s3cr3t-pw";

const URIS: &[&str] = &[
    "sqlite:///access.db",
    "sqlite:////var/lib/access/access.db?mode=ro",
    "sqlite:/tmp/a.db",
    "postgresql://access:s3cr3t-pw@db.internal:5432/access",
    "postgresql+pg8000://access:s3cr3t-pw@127.0.0.1/access?sslmode=require",
    "postgresql+psycopg2://access:s3cr3t-pw@[::1]:5433/access?application_name=x&options=-c%20a%3Db",
    "postgres://access:s3cr3t-pw@/access?host=/var/run/postgresql",
];

const SPECIALS: &[&str] = &[
    ":",
    "/",
    "//",
    "///",
    "@",
    "?",
    "&",
    "=",
    "#",
    "%",
    "%zz",
    "%00",
    "[",
    "]",
    "+",
    "\u{0}",
    " ",
    "\n",
    ":memory:",
    "sqlite",
    "postgresql",
    "postgres",
    "mysql",
    "..",
    "65536",
    "-1",
    "sslmode=verify-full",
    "sslrootcert=",
    "host=",
    "port=x",
    "\u{202e}",
    "é",
];

/// Whether `input` carries the password where a URL's password goes: in the
/// user-info before the host (`scheme://user:password@host`). Elsewhere (say
/// as a malformed `sslmode` value) it is just text, which an error may quote.
fn holds_password(input: &str) -> bool {
    let Some((_, rest)) = input.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(PASSWORD))
}

#[test]
fn database_uris_parse_or_are_refused_without_repeating_the_password() {
    let runs = text_inputs(
        "DATABASE_URI",
        URIS,
        SPECIALS,
        |text| match DatabaseUrl::parse(text) {
            Ok(DatabaseUrl::Sqlite { path }) => {
                let p = path.to_string_lossy();
                assert!(
                    !p.is_empty() && p != ":memory:",
                    "accepted SQLite path {p:?}"
                );
            }
            Ok(DatabaseUrl::Postgres { url }) => {
                assert!(url.starts_with("postgres:"), "handed sqlx {url:?}");
                if let Err(e) = PgConnectOptions::from_str(&url) {
                    let shown = e.to_string();
                    assert!(
                        !(holds_password(text) && shown.contains(PASSWORD)),
                        "sqlx's error repeats the password: {shown}"
                    );
                }
            }
            Err(e) => {
                let shown = e.to_string();
                assert!(
                    !(holds_password(text) && shown.contains(PASSWORD)),
                    "the error repeats the password: {shown}"
                );
            }
        },
    );
    assert!(runs > 0);
}
