//! A real identity provider on 127.0.0.1 for the authentication tests: real
//! RSA and EC keys, a JWKS endpoint (whose contents a test can rotate, and
//! which counts its fetches), an OIDC discovery document, Cloudflare's certs
//! path, and properly signed tokens.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// One signing key with its JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
    /// The public key as PEM (for the "HS256 signed with the public key" attack).
    pub public_pem: String,
}

impl SigningKey {
    pub fn rsa(kid: &str) -> SigningKey {
        let mut rng = rand::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key");
        let public = private.to_public_key();
        let pem = private
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        let jwk = json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": B64.encode(public.n().to_bytes_be()), "e": B64.encode(public.e().to_bytes_be()),
        });
        SigningKey {
            kid: kid.into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("encoding key"),
            jwk,
            public_pem: public
                .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
                .expect("public pem"),
        }
    }

    pub fn ec(kid: &str) -> SigningKey {
        let secret = p256::SecretKey::random(&mut rand::thread_rng());
        let point = secret.public_key().to_encoded_point(false);
        let pem = secret
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .expect("pem");
        let jwk = json!({
            "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": B64.encode(point.x().expect("x")), "y": B64.encode(point.y().expect("y")),
        });
        let public_pem = p256::pkcs8::EncodePublicKey::to_public_key_pem(
            &secret.public_key(),
            p256::pkcs8::LineEnding::LF,
        )
        .expect("public pem");
        SigningKey {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(pem.as_bytes()).expect("encoding key"),
            jwk,
            public_pem,
        }
    }

    /// Sign `claims` with this key (kid and alg in the header).
    pub fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid.clone());
        encode(&h, claims, &self.encoding).expect("sign")
    }

    /// Sign with an explicit header kid (e.g. one the JWKS does not have).
    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(kid.into());
        encode(&h, claims, &self.encoding).expect("sign")
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An unsigned `alg: none` token.
pub fn unsigned(claims: &Value, kid: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!(
        "{}.{}.",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    )
}

/// An HS256 token whose HMAC secret is the public key's PEM (the classic key-confusion attack).
pub fn hs256_with_public_key(claims: &Value, key: &SigningKey) -> String {
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(key.kid.clone());
    encode(
        &h,
        claims,
        &EncodingKey::from_secret(key.public_pem.as_bytes()),
    )
    .expect("sign")
}

/// Replace the payload of a signed token (keeping the old signature).
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(claims.to_string()),
        parts[2]
    )
}

/// The IdP server.
pub struct Idp {
    pub base: String,
    pub issuer: String,
    keys: Arc<Mutex<Vec<Value>>>,
    /// Pad every JWKS with this many bytes of unused keys' text (0: none).
    jwks_padding: Arc<AtomicUsize>,
    pub jwks_fetches: Arc<AtomicUsize>,
    pub discovery_fetches: Arc<AtomicUsize>,
    _server: Arc<tiny_http::Server>,
}

impl Idp {
    pub fn start(keys: &[&SigningKey]) -> Idp {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind IdP"));
        let port = server.server_addr().to_ip().expect("ip addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let issuer = format!("{base}/issuer");
        let jwks = Arc::new(Mutex::new(
            keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>(),
        ));
        let jwks_fetches = Arc::new(AtomicUsize::new(0));
        let discovery_fetches = Arc::new(AtomicUsize::new(0));
        let jwks_padding = Arc::new(AtomicUsize::new(0));
        let (s, j, jf, df, iss, b, pad) = (
            server.clone(),
            jwks.clone(),
            jwks_fetches.clone(),
            discovery_fetches.clone(),
            issuer.clone(),
            base.clone(),
            jwks_padding.clone(),
        );
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let url = req.url().to_string();
                // Redirects: within this origin, and off it (to `localhost`,
                // another origin for the same server).
                let redirect = if let Some(rest) = url.strip_prefix("/same-origin") {
                    Some(format!("{b}{rest}"))
                } else {
                    url.strip_prefix("/off-origin")
                        .map(|rest| format!("{}{rest}", b.replace("127.0.0.1", "localhost")))
                };
                if let Some(to) = redirect {
                    let location =
                        tiny_http::Header::from_bytes("Location", to.as_bytes()).expect("header");
                    let _ = req.respond(tiny_http::Response::empty(302).with_header(location));
                    continue;
                }
                let body = if url.ends_with("/.well-known/openid-configuration") {
                    df.fetch_add(1, Ordering::SeqCst);
                    json!({
                        "issuer": iss, "jwks_uri": format!("{b}/jwks"),
                        // Lists HS256 and none: the host must ignore them.
                        "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256", "none"],
                    })
                } else if url == "/jwks" || url == "/cdn-cgi/access/certs" {
                    jf.fetch_add(1, Ordering::SeqCst);
                    let padding = pad.load(Ordering::SeqCst);
                    if padding > 0 {
                        json!({"keys": j.lock().expect("lock").clone(), "padding": "x".repeat(padding)})
                    } else {
                        json!({"keys": j.lock().expect("lock").clone()})
                    }
                } else {
                    let _ = req.respond(tiny_http::Response::empty(404));
                    continue;
                };
                let header = tiny_http::Header::from_bytes("Content-Type", "application/json")
                    .expect("header");
                let _ = req.respond(
                    tiny_http::Response::from_string(body.to_string()).with_header(header),
                );
            }
        });
        Idp {
            base,
            issuer,
            keys: jwks,
            jwks_padding,
            jwks_fetches,
            discovery_fetches,
            _server: server,
        }
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/issuer/.well-known/openid-configuration", self.base)
    }

    /// The metadata URL behind a redirect: within this origin (`same`), or
    /// to another origin of the same server (`localhost` for `127.0.0.1`).
    pub fn redirected_metadata_url(&self, same: bool) -> String {
        let hop = if same { "same-origin" } else { "off-origin" };
        format!(
            "{}/{hop}/issuer/.well-known/openid-configuration",
            self.base
        )
    }

    /// Make every JWKS this many bytes larger (0: as it is).
    pub fn pad_jwks(&self, bytes: usize) {
        self.jwks_padding.store(bytes, Ordering::SeqCst);
    }

    /// The team domain to give as CLOUDFLARE_TEAM_DOMAIN (certs at /cdn-cgi/access/certs).
    pub fn team_domain(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// Publish another key (rotation).
    pub fn add_key(&self, key: &SigningKey) {
        self.keys.lock().expect("lock").push(key.jwk.clone());
    }

    pub fn jwks_fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }
}
