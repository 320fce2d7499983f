//! What the two asking imports (`sampling`, `elicitation`) share: the order
//! of their checks and the hand-off to the call's client link.

use serde_json::Value;

use crate::client_link::Ask;
use crate::sandbox::state::CallCore;

/// One ask: count the import, refuse after a write, build the question
/// (`build`'s error goes to the plugin), then answer it from an earlier round
/// (read by `read`) or end the run to ask it.
pub fn ask<T>(
    core: &mut CallCore,
    build: impl FnOnce() -> Result<Ask, String>,
    read: impl FnOnce(Value) -> Result<T, String>,
) -> wasmtime::Result<Result<T, String>> {
    core.spend_import()?;
    if let Some(refusal) = ask_after_write(core) {
        return Ok(Err(refusal));
    }
    let question = match build() {
        Ok(q) => q,
        Err(e) => return Ok(Err(e)),
    };
    let answer = core
        .ctx
        .client
        .ask(question)
        .map_err(wasmtime::Error::new)?;
    Ok(answer.and_then(read))
}

/// The longest message or system prompt, in bytes.
const MAX_TEXT: usize = 16 * 1024;

/// Why the call may not ask now: it already wrote, and a run that ends to
/// ask is run again from the start (its write would be repeated).
fn ask_after_write(core: &CallCore) -> Option<String> {
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
