//! Checking a plugin's structured content without building it.
//!
//! The host must know the text a plugin returned as `structured-content` is one
//! JSON object before it goes to a client, but it never needs the object itself:
//! the text goes out as written (see `http::passthrough`). [`checked_object`]
//! parses it exactly as strictly as `serde_json::Value` would (string escapes and
//! surrogate pairs, number ranges, nesting depth, trailing characters) while
//! keeping nothing, so a large page costs a scan instead of a tree of maps.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why structured content was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonCheckError {
    #[error("structured content is not a JSON object")]
    NotAnObject,
    #[error("structured content is not JSON: {0}")]
    Invalid(String),
}

/// `text` if it is one JSON object, with any CR or LF (which valid JSON can only
/// hold as whitespace between tokens) turned into spaces, so the text also fits
/// on one line of a server-sent event.
pub fn checked_object(mut text: String) -> Result<String, JsonCheckError> {
    serde_json::from_str::<Strict>(&text).map_err(|e| JsonCheckError::Invalid(e.to_string()))?;
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
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| JsonCheckError::Invalid(e.to_string()))?;
    if !value.is_object() {
        return Err(JsonCheckError::NotAnObject);
    }
    Ok(value)
}

/// Any JSON value, parsed and dropped as it goes.
struct Strict;

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `deserialize_any` (not `deserialize_ignored_any`) so strings are
        // unescaped and numbers converted, as they are for a `Value`.
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Strict, E> {
        Ok(Strict)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        while map.next_key::<Strict>()?.is_some() {
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
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
            let strict = serde_json::from_str::<Strict>(case).is_ok();
            assert_eq!(value, strict, "{case}");
        }
    }

    #[test]
    fn nesting_is_limited_as_for_a_value() {
        for depth in [100, 127, 128, 129, 200] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let value = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            let strict = serde_json::from_str::<Strict>(&text).is_ok();
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
    fn line_breaks_become_spaces_and_the_json_is_unchanged() {
        let text = "{\r\n  \"a\": [1,\n2],\n  \"b\": \"x\\ny\"\n}\n";
        let checked = checked_object(text.into()).expect("valid");
        assert!(!checked.contains(['\n', '\r']));
        let before: serde_json::Value = serde_json::from_str(text).expect("json");
        let after: serde_json::Value = serde_json::from_str(&checked).expect("json");
        assert_eq!(before, after);
    }
}
