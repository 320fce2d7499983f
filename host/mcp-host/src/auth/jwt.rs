//! Verifying one JWT against a JWKS: `kid` required, asymmetric algorithms only,
//! `exp` required, audience (and issuer when given) checked.

use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde_json::Value;

use super::jwks::JwksCache;

/// Every algorithm the host accepts: never `none`, never HMAC.
pub const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

pub struct Expectations<'a> {
    pub algorithms: &'a [Algorithm],
    pub audience: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub leeway: u64,
}

/// The verified claims, or the reason the token was refused.
pub async fn verify(
    token: &str,
    jwks: &JwksCache,
    jwks_url: &str,
    expect: &Expectations<'_>,
) -> Result<Value, &'static str> {
    if token.len() > super::MAX_TOKEN_BYTES {
        return Err("token too large");
    }
    let header = decode_header(token).map_err(|_| "malformed token")?;
    if !expect.algorithms.contains(&header.alg) || !ASYMMETRIC.contains(&header.alg) {
        return Err("algorithm not allowed");
    }
    let kid = header.kid.ok_or("token has no kid")?;
    let key = match jwks.key(jwks_url, &kid).await {
        Ok(Some(k)) => k,
        Ok(None) => return Err("unknown kid"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot fetch signing keys");
            return Err("signing keys unavailable");
        }
    };
    let mut v = Validation::new(header.alg);
    v.algorithms = vec![header.alg];
    v.leeway = expect.leeway;
    v.validate_exp = true;
    v.validate_nbf = true;
    // A claim that is checked must also be present: jsonwebtoken checks
    // `aud` and `iss` only when the token carries them otherwise.
    let mut required = vec!["exp"];
    match expect.audience {
        Some(aud) => {
            v.set_audience(&[aud]);
            required.push("aud");
        }
        None => v.validate_aud = false,
    }
    if let Some(iss) = expect.issuer {
        v.set_issuer(&[iss]);
        required.push("iss");
    }
    v.set_required_spec_claims(&required);
    let data = decode::<Value>(token, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::ExpiredSignature => "token expired",
            K::ImmatureSignature => "token not yet valid",
            K::InvalidAudience => "wrong audience",
            K::InvalidIssuer => "wrong issuer",
            K::InvalidSignature => "bad signature",
            K::MissingRequiredClaim(_) => "missing required claim",
            _ => "invalid token",
        }
    })?;
    Ok(data.claims)
}
