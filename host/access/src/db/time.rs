//! Naive-UTC timestamps as Access stores them, and their WIT form.

use chrono::{DateTime, NaiveDateTime, Utc};

use mcp_host::bindings::mcp::plugin::clock::Timestamp;

/// The text form SQLAlchemy writes into SQLite DATETIME columns.
pub const SQLITE_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

pub fn to_wit(t: NaiveDateTime) -> Timestamp {
    let utc = t.and_utc();
    Timestamp {
        seconds: utc.timestamp(),
        nanoseconds: utc.timestamp_subsec_nanos(),
    }
}

pub fn opt_to_wit(t: Option<NaiveDateTime>) -> Option<Timestamp> {
    t.map(to_wit)
}

pub fn from_wit(t: Timestamp) -> Option<NaiveDateTime> {
    DateTime::<Utc>::from_timestamp(t.seconds, t.nanoseconds).map(|d| d.naive_utc())
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Timestamps as SQLite keeps them (`YYYY-MM-DD HH:MM:SS[.f]`, a space or a
/// `T` in the middle), decoded for the row structs' `Deserialize`
/// (`#[serde(deserialize_with = "stored::required")]`). The fixed layout is
/// read digit by digit; anything else goes to chrono's general parser. A list
/// of a hundred rows holds hundreds of these, and chrono's parser was a
/// twentieth of such a call.
pub mod stored {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
    use serde::Deserializer;
    use serde::de::{self, Visitor};

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        d.deserialize_str(Stored)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        d.deserialize_option(OptionalStored)
    }

    /// `YYYY-MM-DD HH:MM:SS` then optionally `.` and 1 to 9 digits; `None`
    /// for any other text.
    pub fn parse_fixed(s: &str) -> Option<NaiveDateTime> {
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b' ' | b'T')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<u32> {
            b[from..to].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let nanos = match &b[19..] {
            [] => 0,
            [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
                num(20, b.len())? * 10u32.pow(9 - digits.len() as u32)
            }
            _ => return None,
        };
        let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
        let time = NaiveTime::from_hms_nano_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, nanos)?;
        Some(date.and_time(time))
    }

    struct Stored;

    impl Visitor<'_> for Stored {
        type Value = NaiveDateTime;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a timestamp")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<NaiveDateTime, E> {
            if let Some(t) = parse_fixed(s) {
                return Ok(t);
            }
            s.replacen(' ', "T", 1).parse().map_err(E::custom)
        }
    }

    struct OptionalStored;

    impl<'de> Visitor<'de> for OptionalStored {
        type Value = Option<NaiveDateTime>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a timestamp or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            required(d).map(Some)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_fixed_layout_reads_as_chrono_reads_it() {
            for s in [
                "2024-05-01 10:20:30",
                "2024-05-01T10:20:30",
                "2024-05-01 10:20:30.1",
                "2024-05-01 10:20:30.123456",
                "2024-05-01 10:20:30.123456789",
                "2024-02-29 23:59:59.000001",
                "1970-01-01 00:00:00",
                "9999-12-31 23:59:59.999999",
            ] {
                let chrono: NaiveDateTime = s.replacen(' ', "T", 1).parse().expect(s);
                assert_eq!(parse_fixed(s), Some(chrono), "{s}");
            }
        }

        #[test]
        fn anything_else_is_left_to_chrono() {
            for s in [
                "",
                "2024-05-01",
                "2024-05-01 10:20",
                "2023-02-29 10:20:30",
                "2024-13-01 10:20:30",
                "2024-05-01 24:00:00",
                "2024-05-01 10:20:30.",
                "2024-05-01 10:20:30.1234567890",
                "2024-05-01 10:20:30+00:00",
                "2024-05-01x10:20:30",
                "2024-0a-01 10:20:30",
                "+2024-05-01 10:20:30",
            ] {
                assert_eq!(parse_fixed(s), None, "{s}");
            }
        }
    }
}
