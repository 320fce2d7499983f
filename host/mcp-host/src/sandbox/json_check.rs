//! Checking a plugin's structured content without building it.
//!
//! The host must know the text a plugin returned as `structured-content` is one
//! JSON object before it goes to a client, but it never needs the object itself:
//! the text goes out as written (see `mcp::passthrough`). [`checked_object`]
//! parses it exactly as strictly as `serde_json::Value` would (string escapes and
//! surrogate pairs, number ranges, nesting depth, trailing characters) while
//! keeping nothing, so a large page costs a scan instead of a tree of maps.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why structured content was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonCheckError {
    #[error("structured content is not a JSON object")]
    NotAnObject,
    #[error("structured content is not JSON: {0}")]
    Invalid(String),
}

/// The error text of a repeated key (a client's parser would keep one of the
/// two values, and which one differs between parsers).
fn duplicate(key: &str) -> String {
    format!(
        "the key \"{}\" appears twice in one object",
        crate::logtext::escaped(key, 64)
    )
}

/// `text` if it is one JSON object, with any CR or LF (which valid JSON can only
/// hold as whitespace between tokens) turned into spaces, so the text also fits
/// on one line of a server-sent event.
pub fn checked_object(mut text: String) -> Result<String, JsonCheckError> {
    strict_check(&text)?;
    // Valid JSON whose first token is `{` is one object.
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(JsonCheckError::NotAnObject);
    }
    if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
        // Only whitespace bytes change, so the text stays valid UTF-8 and the same JSON.
        text = text.replace(['\n', '\r'], " ");
    }
    Ok(text)
}

/// `text` parsed, if it is one JSON object: for where the host needs the value
/// itself (stateful mode), one parse that is also the check.
pub fn parsed_object(text: &str) -> Result<serde_json::Value, JsonCheckError> {
    // A `Value` keeps the last of two equal keys: refuse them first.
    strict_check(text)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| JsonCheckError::Invalid(e.to_string()))?;
    if !value.is_object() {
        return Err(JsonCheckError::NotAnObject);
    }
    Ok(value)
}

/// Check `text` is one JSON value with no key twice in any object.
fn strict_check(text: &str) -> Result<(), JsonCheckError> {
    let mut keys = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    StrictSeed { keys: &mut keys }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| JsonCheckError::Invalid(e.to_string()))
}

/// A key of an object being checked: a cheap fingerprint, then the text.
type Key<'de> = (u64, Cow<'de, str>);

/// Any JSON value, parsed and dropped as it goes; `keys` is a stack shared by
/// the nested objects (each checks its own keys, then pops them), so a whole
/// check allocates one list, not one per object.
struct StrictSeed<'a, 'de> {
    keys: &'a mut Vec<Key<'de>>,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // `deserialize_any` (not `deserialize_ignored_any`) so strings are
        // unescaped and numbers converted, as they are for a `Value`.
        d.deserialize_any(StrictVisitor { keys: self.keys })
    }
}

struct StrictVisitor<'a, 'de> {
    keys: &'a mut Vec<Key<'de>>,
}

/// Length and the first and last eight bytes, mixed: equal keys have equal
/// fingerprints, and unequal keys of one object rarely do. No copy of the key:
/// a short key is read a byte at a time.
#[inline]
fn fingerprint(key: &str) -> u64 {
    let b = key.as_bytes();
    let n = b.len();
    let (head, tail) = if n >= 8 {
        (
            u64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
            u64::from_le_bytes(b[n - 8..].try_into().unwrap_or_default()),
        )
    } else {
        let mut w = 0u64;
        for &byte in b {
            w = (w << 8) | u64::from(byte);
        }
        (w, 0)
    };
    (n as u64) ^ head.rotate_left(17) ^ tail.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl<'de> Visitor<'de> for StrictVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(StrictSeed {
                keys: &mut *self.keys,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.keys.len();
        // One bit per fingerprint class seen in this object: a key whose bit
        // is not set yet cannot repeat an earlier one, so most keys skip the scan.
        let mut seen = 0u64;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let fp = fingerprint(&key);
            let bit = 1u64 << (fp & 63);
            if seen & bit != 0
                && self.keys[start..]
                    .iter()
                    .any(|(f, k)| *f == fp && *k == key)
            {
                return Err(de::Error::custom(duplicate(&key)));
            }
            seen |= bit;
            self.keys.push((fp, key));
            map.next_value_seed(StrictSeed {
                keys: &mut *self.keys,
            })?;
        }
        self.keys.truncate(start);
        Ok(())
    }
}

/// An object key, borrowed from the text when it holds no escape.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check accepts exactly what a `Value` parse accepts.
    #[test]
    fn agrees_with_value_parsing() {
        let cases = [
            r#"{}"#,
            r#" {"a":1,"b":[true,false,null,1.5,-2,"x"],"c":{"d":"\u00e9\n"}} "#,
            r#"{"pair":"\ud83d\ude00"}"#,
            r#"{"lone":"\ud800"}"#,
            r#"{"low":"\udc00x"}"#,
            r#"{"big":1e400}"#,
            r#"{"neg":-1e400}"#,
            r#"{"ok":1e308}"#,
            r#"{"huge_int":123456789012345678901234567890}"#,
            r#"{"bad_escape":"\q"}"#,
            "{\"ctrl\":\"a\u{1}b\"}",
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a":01}"#,
            r#"{"a":.5}"#,
            r#"{"a":"unterminated}"#,
            r#"{1:2}"#,
            "{\"nl\":\n1}",
        ];
        for case in cases {
            let value = serde_json::from_str::<serde_json::Value>(case).is_ok();
            let strict = strict_check(case).is_ok();
            assert_eq!(value, strict, "{case}");
        }
    }

    #[test]
    fn nesting_is_limited_as_for_a_value() {
        for depth in [100, 127, 128, 129, 200] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let value = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            let strict = strict_check(&text).is_ok();
            assert_eq!(value, strict, "depth {depth}");
        }
    }

    /// Where the value itself is wanted, the one parse accepts exactly what the
    /// text check accepts.
    #[test]
    fn the_parsed_form_accepts_what_the_text_check_accepts() {
        for case in [
            r#"{"a":[1,{"b":null}]}"#,
            r#"{"lone":"\ud800"}"#,
            r#"{"big":1e400}"#,
            r#"[1]"#,
            r#""x""#,
            "nope",
            "{\"nl\":\n1}",
        ] {
            let text = checked_object(case.to_string());
            let parsed = parsed_object(case);
            assert_eq!(text.is_ok(), parsed.is_ok(), "{case}");
            if let (Ok(text), Ok(parsed)) = (text, parsed) {
                assert_eq!(
                    serde_json::from_str::<serde_json::Value>(&text).ok(),
                    Some(parsed)
                );
            }
        }
        assert_eq!(parsed_object("[1]"), Err(JsonCheckError::NotAnObject));
    }

    #[test]
    fn only_objects_pass() {
        assert_eq!(
            checked_object("[1]".into()),
            Err(JsonCheckError::NotAnObject)
        );
        assert_eq!(
            checked_object("\"x\"".into()),
            Err(JsonCheckError::NotAnObject)
        );
        assert!(matches!(
            checked_object("nope".into()),
            Err(JsonCheckError::Invalid(_))
        ));
        assert!(matches!(
            checked_object(r#"{"a":"\ud800"}"#.into()),
            Err(JsonCheckError::Invalid(_))
        ));
        assert_eq!(
            checked_object(r#"{"a":1}"#.into()).as_deref(),
            Ok(r#"{"a":1}"#)
        );
    }

    #[test]
    fn a_key_twice_in_one_object_is_refused_in_either_form() {
        for case in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"b":1,"c":2,"b":3}}"#,
            r#"{"l":[{"k":1},{"k":2,"k":3}]}"#,
            r#"{"\u0061":1,"a":2}"#,
        ] {
            let e = checked_object(case.to_string()).unwrap_err();
            assert!(e.to_string().contains("appears twice"), "{case}: {e}");
            assert!(parsed_object(case).is_err(), "{case}");
        }
        // The same key in sibling or nested objects is fine.
        for case in [
            r#"{"a":{"a":1},"b":{"a":2}}"#,
            r#"{"l":[{"k":1},{"k":2}],"k":3}"#,
            r#"{"created_at":1,"created_by":2,"ab":1,"ba":2}"#,
        ] {
            assert!(checked_object(case.to_string()).is_ok(), "{case}");
        }
    }

    #[test]
    fn line_breaks_become_spaces_and_the_json_is_unchanged() {
        let text = "{\r\n  \"a\": [1,\n2],\n  \"b\": \"x\\ny\"\n}\n";
        let checked = checked_object(text.into()).expect("valid");
        assert!(!checked.contains(['\n', '\r']));
        let before: serde_json::Value = serde_json::from_str(text).expect("json");
        let after: serde_json::Value = serde_json::from_str(&checked).expect("json");
        assert_eq!(before, after);
    }
}
