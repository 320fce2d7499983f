//! JSON written straight to text. The wire shapes are composed key by key, in
//! upstream's order, into one growing string: no value tree is built and then
//! serialised (building `serde_json::Value` maps and walking them again was
//! most of what this plugin spent per call). Only opaque JSON that Access
//! stores as text goes through `serde_json`, to be checked and made compact.
//!
//! Output is byte-for-byte what `serde_json` writes for the same value
//! (compact form, the same string escapes); the tests below hold it to that.

use std::fmt::Write as _;

use serde_json::Value;

use crate::mcp::plugin::clock::Timestamp;

/// One JSON value, already written as compact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(String);

impl Json {
    pub fn string(s: &str) -> Json {
        let mut out = String::with_capacity(s.len() + 2);
        push_str(&mut out, s);
        Json(out)
    }

    /// An array of already-written values.
    pub fn array(items: impl IntoIterator<Item = Json>) -> Json {
        let mut out = String::new();
        push_array(&mut out, items);
        Json(out)
    }

    /// An array of strings.
    pub fn strings<S: AsRef<str>>(items: &[S]) -> Json {
        Json::array(items.iter().map(|s| Json::string(s.as_ref())))
    }

    /// A parsed JSON value, in compact form.
    pub fn value(v: &Value) -> Json {
        Json(v.to_string())
    }

    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A JSON object written key by key, in call order. Shapes that extend another
/// shape take its `Obj` and go on adding keys; [`Obj::done`] closes it.
pub struct Obj(String);

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    pub fn new() -> Obj {
        let mut out = String::with_capacity(256);
        out.push('{');
        Obj(out)
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_str(&mut self.0, key);
        self.0.push(':');
    }

    #[inline(never)]
    pub fn v(mut self, key: &str, value: Json) -> Obj {
        self.key(key);
        self.0.push_str(&value.0);
        self
    }

    #[inline(never)]
    pub fn s(mut self, key: &str, value: &str) -> Obj {
        self.key(key);
        push_str(&mut self.0, value);
        self
    }

    #[inline(never)]
    pub fn os(mut self, key: &str, value: Option<&str>) -> Obj {
        self.key(key);
        match value {
            Some(s) => push_str(&mut self.0, s),
            None => self.0.push_str("null"),
        }
        self
    }

    #[inline(never)]
    pub fn b(mut self, key: &str, value: bool) -> Obj {
        self.key(key);
        self.0.push_str(if value { "true" } else { "false" });
        self
    }

    #[inline(never)]
    pub fn ob(self, key: &str, value: Option<bool>) -> Obj {
        match value {
            Some(b) => self.b(key, b),
            None => self.null(key),
        }
    }

    #[inline(never)]
    pub fn i(mut self, key: &str, value: i64) -> Obj {
        self.key(key);
        let _ = write!(self.0, "{value}");
        self
    }

    #[inline(never)]
    pub fn oi(self, key: &str, value: Option<i64>) -> Obj {
        match value {
            Some(i) => self.i(key, i),
            None => self.null(key),
        }
    }

    #[inline(never)]
    pub fn null(mut self, key: &str) -> Obj {
        self.key(key);
        self.0.push_str("null");
        self
    }

    /// An RFC 822 timestamp, as Access writes it.
    #[inline(never)]
    pub fn t(mut self, key: &str, value: Timestamp) -> Obj {
        self.key(key);
        self.0.push('"');
        push_rfc822(&mut self.0, value);
        self.0.push('"');
        self
    }

    #[inline(never)]
    pub fn ot(self, key: &str, value: Option<Timestamp>) -> Obj {
        match value {
            Some(t) => self.t(key, t),
            None => self.null(key),
        }
    }

    /// An optional nested value: null when absent.
    #[inline(never)]
    pub fn ov(self, key: &str, value: Option<Json>) -> Obj {
        self.ov_ref(key, value.as_ref())
    }

    /// An optional nested value written elsewhere and kept (see
    /// `wire::Lookup`'s written shapes): copied in, null when absent.
    #[inline(never)]
    pub fn ov_ref(mut self, key: &str, value: Option<&Json>) -> Obj {
        self.key(key);
        self.0.push_str(value.map_or("null", |v| v.0.as_str()));
        self
    }

    /// An array under `key`, written in place (a page's items are most of a
    /// result: no array of its own to copy in afterwards).
    pub fn list(mut self, key: &str, items: impl IntoIterator<Item = Json>) -> Obj {
        self.key(key);
        push_array(&mut self.0, items);
        self
    }

    pub fn done(mut self) -> Json {
        self.0.push('}');
        Json(self.0)
    }
}

/// Append the already-written values as one JSON array.
fn push_array(out: &mut String, items: impl IntoIterator<Item = Json>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item.0);
    }
    out.push(']');
}

/// Bytes that must be escaped inside a JSON string: `"`, `\\` and the
/// control characters.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Append `s` as a JSON string, escaped exactly as `serde_json` escapes:
/// `"` and `\\`, the short forms `\\b \\t \\n \\f \\r`, `\\u00XX` for the other
/// control characters, everything else as is. Most strings need no escape:
/// they are checked eight bytes at a time and copied whole.
fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    if needs_no_escape(s.as_bytes()) {
        out.push_str(s);
    } else {
        push_escaped(out, s);
    }
    out.push('"');
}

/// Whether no byte of `bytes` needs escaping: whole words, then the last
/// (overlapping) word, or byte by byte when there is less than a word.
fn needs_no_escape(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        return !bytes.iter().any(|&b| NEEDS_ESCAPE[b as usize]);
    }
    let word = |at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let mut at = 0;
    while at + 8 <= bytes.len() {
        if may_need_escape(word(at)) {
            return false;
        }
        at += 8;
    }
    !may_need_escape(word(bytes.len() - 8))
}

/// The characters of `s`, escaped, runs between escapes copied whole.
fn push_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        // `i` is at an ASCII byte, so both slices end on character boundaries.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            _ => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `w` is below `n` (exact for `n <= 128`).
fn has_byte_below(w: u64, n: u8) -> bool {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0
}

/// Whether any of the eight bytes of `w` may need escaping (exact).
fn may_need_escape(w: u64) -> bool {
    has_byte_below(w, 0x20)
        || has_byte_below(w ^ (ONES * u64::from(b'"')), 1)
        || has_byte_below(w ^ (ONES * u64::from(b'\\')), 1)
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Year, month (1-12) and day of a day count since 1970-01-01 (proleptic
/// Gregorian; H. Hinnant's `civil_from_days`). Also access-requests' date parser's.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 822 as Access writes it: `Wed, 03 Jun 2026 15:46:31 +0000` (UTC;
/// sub-seconds dropped). Written digit by digit: a large result holds
/// thousands of timestamps.
fn push_rfc822(out: &mut String, t: Timestamp) {
    let days = t.seconds.div_euclid(86_400);
    let secs = t.seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    out.push_str(WEEKDAYS[(days + 4).rem_euclid(7) as usize]);
    out.push_str(", ");
    push_2(out, day);
    out.push(' ');
    out.push_str(MONTHS[(month - 1) as usize]);
    out.push(' ');
    if (0..10_000).contains(&year) {
        push_2(out, year / 100);
        push_2(out, year % 100);
    } else {
        let _ = write!(out, "{year:04}");
    }
    out.push(' ');
    push_2(out, secs / 3600);
    out.push(':');
    push_2(out, secs / 60 % 60);
    out.push(':');
    push_2(out, secs % 60);
    out.push_str(" +0000");
}

/// Two decimal digits of `n` (0..=99).
fn push_2(out: &mut String, n: i64) {
    let n = n.rem_euclid(100) as u8;
    out.push(char::from(b'0' + n / 10));
    out.push(char::from(b'0' + n % 10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut tricky: String = (0u8..0x20).map(char::from).collect();
        tricky.push_str("\"\\/ é ☃ \u{2028} \u{7f} 𝄞 end");
        for s in [tricky.as_str(), "", "plain", "\"", "a\\b", "\n"] {
            assert_eq!(Json::string(s).as_str(), serde_json::to_string(s).unwrap());
        }
        // Every length up to three words, with an escape in last place: the
        // last, overlapping word of the check.
        for len in 1..=24 {
            for special in ['"', '\\', '\u{1f}'] {
                let mut s = "x".repeat(len - 1);
                s.push(special);
                assert_eq!(
                    Json::string(&s).as_str(),
                    serde_json::to_string(&s).unwrap(),
                    "{s:?}"
                );
            }
        }
        // Every escape at every offset of a long string (the eight-byte skips).
        for special in [
            '"', '\\', '\n', '\u{1}', '\u{1f}', 'é', '\u{7f}', ' ', '!', '#', '[', ']',
        ] {
            for at in 0..24 {
                let mut s: String = "abcdefghijklmnopqrstuvwx".into();
                s.replace_range(at..=at, &special.to_string());
                assert_eq!(
                    Json::string(&s).as_str(),
                    serde_json::to_string(&s).unwrap(),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn objects_match_serde_json_compact_output() {
        let built = Obj::new()
            .s("a\"key", "x\ty")
            .os("none", None)
            .b("t", true)
            .i("n", -42)
            .oi("m", Some(7))
            .ov(
                "nested",
                Some(Obj::new().list("l", [Obj::new().null("k").done()]).done()),
            )
            .ov("gone", None)
            .ot("never", None)
            .v("strs", Json::strings(&["p", "q"]))
            .v("empty", Obj::new().done())
            .done();
        let expected = json!({"a\"key": "x\ty", "none": null, "t": true, "n": -42, "m": 7,
            "nested": {"l": [{"k": null}]}, "gone": null, "never": null, "strs": ["p", "q"],
            "empty": {}});
        assert_eq!(built.as_str(), expected.to_string());
    }

    #[test]
    fn rfc822_form() {
        let at = |seconds| {
            Obj::new()
                .t(
                    "t",
                    Timestamp {
                        seconds,
                        nanoseconds: 5,
                    },
                )
                .done()
        };
        assert_eq!(
            at(1_780_501_591).as_str(),
            r#"{"t":"Wed, 03 Jun 2026 15:46:31 +0000"}"#
        );
        assert_eq!(at(0).as_str(), r#"{"t":"Thu, 01 Jan 1970 00:00:00 +0000"}"#);
        assert_eq!(
            at(-1).as_str(),
            r#"{"t":"Wed, 31 Dec 1969 23:59:59 +0000"}"#
        );
    }
}
