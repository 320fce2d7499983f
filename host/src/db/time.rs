//! Naive-UTC timestamps as Access stores them, and their WIT form.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::bindings::mcp::plugin::clock::Timestamp;

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
