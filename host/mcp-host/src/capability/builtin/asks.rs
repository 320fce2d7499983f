//! What the two asking imports (`sampling`, `elicitation`) share.

use crate::sandbox::state::CallCore;

/// The longest message or system prompt, in bytes.
const MAX_TEXT: usize = 16 * 1024;

/// Why the call may not ask now: it already wrote, and a run that ends to
/// ask is run again from the start (its write would be repeated).
pub fn ask_after_write(core: &CallCore) -> Option<String> {
    (core.budget_used().writes > 0).then(|| {
        "a call asks the client before it writes, not after: this call already wrote".to_string()
    })
}

/// `text`, if it is not too long.
pub fn checked_text(text: String, what: &str) -> Result<String, String> {
    if text.len() > MAX_TEXT {
        Err(format!("{what} is over {MAX_TEXT} bytes"))
    } else {
        Ok(text)
    }
}
