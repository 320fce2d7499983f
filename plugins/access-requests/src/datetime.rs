//! Datetime arguments, read as Access reads them (`parse_datetime_value` in
//! api/schemas/datetimes.py, spec §2): ISO 8601 first (Python's
//! `datetime.fromisoformat` after every `Z` is replaced by `+00:00`), then
//! RFC 822 / RFC 2822 (`email.utils.parsedate_to_datetime`). A value with an
//! offset is converted to UTC; one without is taken as UTC; `""` is null.
//! Anything else is `Cannot parse '<v>' as a datetime` (the value as Python's
//! `repr` prints it).

use access_kit::json::civil_from_days;
use access_kit::mcp::plugin::clock::Timestamp;

/// A civil date and time, with its UTC offset in seconds (0 for naive values).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    offset: i64,
}

/// `None` for `""`; the instant (UTC) otherwise.
pub fn parse(value: &str) -> Result<Option<Timestamp>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    iso(&value.replace('Z', "+00:00"))
        .or_else(|| rfc2822(value))
        .and_then(to_timestamp)
        .map(Some)
        .ok_or_else(|| format!("Cannot parse {} as a datetime", py_repr(value)))
}

// ---------------------------------------------------------------- calendar

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Python's `datetime(...)` range checks, then the offset (strictly within a
/// day) applied; the UTC result must still be within years 1-9999.
fn to_timestamp(c: Civil) -> Option<Timestamp> {
    let valid = (1..=9999).contains(&c.year)
        && (1..=12).contains(&c.month)
        && (1..=days_in_month(c.year, c.month)).contains(&c.day)
        && (0..24).contains(&c.hour)
        && (0..60).contains(&c.minute)
        && (0..60).contains(&c.second)
        && (0..1_000_000).contains(&c.micro)
        && c.offset.abs() < 86_400;
    if !valid {
        return None;
    }
    let seconds =
        days_from_civil(c.year, c.month, c.day) * 86_400 + c.hour * 3600 + c.minute * 60 + c.second
            - c.offset;
    let (year, _, _) = civil_from_days(seconds.div_euclid(86_400));
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(Timestamp {
        seconds,
        nanoseconds: u32::try_from(c.micro * 1000).ok()?,
    })
}

// ---------------------------------------------------------------- ISO 8601

/// The byte at `i`, or NUL past the end (CPython reads the C string's terminator).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Exactly `n` ASCII digits at `*p`, advancing it.
fn digits(b: &[u8], p: &mut usize, n: usize) -> Option<i64> {
    let mut v = 0i64;
    for _ in 0..n {
        let c = at(b, *p);
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
        *p += 1;
    }
    Some(v)
}

/// Where the date ends (CPython's `_find_isoformat_datetime_separator`).
fn date_end(b: &[u8]) -> usize {
    let len = b.len();
    if len == 7 {
        return 7;
    }
    if b[4] == b'-' {
        if b[5] != b'W' {
            return 10;
        }
        if len > 8 && b[8] == b'-' {
            if len > 10 && b[10].is_ascii_digit() {
                return 8;
            }
            return 10;
        }
        return 8;
    }
    if b[4] == b'W' {
        let mut idx = 7;
        while idx < len && b[idx].is_ascii_digit() {
            idx += 1;
        }
        if idx < 9 {
            return idx;
        }
        return if idx % 2 == 0 { 7 } else { 8 };
    }
    8
}

/// Year, month, day of an ISO week date (CPython's `iso_to_ymd`).
fn iso_week_date(year: i64, week: i64, weekday: i64) -> Option<(i64, i64, i64)> {
    let jan1 = days_from_civil(year, 1, 1);
    let first_weekday = (jan1 + 3).rem_euclid(7); // Monday = 0; 1970-01-01 was a Thursday
    let long_year = first_weekday == 3 || (first_weekday == 2 && is_leap(year));
    let weeks = if long_year { 53 } else { 52 };
    if !(1..=weeks).contains(&week) {
        return None;
    }
    if !(1..=7).contains(&weekday) {
        return None;
    }
    let jan4 = days_from_civil(year, 1, 4);
    let week1_monday = jan4 - (jan4 + 3).rem_euclid(7);
    Some(civil_from_days(week1_monday + (week - 1) * 7 + weekday - 1))
}

/// CPython's `parse_isoformat_date` on `b[..end]`.
fn iso_date(b: &[u8], end: usize) -> Option<(i64, i64, i64)> {
    let mut p = 0;
    let year = digits(b, &mut p, 4)?;
    let sep = at(b, p) == b'-';
    if sep {
        p += 1;
    }
    if at(b, p) == b'W' {
        p += 1;
        let week = digits(b, &mut p, 2)?;
        let mut weekday = 1;
        if p < end {
            if sep {
                if at(b, p) != b'-' {
                    return None;
                }
                p += 1;
            }
            weekday = digits(b, &mut p, 1)?;
        }
        return iso_week_date(year, week, weekday);
    }
    let month = digits(b, &mut p, 2)?;
    if sep {
        if at(b, p) != b'-' {
            return None;
        }
        p += 1;
    }
    let day = digits(b, &mut p, 2)?;
    Some((year, month, day))
}

/// `[HH[:?MM[:?SS[.ffffff]]]]` in `b[start..end]` (CPython's
/// `parse_hh_mm_ss_ff`): the values, and whether something other than the
/// end of the string follows (`Err` for a malformed part).
fn hh_mm_ss_ff(b: &[u8], start: usize, end: usize) -> Result<([i64; 4], bool), ()> {
    let mut vals = [0i64; 4];
    let mut p = start;
    let mut has_separator = true;
    for (i, val) in vals.iter_mut().take(3).enumerate() {
        *val = digits(b, &mut p, 2).ok_or(())?;
        let c = at(b, p);
        p += 1;
        if i == 0 {
            has_separator = c == b':';
        }
        if p >= end {
            return Ok((vals, c != 0));
        } else if has_separator && c == b':' {
            continue;
        } else if c == b'.' || c == b',' {
            break;
        } else if !has_separator {
            p -= 1;
        } else {
            return Err(());
        }
    }
    let to_parse = (end - p).min(6);
    if to_parse == 0 {
        return Err(());
    }
    let micro = digits(b, &mut p, to_parse).ok_or(())?;
    vals[3] = micro * 10i64.pow(u32::try_from(6 - to_parse).unwrap_or(0));
    while at(b, p).is_ascii_digit() {
        p += 1;
    }
    Ok((vals, at(b, p) != 0))
}

/// Python's `datetime.fromisoformat`.
fn iso(s: &str) -> Option<Civil> {
    let b = s.as_bytes();
    if s.chars().count() < 7 {
        return None;
    }
    let sep = date_end(b);
    let (year, month, day) = iso_date(b, sep)?;
    let mut c = Civil {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        micro: 0,
        offset: 0,
    };
    if sep >= b.len() {
        return (sep == b.len()).then_some(c);
    }
    // The separator is any one character.
    let start = sep + s.get(sep..)?.chars().next()?.len_utf8();
    let len = b.len();
    let tz = (start..len)
        .find(|&i| matches!(b[i], b'Z' | b'+' | b'-'))
        .unwrap_or(len.max(start + 1));
    let (vals, more) = hh_mm_ss_ff(b, start, tz).ok()?;
    [c.hour, c.minute, c.second, c.micro] = vals;
    if tz >= len {
        return (!more).then_some(c);
    }
    if b[tz] == b'Z' {
        return (tz + 1 == len).then_some(c);
    }
    let sign = if b[tz] == b'-' { -1 } else { 1 };
    let (tv, tmore) = hh_mm_ss_ff(b, tz + 1, len).ok()?;
    if tmore {
        return None;
    }
    // Sub-second offsets exist in Python; Timestamp has whole seconds here,
    // so a fractional offset is rounded away (never seen in practice).
    c.offset = sign * (tv[0] * 3600 + tv[1] * 60 + tv[2]);
    Some(c)
}

// ---------------------------------------------------------------- RFC 822 / 2822

const MONTHS: [&str; 24] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Python's `int()` on a token: optional sign, ASCII digits.
fn py_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

fn zone(tz: &str) -> Option<i64> {
    let hhmm = match tz.to_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "AST" => -400,
        "ADT" | "EDT" => -300,
        "EST" | "CDT" => -500,
        "CST" | "MDT" => -600,
        "MST" | "PDT" => -700,
        "PST" => -800,
        _ => {
            let v = py_int(tz)?;
            if v == 0 && tz.starts_with('-') {
                return None; // "-0000": no zone information, i.e. naive
            }
            v
        }
    };
    let sign = if hhmm < 0 { -1 } else { 1 };
    let a = hhmm.abs();
    Some(sign * ((a / 100) * 3600 + (a % 100) * 60))
}

/// `email.utils.parsedate_to_datetime` (the lax `_parsedate_tz`).
fn rfc2822(s: &str) -> Option<Civil> {
    let mut data: Vec<String> = s.split_whitespace().map(String::from).collect();
    if data.is_empty() {
        return None;
    }
    if data[0].ends_with(',') || DAYS.contains(&data[0].to_lowercase().as_str()) {
        data.remove(0);
    } else if let Some(i) = data[0].rfind(',') {
        data[0] = data[0][i + 1..].to_string();
    }
    if data.len() == 3 {
        let stuff: Vec<String> = data[0].split('-').map(String::from).collect();
        if stuff.len() == 3 {
            data = stuff.into_iter().chain(data.drain(1..)).collect();
        }
    }
    if data.len() == 4 {
        let s = data[3].clone();
        let i = s.find('+').or_else(|| s.find('-'));
        match i {
            Some(i) if i > 0 => {
                data[3] = s[..i].to_string();
                data.push(s[i..].to_string());
            }
            _ => data.push(String::new()),
        }
    }
    if data.len() < 5 {
        return None;
    }
    let [mut dd, mut mm, mut yy, mut tm, mut tz] = [0, 1, 2, 3, 4].map(|i| data[i].clone());
    if dd.is_empty() || mm.is_empty() || yy.is_empty() {
        return None;
    }
    mm = mm.to_lowercase();
    if !MONTHS.contains(&mm.as_str()) {
        (dd, mm) = (mm, dd.to_lowercase());
        if !MONTHS.contains(&mm.as_str()) {
            return None;
        }
    }
    let month = MONTHS.iter().position(|m| *m == mm)? as i64 % 12 + 1;
    if dd.ends_with(',') {
        dd.pop();
    }
    if yy.find(':').is_some_and(|i| i > 0) {
        std::mem::swap(&mut yy, &mut tm);
    }
    if yy.ends_with(',') {
        yy.pop();
        if yy.is_empty() {
            return None;
        }
    }
    if !yy.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        std::mem::swap(&mut yy, &mut tz);
    }
    if tm.ends_with(',') {
        tm.pop();
    }
    let parts: Vec<&str> = tm.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        [one] if one.contains('.') => match one.split('.').collect::<Vec<_>>().as_slice() {
            [h, m] => (*h, *m, "0"),
            [h, m, s] => (*h, *m, *s),
            _ => return None,
        },
        _ => return None,
    };
    let mut year = py_int(&yy)?;
    let day = py_int(&dd)?;
    let (hour, minute, second) = (py_int(h)?, py_int(m)?, py_int(sec)?);
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    Some(Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        micro: 0,
        offset: zone(&tz).unwrap_or(0),
    })
}

// ---------------------------------------------------------------- repr

/// Python's `repr()` of a string.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !printable(c) => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, near enough: controls,
/// format characters and separators other than the ASCII space are not.
fn printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i64 {
        parse(s).expect(s).expect("some").seconds
    }

    /// 2026-05-11 02:09:02 UTC.
    const T: i64 = 1_778_465_342;

    #[test]
    fn iso_and_rfc822_forms() {
        assert_eq!(secs("2026-05-11T02:09:02Z"), T);
        assert_eq!(secs("2026-05-11T02:09:02"), T);
        assert_eq!(secs("2026-05-11 02:09:02+00:00"), T);
        assert_eq!(secs("2026-05-10T19:09:02-07:00"), T);
        assert_eq!(secs("20260511T020902"), T);
        assert_eq!(secs("2026-05-11T02:09:02.5Z"), T);
        assert_eq!(secs("Sun, 10 May 2026 19:09:02 -0700"), T);
        assert_eq!(secs("Mon, 11 May 2026 02:09:02 +0000"), T);
        assert_eq!(secs("11 May 2026 02:09:02 GMT"), T);
        assert_eq!(secs("11 May 26 02:09:02"), T);
        assert_eq!(secs("2026-05-11"), T - 2 * 3600 - 9 * 60 - 2);
        assert_eq!(secs("2026-W20-1"), T - 2 * 3600 - 9 * 60 - 2);
        assert!(parse("").expect("empty is null").is_none());
    }

    #[test]
    fn errors_repr_the_value() {
        let err = |s: &str| parse(s).expect_err(s);
        assert_eq!(err("x"), "Cannot parse 'x' as a datetime");
        assert_eq!(err("it's"), "Cannot parse \"it's\" as a datetime");
        assert_eq!(err("a\\b\n"), "Cannot parse 'a\\\\b\\n' as a datetime");
        assert!(parse("2026-02-30").is_err());
        assert!(parse("2026-05-11T25:00").is_err());
        assert!(parse("Mon, 32 May 2026 02:09:02 +0000").is_err());
    }

    #[test]
    fn any_single_character_separates_date_and_time() {
        assert_eq!(secs("2026-05-11\u{e9}02:09:02"), T);
        assert_eq!(secs("11-May-2026 02:09:02 GMT"), T);
    }

    #[test]
    fn repr_is_pythons() {
        let cases = [
            ("\u{7f}", "'\\x7f'"),
            ("\u{a0}", "'\\xa0'"),
            ("\u{e9}", "'\u{e9}'"),
            ("\u{200b}", "'\\u200b'"),
            ("\u{1f600}", "'\u{1f600}'"),
            ("a\"b", "'a\"b'"),
            ("a'b\"c", "'a\\'b\"c'"),
            ("\u{2028}", "'\\u2028'"),
            ("\u{3000}", "'\\u3000'"),
        ];
        for (s, want) in cases {
            assert_eq!(py_repr(s), want, "{s:?}");
        }
    }
}
