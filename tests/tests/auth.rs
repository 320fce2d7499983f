//! Authentication and the HTTP security surface, against a real IdP on
//! 127.0.0.1 (real RSA and EC keys, a real JWKS and discovery document) and the
//! real binary. Includes the over-the-wire form of upstream test_mcp.py rows
//! 3–19 and 32–34 (rows 1, 2, 20 and 31 concern ENABLE_MCP, which access-mcp
//! does not have: /mcp and the metadata are always served).

use std::time::Duration;

use access_mcp_e2e::idp::{Idp, SigningKey, hs256_with_public_key, now, tampered, unsigned};
use access_mcp_e2e::{PluginDir, Server, ServerOptions, parse_body};
use serde_json::{Value, json};

const AUD: &str = "access-mcp";
const WUMPUS_ID: &str = "00uwumpus000000000001";
const OLIVIA: &str = "olivia.brooks@example.com";
const OLIVIA_ID: &str = "00uqxu6x0VClfJJmv8Nv";
const DELETED: &str = "kevin.marsh@example.com";

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        parse_body(&self.body)
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn start(plugins: &PluginDir, pairs: &[(&str, &str)]) -> Server {
    Server::start_with(ServerOptions {
        plugins: plugins.path(),
        env: env(pairs),
    })
}

fn oidc(idp: &Idp, plugins: &PluginDir, extra: &[(&str, &str)]) -> Server {
    let url = idp.metadata_url();
    let mut pairs = vec![
        ("ENV", "production"),
        ("OIDC_SERVER_METADATA_URL", url.as_str()),
        ("OIDC_MCP_AUDIENCE", AUD),
    ];
    pairs.extend_from_slice(extra);
    start(plugins, &pairs)
}

fn claims(idp: &Idp, email: &str, scope: Option<&str>) -> Value {
    let mut c = json!({"iss": idp.issuer, "aud": AUD, "email": email, "exp": now() + 600, "iat": now(), "sub": email});
    if let Some(s) = scope {
        c["scope"] = json!(s);
    }
    c
}

fn post(server: &Server, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut req = reqwest::blocking::Client::new()
        .post(&server.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.body(body.to_string()).send().expect("POST /mcp");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Reply {
        status,
        headers,
        body: r.text().unwrap_or_default(),
    }
}

fn call(name: &str, args: Value) -> Value {
    json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name": name, "arguments": args}})
}

fn with_token(server: &Server, token: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {token}");
    post(server, &[("Authorization", auth.as_str())], body)
}

fn whoami(server: &Server, token: &str) -> String {
    let r = with_token(
        server,
        token,
        &call("get_user", json!({"user_id_or_email": "@me"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["result"]["structuredContent"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn tool_text(r: &Reply) -> String {
    r.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_valid_oidc_token_binds_its_user_and_every_bad_token_is_401() {
    let rsa = SigningKey::rsa("rsa-1");
    let ec = SigningKey::ec("ec-1");
    let idp = Idp::start(&[&rsa, &ec]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc(&idp, &plugins, &[("MCP_AUTH_FAILURE_LIMIT", "")]);

    // Row 16: a valid token resolves that user with the scopes it carries.
    let good = rsa.sign(&claims(&idp, OLIVIA, Some("read_all create_requests")));
    assert_eq!(whoami(&server, &good), OLIVIA_ID);
    // Case-insensitive email lookup; an EC (ES256) key works too.
    assert_eq!(
        whoami(
            &server,
            &ec.sign(&claims(&idp, "Olivia.Brooks@EXAMPLE.com", None))
        ),
        OLIVIA_ID
    );

    let c = claims(&idp, OLIVIA, None);
    let mut expired = c.clone();
    expired["exp"] = json!(now() - 3600);
    let mut not_yet = c.clone();
    not_yet["nbf"] = json!(now() + 3600);
    let mut wrong_aud = c.clone();
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = c.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    let mut no_exp = c.clone();
    no_exp.as_object_mut().expect("object").remove("exp");
    let mut admin = c.clone();
    admin["email"] = json!("wumpus@discord.com");
    let mut huge = c.clone();
    huge["padding"] = json!("x".repeat(10_000));
    let attacks: Vec<(&str, String)> = vec![
        ("alg none", unsigned(&c, "rsa-1")),
        (
            "HS256 signed with the public key",
            hs256_with_public_key(&c, &rsa),
        ),
        ("expired", rsa.sign(&expired)),
        ("not yet valid", rsa.sign(&not_yet)),
        ("wrong aud", rsa.sign(&wrong_aud)),
        ("wrong iss", rsa.sign(&wrong_iss)),
        ("no exp", rsa.sign(&no_exp)),
        ("unknown kid", rsa.sign_with_kid(&c, "nobody")),
        ("tampered payload", tampered(&good, &admin)),
        (
            "unknown email",
            rsa.sign(&claims(&idp, "nobody@example.com", None)),
        ),
        ("deleted user", rsa.sign(&claims(&idp, DELETED, None))),
        ("oversized", rsa.sign(&huge)),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (name, token) in attacks {
        let r = with_token(&server, &token, &call("list_groups", json!({})));
        assert_eq!(r.status, 401, "{name}: {}", r.body);
    }
    // Row 15: no bearer, or another scheme, is 401.
    assert_eq!(
        post(&server, &[], &call("list_groups", json!({}))).status,
        401
    );
    assert_eq!(
        post(
            &server,
            &[("Authorization", "Basic abc")],
            &call("list_groups", json!({}))
        )
        .status,
        401
    );
    // Still serving, no panic.
    assert_eq!(whoami(&server, &good), OLIVIA_ID);
}

#[test]
fn key_rotation_is_picked_up_and_random_kids_do_not_hammer_the_idp() {
    let old = SigningKey::rsa("old");
    let idp = Idp::start(&[&old]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc(
        &idp,
        &plugins,
        &[
            ("ACCESS_MCP_JWKS_MIN_REFETCH_SECS", "2"),
            ("MCP_AUTH_FAILURE_LIMIT", ""),
        ],
    );
    let c = claims(&idp, OLIVIA, None);
    assert_eq!(whoami(&server, &old.sign(&c)), OLIVIA_ID);
    let fetched = idp.jwks_fetches();
    // A flood of unknown kids: at most one refetch in the interval.
    for i in 0..25 {
        let r = with_token(
            &server,
            &old.sign_with_kid(&c, &format!("random-{i}")),
            &call("list_groups", json!({})),
        );
        assert_eq!(r.status, 401);
    }
    assert!(
        idp.jwks_fetches() - fetched <= 1,
        "{} refetches for 25 unknown kids",
        idp.jwks_fetches() - fetched
    );
    // Rotation: a new key appears in the JWKS and is accepted (after the interval).
    let new = SigningKey::rsa("new");
    idp.add_key(&new);
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(whoami(&server, &new.sign(&c)), OLIVIA_ID);
    assert_eq!(
        whoami(&server, &old.sign(&c)),
        OLIVIA_ID,
        "the old key still works while published"
    );
}

#[test]
fn scopes_attenuate_and_fall_back() {
    let rsa = SigningKey::rsa("k");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc(
        &idp,
        &plugins,
        &[
            ("MCP_FALLBACK_SCOPES", "read_all"),
            ("MCP_ALLOWED_HOSTS", "127.0.0.1:*"),
        ],
    );
    // Row 6: without read_all a read tool answers the scope error; with it, results.
    let no_read = rsa.sign(&claims(&idp, OLIVIA, Some("create_requests")));
    let r = with_token(&server, &no_read, &call("list_groups", json!({})));
    assert_eq!(r.json()["result"]["isError"], true, "{}", r.body);
    assert_eq!(
        r.json()["result"]["structuredContent"],
        json!({"error": "This tool requires the 'read_all' scope; the active token does not carry it."})
    );
    let reader = rsa.sign(&claims(&idp, OLIVIA, Some("read_all")));
    let r = with_token(&server, &reader, &call("list_groups", json!({"size": 2})));
    assert!(
        r.json()["result"]["structuredContent"]["results"].is_array(),
        "{}",
        r.body
    );
    // Rows 7 and 25: with only read_all, the write tools answer the create_requests error.
    for (tool, args) in [
        (
            "create_access_request",
            json!({"group_id": "00gVlPE2eVMAQINp4Bdv"}),
        ),
        (
            "create_role_request",
            json!({"role_id": "00gXEOWnQT1k2VQlWAy0", "group_id": "00gVlPE2eVMAQINp4Bdv"}),
        ),
        (
            "create_group_request",
            json!({"group_name": "Newgrp", "group_type": "okta_group"}),
        ),
    ] {
        let r = with_token(&server, &reader, &call(tool, args));
        assert_eq!(r.json()["result"]["isError"], true, "{tool}: {}", r.body);
        assert!(
            tool_text(&r).contains("create_requests"),
            "{tool}: {}",
            r.body
        );
    }
    // Row 11 / quirk 11: unrelated scopes replace the fallback, so every tool is denied.
    let unrelated = rsa.sign(&claims(&idp, OLIVIA, Some("openid email")));
    let r = with_token(&server, &unrelated, &call("list_groups", json!({})));
    assert!(tool_text(&r).contains("read_all"), "{}", r.body);
    // No claim: the fallback (read_all here) applies.
    let plain = rsa.sign(&claims(&idp, OLIVIA, None));
    let r = with_token(&server, &plain, &call("list_groups", json!({"size": 1})));
    assert_eq!(r.json()["result"]["isError"], false, "{}", r.body);
    // Protocol 2026-07-28: a missing scope is the insufficient_scope challenge.
    let auth = format!("Bearer {no_read}");
    let body = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_groups","arguments":{},
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}});
    let r = post(
        &server,
        &[
            ("Authorization", auth.as_str()),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "list_groups"),
        ],
        &body,
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let challenge = r.headers["www-authenticate"].to_str().expect("header");
    assert!(
        challenge.starts_with(
            "Bearer error=\"insufficient_scope\", scope=\"read_all\", resource_metadata=\""
        ),
        "{challenge}"
    );
}

#[test]
fn empty_fallback_fails_closed() {
    let rsa = SigningKey::rsa("k");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc(&idp, &plugins, &[("MCP_FALLBACK_SCOPES", "")]);
    // Row 10: the identity is still returned, with no scopes.
    let r = with_token(
        &server,
        &rsa.sign(&claims(&idp, OLIVIA, None)),
        &call("list_groups", json!({})),
    );
    assert_eq!(r.status, 200);
    assert!(tool_text(&r).contains("read_all"), "{}", r.body);
}

#[test]
fn cloudflare_access_tokens_and_their_fallback_scopes() {
    let rsa = SigningKey::rsa("cf");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    let team = idp.team_domain();
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            ("CLOUDFLARE_TEAM_DOMAIN", team.as_str()),
            ("CLOUDFLARE_APPLICATION_AUDIENCE", "cf-aud"),
            ("MCP_FALLBACK_SCOPES", "read_all"),
        ],
    );
    let c = json!({"iss": idp.base, "aud": "cf-aud", "email": OLIVIA, "exp": now() + 600});
    let token = rsa.sign(&c);
    // Row 8: the cf-access-jwt-assertion header, fallback read_all.
    let r = post(
        &server,
        &[("cf-access-jwt-assertion", token.as_str())],
        &call("list_groups", json!({"size": 1})),
    );
    assert_eq!(r.json()["result"]["isError"], false, "{}", r.body);
    let r = post(
        &server,
        &[("cf-access-token", token.as_str())],
        &call("get_user", json!({"user_id_or_email": "@me"})),
    );
    assert_eq!(r.json()["result"]["structuredContent"]["id"], OLIVIA_ID);
    // The bearer header works too; a wrong audience does not.
    let r = with_token(&server, &token, &call("list_groups", json!({"size": 1})));
    assert_eq!(r.status, 200);
    let bad =
        rsa.sign(&json!({"iss": idp.base, "aud": "other", "email": OLIVIA, "exp": now() + 600}));
    assert_eq!(
        post(
            &server,
            &[("cf-access-jwt-assertion", bad.as_str())],
            &call("list_groups", json!({}))
        )
        .status,
        401
    );
    // Service tokens (no email) are not accepted on /mcp.
    let service = rsa
        .sign(&json!({"iss": idp.base, "aud": "cf-aud", "common_name": "svc", "exp": now() + 600}));
    assert_eq!(
        post(
            &server,
            &[("cf-access-jwt-assertion", service.as_str())],
            &call("list_groups", json!({}))
        )
        .status,
        401
    );
}

#[test]
fn dev_identity_rules() {
    let rsa = SigningKey::rsa("k");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    // Rows 5 and 12: in development the dev provider wins, whatever token is sent.
    let url = idp.metadata_url();
    let server = start(
        &plugins,
        &[
            ("ENV", "development"),
            ("OIDC_SERVER_METADATA_URL", url.as_str()),
            ("OIDC_MCP_AUDIENCE", AUD),
        ],
    );
    let token = rsa.sign(&claims(&idp, OLIVIA, None));
    assert_eq!(whoami(&server, &token), WUMPUS_ID);
    drop(server);
    // Row 13: outside development and test it defers (and with no provider: 401). Row 3.
    let server = start(&plugins, &[("ENV", "production")]);
    let r = post(&server, &[], &json!({}));
    assert_eq!(r.status, 401);
    assert!(
        r.headers["www-authenticate"]
            .to_str()
            .expect("h")
            .starts_with("Bearer ")
    );
    // Row 4: an authenticated initialize proceeds past the middleware.
    drop(server);
    let server = start(&plugins, &[("ENV", "test")]);
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    assert_eq!(post(&server, &[], &init).status, 200);
}

fn start_fails(pairs: &[(&str, &str)]) -> String {
    let plugins = PluginDir::with_built_plugins();
    access_mcp_e2e::start_fails(plugins.path(), pairs)
}

#[test]
fn startup_validation_fails_closed() {
    // Row 18 and 19.
    let e = start_fails(&[
        ("ENV", "production"),
        ("CLOUDFLARE_TEAM_DOMAIN", "team.example.com"),
        (
            "OIDC_SERVER_METADATA_URL",
            "https://idp.example/.well-known/openid-configuration",
        ),
        ("OIDC_MCP_AUDIENCE", "a"),
    ]);
    assert!(e.contains("pick one auth model for /mcp"), "{e}");
    let e = start_fails(&[
        ("ENV", "production"),
        (
            "OIDC_SERVER_METADATA_URL",
            "https://idp.example/.well-known/openid-configuration",
        ),
    ]);
    assert!(e.contains("OIDC_MCP_AUDIENCE"), "{e}");
    let e = start_fails(&[
        ("ENV", "production"),
        (
            "OIDC_SERVER_METADATA_URL",
            "http://idp.example/.well-known/openid-configuration",
        ),
        ("OIDC_MCP_AUDIENCE", "a"),
    ]);
    assert!(e.contains("must use https"), "{e}");
    let e = start_fails(&[("ENV", "development"), ("ACCESS_MCP_LISTEN", "0.0.0.0:0")]);
    assert!(e.contains("not a loopback address"), "{e}");
}

#[test]
fn protected_resource_metadata_and_the_401_pointer() {
    let plugins = PluginDir::with_built_plugins();
    // Row 32: both paths, public, with the issuer derived from the metadata
    // URL; the resource from the Host, which must be one the operator allowed.
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            (
                "OIDC_SERVER_METADATA_URL",
                "https://idp.example/.well-known/openid-configuration",
            ),
            ("OIDC_MCP_AUDIENCE", AUD),
            ("MCP_ALLOWED_HOSTS", "127.0.0.1:*"),
        ],
    );
    let base = server.url.trim_end_matches("/mcp").to_string();
    let host = base.trim_start_matches("http://");
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let v: Value = reqwest::blocking::get(format!("{base}{path}"))
            .expect("GET")
            .json()
            .expect("json");
        assert_eq!(v["resource"], format!("http://{host}/mcp"));
        assert_eq!(v["authorization_servers"], json!(["https://idp.example"]));
        assert_eq!(
            v["scopes_supported"],
            json!(["create_requests", "read_all"])
        );
        assert_eq!(v["bearer_methods_supported"], json!(["header"]));
    }
    assert_eq!(post(&server, &[], &json!({})).status, 401);
    drop(server);
    // Rows 33 and 34: MCP_RESOURCE_URL (trailing slash trimmed) and the CF domain.
    let server = start(
        &plugins,
        &[
            ("ENV", "production"),
            ("MCP_RESOURCE_URL", "https://access.example.com/mcp/"),
            (
                "CLOUDFLARE_TEAM_DOMAIN",
                "https://team.cloudflareaccess.com",
            ),
            ("CLOUDFLARE_APPLICATION_AUDIENCE", "cf-aud"),
        ],
    );
    let base = server.url.trim_end_matches("/mcp").to_string();
    let v: Value = reqwest::blocking::get(format!("{base}/.well-known/oauth-protected-resource"))
        .expect("GET")
        .json()
        .expect("json");
    assert_eq!(v["resource"], "https://access.example.com/mcp");
    assert_eq!(
        v["authorization_servers"],
        json!(["https://team.cloudflareaccess.com"])
    );
    let r = post(&server, &[], &json!({}));
    assert_eq!(r.status, 401);
    let challenge = r.headers["www-authenticate"].to_str().expect("h");
    assert!(challenge.contains(r#"resource_metadata="https://access.example.com/.well-known/oauth-protected-resource/mcp""#), "{challenge}");
    assert_eq!(r.json(), json!({"message": "Unauthorized"}));
}

#[test]
fn host_and_origin_checks() {
    let plugins = PluginDir::with_built_plugins();
    let list = call("list_groups", json!({"size": 1}));
    // Dev identity with empty MCP_ALLOWED_HOSTS: loopback names only, Origins refused unless listed.
    let server = start(&plugins, &[("MCP_ALLOWED_ORIGINS", "http://localhost:*")]);
    assert_eq!(post(&server, &[], &list).status, 200);
    assert_eq!(
        post(&server, &[("Host", "attacker.example:8787")], &list).status,
        421
    );
    assert_eq!(
        post(&server, &[("Origin", "http://attacker.example")], &list).status,
        403
    );
    assert_eq!(
        post(&server, &[("Origin", "http://localhost:3000")], &list).status,
        200
    );
    drop(server);
    // MCP_ALLOWED_HOSTS set: 421 on any other Host; an Origin is refused unless listed.
    let server = start(
        &plugins,
        &[("MCP_ALLOWED_HOSTS", "access.example.com,127.0.0.1:*")],
    );
    assert_eq!(post(&server, &[], &list).status, 200);
    assert_eq!(
        post(&server, &[("Host", "access.example.com")], &list).status,
        200
    );
    assert_eq!(
        post(&server, &[("Host", "other.example.com")], &list).status,
        421
    );
    assert_eq!(
        post(&server, &[("Origin", "https://access.example.com")], &list).status,
        403
    );
}

#[test]
fn rate_limits_per_user_and_failed_auth_per_ip() {
    let rsa = SigningKey::rsa("k");
    let idp = Idp::start(&[&rsa]);
    let plugins = PluginDir::with_built_plugins();
    let server = oidc(
        &idp,
        &plugins,
        &[
            ("MCP_RATE_LIMIT", "3/min"),
            ("MCP_AUTH_FAILURE_LIMIT", "3/min"),
        ],
    );
    let olivia = rsa.sign(&claims(&idp, OLIVIA, None));
    let wumpus = rsa.sign(&claims(&idp, "wumpus@discord.com", None));
    let list = call("list_groups", json!({"size": 1}));
    for _ in 0..3 {
        assert_eq!(with_token(&server, &olivia, &list).status, 200);
    }
    let r = with_token(&server, &olivia, &list);
    assert_eq!(r.status, 429);
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .expect("h")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        with_token(&server, &wumpus, &list).status,
        200,
        "buckets are per user"
    );
    // Failed authentications from one IP: after the limit, 429 without touching the IdP.
    let bad = rsa.sign_with_kid(&claims(&idp, OLIVIA, None), "nope");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(with_token(&server, &bad, &list).status);
    }
    assert_eq!(&statuses[..3], &[401, 401, 401], "{statuses:?}");
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    let fetches = idp.jwks_fetches();
    assert_eq!(with_token(&server, &bad, &list).status, 429);
    assert_eq!(
        idp.jwks_fetches(),
        fetches,
        "a blocked IP causes no JWT work"
    );
}
