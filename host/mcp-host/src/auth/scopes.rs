//! Scopes from a token's claims (§5.1): `scope`, else `scp`; a string is split
//! on whitespace, a list gives its truthy elements. A token with neither claim
//! gets `MCP_FALLBACK_SCOPES`; a token that carries a claim gets exactly what
//! it says, so an explicitly empty claim (`""`, `" "`, `[]`) means no scopes
//! (hardened over upstream, which fell back on an empty result).

use std::collections::BTreeSet;

use serde_json::Value;

/// Parse `MCP_FALLBACK_SCOPES` (comma list; empty means fail-closed).
pub fn fallback(setting: &str) -> BTreeSet<String> {
    crate::comma_list::split_list(setting).into_iter().collect()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn parse(v: &Value) -> BTreeSet<String> {
    match v {
        Value::String(s) => s.split_whitespace().map(String::from).collect(),
        Value::Array(items) => items
            .iter()
            .filter(|i| truthy(i))
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// The scopes a token carries, or the fallback when it carries no scope claim.
pub fn from_claims(claims: &Value, fallback: &BTreeSet<String>) -> BTreeSet<String> {
    let scope = claims.get("scope").filter(|v| !v.is_null());
    let scp = claims.get("scp").filter(|v| !v.is_null());
    // Upstream reads `scope or scp`: an empty `scope` defers to `scp`.
    let claim = scope.filter(|v| truthy(v)).or(scp).or(scope);
    match claim {
        Some(v) => parse(v),
        None => fallback.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn claim_rules() {
        let fb = fallback(" read_x , write_y ,");
        assert_eq!(fb, set(&["write_y", "read_x"]));
        assert_eq!(
            from_claims(&json!({"scope": "read_x"}), &fb),
            set(&["read_x"])
        );
        assert_eq!(
            from_claims(&json!({"scope": "", "scp": ["read_x", "", null]}), &fb),
            set(&["read_x"])
        );
        assert!(from_claims(&json!({"scope": []}), &fb).is_empty());
        assert!(from_claims(&json!({"scope": " "}), &fb).is_empty());
        assert!(from_claims(&json!({"scope": ""}), &fb).is_empty());
        assert!(from_claims(&json!({"scp": []}), &fb).is_empty());
        assert_eq!(from_claims(&json!({}), &fb), fb);
        assert_eq!(from_claims(&json!({"scope": null}), &fb), fb);
        assert_eq!(
            from_claims(&json!({"scope": "openid email"}), &fb),
            set(&["email", "openid"])
        );
        assert!(from_claims(&json!({"scope": 5}), &fb).is_empty());
        assert!(from_claims(&json!({}), &fallback("")).is_empty());
        assert!(from_claims(&json!({}), &fallback("  ")).is_empty());
    }
}
