//! Fuzzing JWT headers and claims through each token provider (#21): OIDC
//! bearer tokens and Cloudflare Access assertions, against a real IdP on
//! loopback. Tokens are drawn from random bytes with `arbitrary`'s
//! `Unstructured`: claims mutated from a valid set (keys dropped, values
//! replaced by any JSON, times moved), then signed by the trusted key, signed
//! with an unknown `kid`, unsigned (`alg: none`), HMAC'd with the public key,
//! given another token's signature, garbled or random.
//!
//! A failure is a 5xx, the server gone, a panic in its log, or any token not
//! signed by the trusted key being accepted. Runs `ACCESS_MCP_FUZZ_SECS`
//! (15 per provider in the suite).

use std::time::{Duration, Instant};

use access_mcp_e2e::fuzz::{self, json};
use access_mcp_e2e::idp::{Idp, SigningKey, hs256_with_public_key, now, tampered, unsigned};
use access_mcp_e2e::{PluginDir, Server, ServerOptions};
use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::{Value, json};

const AUD: &str = "access-mcp";
const EMAILS: &[&str] = &[
    "olivia.brooks@example.com",
    "wumpus@discord.com",
    "kevin.marsh@example.com",
    "nobody@example.com",
];

/// Valid claims for `issuer`, then mutated.
fn claims(u: &mut Unstructured, issuer: &str, aud: &str) -> arbitrary::Result<Value> {
    let email = EMAILS[usize::from(u8::arbitrary(u)?) % EMAILS.len()];
    let mut c = json!({"iss": issuer, "aud": aud, "email": email, "sub": email,
                       "exp": now() + 600, "iat": now()});
    for _ in 0..u.int_in_range(0..=4)? {
        let key = [
            "iss", "aud", "email", "sub", "exp", "iat", "nbf", "scope", "scp", "x",
        ][usize::from(u8::arbitrary(u)?) % 10];
        match u.int_in_range(0..=3)? {
            0 => {
                c.as_object_mut().map(|m| m.remove(key));
            }
            1 => c[key] = json(u, 0, 3)?,
            2 => c[key] = json!(now() as i64 + i64::from(i32::arbitrary(u)?)),
            _ => c[key] = json!(format!("{}x", c[key].as_str().unwrap_or_default())),
        }
    }
    Ok(c)
}

/// A token, and whether the trusted key signed it (only those may pass).
fn token(
    u: &mut Unstructured,
    key: &SigningKey,
    issuer: &str,
    aud: &str,
) -> arbitrary::Result<(String, bool)> {
    let c = claims(u, issuer, aud)?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Ok(match u.int_in_range(0..=7)? {
        0 | 1 => (key.sign(&c), true),
        2 => (key.sign_with_kid(&c, "not-a-known-kid"), false),
        3 => (unsigned(&c, &key.kid), false),
        4 => (hs256_with_public_key(&c, key), false),
        5 => {
            let other = claims(u, issuer, aud)?;
            let t = tampered(&key.sign(&other), &c);
            // The same claims re-encoded may equal the signed ones.
            (t, c == other)
        }
        6 => {
            let mut t = key.sign(&c).into_bytes();
            if !t.is_empty() {
                let at = usize::from(u16::arbitrary(u)?) % t.len();
                t[at] = u8::arbitrary(u)?;
            }
            let cut = usize::from(u16::arbitrary(u)?) % (t.len() + 1);
            t.truncate(cut.max(t.len() / 2));
            (String::from_utf8_lossy(&t).into_owned(), false)
        }
        _ => {
            let parts: Vec<String> = (0..u.int_in_range(1..=4)?)
                .map(|_| -> arbitrary::Result<String> {
                    let n = u.int_in_range(0..=64)?;
                    Ok(b64.encode(u.bytes(n)?))
                })
                .collect::<Result<_, _>>()?;
            (parts.join("."), false)
        }
    })
}

fn fuzz(server: &Server, header: &str, key: &SigningKey, issuer: &str, aud: &str) -> String {
    let (secs, seed) = (fuzz::secs(15), fuzz::seed());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "get_user", "arguments": {"user_id_or_email": "@me"}}})
    .to_string();
    let until = Instant::now() + Duration::from_secs(secs);
    let (mut sent, mut accepted, mut statuses) = (0u64, 0u64, std::collections::BTreeMap::new());
    while Instant::now() < until {
        let mut bytes = vec![0u8; rng.gen_range(16..512)];
        rng.fill_bytes(&mut bytes);
        let Ok((token, genuine)) = token(&mut Unstructured::new(&bytes), key, issuer, aud) else {
            continue;
        };
        let value = if header == "Authorization" {
            format!("Bearer {token}")
        } else {
            token.clone()
        };
        if reqwest::header::HeaderValue::from_str(&value).is_err() {
            continue;
        }
        let r = http
            .post(&server.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header(header, &value)
            .body(body.clone())
            .send()
            .unwrap_or_else(|e| panic!("seed {seed}: no answer (the server is gone?): {e}"));
        let status = r.status().as_u16();
        *statuses.entry(status).or_insert(0u64) += 1;
        sent += 1;
        assert!(status < 500, "seed {seed}: HTTP {status} for {token}");
        if status == 200 {
            accepted += 1;
            assert!(
                genuine,
                "seed {seed}: a token the trusted key did not sign was accepted: {token}"
            );
        }
    }
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
    format!(
        "{header}: seed {seed}, {sent} tokens in {secs} s, {accepted} accepted (all signed by the trusted key), answers by status {statuses:?}"
    )
}

fn start(pairs: &[(&str, &str)]) -> (Server, PluginDir) {
    let plugins = PluginDir::with_built_plugins();
    let server = Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    });
    (server, plugins)
}

#[test]
fn oidc_and_cloudflare_tokens_survive_arbitrary_headers_and_claims() {
    let key = SigningKey::rsa("fuzz");
    let idp = Idp::start(&[&key]);
    let metadata = idp.metadata_url();
    let (oidc, _p1) = start(&[
        ("ENV", "production"),
        ("OIDC_SERVER_METADATA_URL", metadata.as_str()),
        ("OIDC_MCP_AUDIENCE", AUD),
        ("ACCESS_MCP_REQUIRE_SIGNED", "false"),
        // Every bad token should reach the verifier, not the failure limiter.
        ("MCP_AUTH_FAILURE_LIMIT", "100000000/min"),
    ]);
    let report = fuzz(&oidc, "Authorization", &key, &idp.issuer, AUD);
    eprintln!("fuzz tokens, OIDC {report}");
    let team = idp.team_domain();
    let (cf, _p2) = start(&[
        ("ENV", "production"),
        ("CLOUDFLARE_TEAM_DOMAIN", team.as_str()),
        ("CLOUDFLARE_APPLICATION_AUDIENCE", "cf-aud"),
        ("ACCESS_MCP_REQUIRE_SIGNED", "false"),
        ("MCP_AUTH_FAILURE_LIMIT", "100000000/min"),
    ]);
    let report = fuzz(&cf, "cf-access-jwt-assertion", &key, &idp.base, "cf-aud");
    eprintln!("fuzz tokens, Cloudflare {report}");
}
