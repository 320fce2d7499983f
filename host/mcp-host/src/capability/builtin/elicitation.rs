//! `mcp:plugin/elicitation` (contract 0.2, granted by the manifest): ask the
//! user for input through the client (a form) during a tool call, answered
//! as for sampling through the call's
//! [`ClientLink`](crate::client_link::ClientLink).

use rmcp::model::{ElicitRequestParams, ElicitationSchema};
use serde_json::Value;
use wasmtime::component::HasSelf;

use super::asks::{self, checked_text};
use crate::bindings::v2::mcp::plugin::elicitation::{self, Action, ElicitResult};
use crate::capability::{Grant, Interface};
use crate::client_link::Ask;
use crate::sandbox::state::CallCore;

pub const INTERFACE: Interface = Interface {
    name: "mcp:plugin/elicitation",
    summary: "ask the user for input through the client during a tool call (elicitation/create, a form)",
    grant: Grant::Manifest,
    link: |l| elicitation::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core),
};

/// The longest requested schema, in bytes.
const MAX_SCHEMA: usize = 16 * 1024;

/// The question: the message and a schema of MCP's restricted form subset
/// (rmcp's `ElicitationSchema` refuses anything else, unknown keys included).
fn params(message: String, schema: &str) -> Result<Ask, String> {
    let message = checked_text(message, "message")?;
    if schema.len() > MAX_SCHEMA {
        return Err(format!("requested-schema is over {MAX_SCHEMA} bytes"));
    }
    let requested_schema: ElicitationSchema = serde_json::from_str(schema)
        .map_err(|e| format!("requested-schema is not an MCP elicitation form schema: {e}"))?;
    Ok(Ask::Elicitation(
        ElicitRequestParams::FormElicitationParams {
            meta: None,
            message,
            requested_schema,
        },
    ))
}

/// The client's `ElicitResult` as the contract's record.
fn result(answer: Value) -> Result<ElicitResult, String> {
    let action = match answer.get("action").and_then(Value::as_str) {
        Some("accept") => Action::Accept,
        Some("decline") => Action::Decline,
        Some("cancel") => Action::Cancel,
        _ => return Err("the client's elicitation answer has no action".into()),
    };
    let content = match answer.get("content") {
        None | Some(Value::Null) => None,
        Some(c @ Value::Object(_)) => Some(c.to_string()),
        Some(_) => return Err("the client's elicitation answer is not an object".into()),
    };
    Ok(ElicitResult { action, content })
}

impl elicitation::Host for CallCore {
    async fn elicit(
        &mut self,
        message: String,
        requested_schema: String,
    ) -> wasmtime::Result<Result<ElicitResult, String>> {
        asks::ask(self, || params(message, &requested_schema), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_must_be_mcps_form_subset() {
        let ok = r#"{"type":"object","properties":{"status":{"type":"string","enum":["a","b"],"default":"a"},
            "n":{"type":"integer","default":3},"legacy":{"type":"string","enum":["x"],"enumNames":["X"]}},"required":[]}"#;
        let Ok(Ask::Elicitation(p)) = params("m".into(), ok) else {
            panic!("a form schema")
        };
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(
            v["requestedSchema"]["properties"]["legacy"]["enumNames"][0],
            "X"
        );
        assert_eq!(v["requestedSchema"]["properties"]["n"]["default"], 3);
        // Nested objects are not part of the subset.
        let nested = r#"{"type":"object","properties":{"o":{"type":"object","properties":{}}}}"#;
        assert!(params("m".into(), nested).is_err());
        assert!(params("m".into(), "not json").is_err());
    }

    #[test]
    fn an_answer_needs_an_action_and_an_object() {
        let r = result(serde_json::json!({"action": "accept", "content": {"a": 1}})).expect("ok");
        assert!(matches!(r.action, Action::Accept));
        assert_eq!(r.content.as_deref(), Some(r#"{"a":1}"#));
        assert!(result(serde_json::json!({"content": {}})).is_err());
        assert!(result(serde_json::json!({"action": "accept", "content": [1]})).is_err());
    }
}
