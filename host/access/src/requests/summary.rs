//! The plain English a user confirms before a request is filed.

use chrono::NaiveDateTime;

use super::lookups::UserRef;

pub(super) fn until(end: Option<NaiveDateTime>) -> String {
    end.map_or("with no end date".into(), |e| {
        format!("until {} UTC", e.format("%Y-%m-%d %H:%M"))
    })
}

pub(super) fn reason_text(reason: &str) -> String {
    if reason.trim().is_empty() {
        "No reason given.".into()
    } else {
        format!("Reason: \"{}\".", reason.trim())
    }
}

/// "alice@x, bob@y and 3 more" (or "The approvers" when none is known).
pub(super) fn approvers_text(approvers: &[UserRef]) -> String {
    match approvers.len() {
        0 => "The approvers".into(),
        n if n <= 3 => approvers
            .iter()
            .map(|u| u.email.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        n => format!(
            "{} and {} more",
            approvers[..3]
                .iter()
                .map(|u| u.email.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            n - 3
        ),
    }
}

/// The reason and who approves, closing a summary.
pub(super) fn closing(reason: &str, approvers: &[UserRef]) -> String {
    format!(
        "{} {} will be asked to approve it.",
        reason_text(reason),
        approvers_text(approvers)
    )
}

pub(super) fn kind_of(ownership: bool) -> &'static str {
    if ownership { "ownership" } else { "membership" }
}
