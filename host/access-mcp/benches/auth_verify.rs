//! The added latency of token verification per request, measured (not a timed
//! test): run with `cargo bench -p access-mcp --bench auth_verify`.
//!
//! A real IdP on 127.0.0.1 (RSA-2048 and P-256 keys, JWKS, discovery), the
//! host's `Authenticator` on the demo database. Baseline in the same run: the
//! dev provider, which does the same user lookup without any JWT work.

use std::time::{Duration, Instant};

use access::config::{DatabaseConfig, DirectoryConfig};
use access::db::Db;
use access::users::AccessUsers;
use mcp_host::auth::directory::UserDirectory;
use mcp_host::auth::{AuthConfig, Authenticator, Outcome};
use std::sync::Arc;

/// Access's users, as the host asks them who a verified email is.
fn users(db: &Db) -> Arc<dyn UserDirectory> {
    Arc::new(AccessUsers::new(db.clone()))
}
use access_mcp_e2e::idp::{Idp, SigningKey, now};
use serde_json::json;

const N: usize = 20_000;

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

async fn run(auth: &Authenticator, headers: &http::HeaderMap) -> Vec<Duration> {
    for _ in 0..500 {
        assert!(matches!(
            auth.authenticate(headers).await,
            Ok(Outcome::Authenticated(_))
        ));
    }
    let mut out = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        let o = auth.authenticate(headers).await;
        out.push(t.elapsed());
        debug_assert!(matches!(o, Ok(Outcome::Authenticated(_))));
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rsa = SigningKey::rsa("rsa");
    let ec = SigningKey::ec("ec");
    let idp = Idp::start(&[&rsa, &ec]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db_cfg = DatabaseConfig {
        database_uri: None,
        demo_db: dir.path().join("demo.db"),
        max_connections: 4,
        sqlite_inline_reads: true,
    };
    let db = Db::connect(&db_cfg, &DirectoryConfig::default())
        .await
        .expect("demo db");

    // Every request verified in full (identity cache off), and as served by default.
    let uncached = AuthConfig {
        identity_cache_secs: 0,
        ..AuthConfig::default()
    };
    let dev = Authenticator::new(&uncached, users(&db), access::scopes::ALL).expect("dev");
    let oidc_cfg = AuthConfig {
        env: "production".into(),
        oidc_server_metadata_url: Some(idp.metadata_url()),
        oidc_mcp_audience: Some("access-mcp".into()),
        ..uncached.clone()
    };
    let oidc = Authenticator::new(&oidc_cfg, users(&db), access::scopes::ALL).expect("oidc");
    let cached = Authenticator::new(
        &AuthConfig {
            identity_cache_secs: 30,
            ..oidc_cfg.clone()
        },
        users(&db),
        access::scopes::ALL,
    )
    .expect("cached");
    let claims = json!({"iss": idp.issuer, "aud": "access-mcp", "email": "olivia.brooks@example.com", "exp": now() + 3600});
    let header = |token: String| {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
        h
    };
    let rs = header(rsa.sign(&claims));
    let es = header(ec.sign(&claims));

    let (bm, bp) = stats(run(&dev, &http::HeaderMap::new()).await);
    let (rm, rp) = stats(run(&oidc, &rs).await);
    let (em, ep) = stats(run(&oidc, &es).await);
    let (cm, cp) = stats(run(&cached, &rs).await);
    println!(
        "token verification per request ({N} requests each, JWKS cached, demo SQLite, identity cache off)"
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "dev provider (user lookup only, baseline)", bm, bp
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "OIDC bearer, RS256 (RSA-2048)", rm, rp
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "OIDC bearer, ES256 (P-256)", em, ep
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "added by verification, RS256",
        rm - bm,
        rp - bp
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "added by verification, ES256",
        em - bm,
        ep - bp
    );
    println!(
        "  {:<46} median {:>7.1} µs   p99 {:>7.1} µs",
        "same RS256 token again, identity cache on (default)", cm, cp
    );
    println!("  JWKS fetches during the run: {}", idp.jwks_fetches());
}
