//! `mcp:plugin/sampling` (contract 0.2, granted by the manifest): ask the
//! client's model for a message during a tool call. The question goes
//! through the call's [`ClientLink`](crate::client_link::ClientLink): answered
//! from an earlier round, or the run ends to ask it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use wasmtime::component::HasSelf;

use super::asks::{self, checked_text};
use crate::bindings::v2::mcp::plugin::sampling::{
    self, CreateMessageRequest, CreateMessageResult, SamplingMessage,
};
use crate::bindings::v2::mcp::plugin::types::{Binary, Content, Role};
use crate::capability::{Grant, Interface};
use crate::client_link::Ask;
use crate::sandbox::state::CallCore;

pub const INTERFACE: Interface = Interface {
    name: "mcp:plugin/sampling",
    summary: "ask the client's model for a message during a tool call (sampling/createMessage)",
    grant: Grant::Manifest,
    link: |l| sampling::add_to_linker::<_, HasSelf<CallCore>>(l, |s| &mut s.core),
};

/// Messages one request may carry.
const MAX_MESSAGES: usize = 64;
/// The largest request, as MCP's JSON (its texts, images and audio together).
const MAX_REQUEST_BYTES: usize = 256 * 1024;

fn role(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// One message as MCP writes it: text, an image or audio.
fn message(m: SamplingMessage) -> Result<Value, String> {
    let content = match m.content {
        Content::Text(text) => json!({"type": "text", "text": text}),
        Content::Image(b) => {
            json!({"type": "image", "data": B64.encode(&b.data), "mimeType": b.mime_type})
        }
        Content::Audio(b) => {
            json!({"type": "audio", "data": B64.encode(&b.data), "mimeType": b.mime_type})
        }
        Content::EmbeddedResource(_) | Content::ResourceLink(_) => {
            return Err("a sampling message carries text, an image or audio".into());
        }
    };
    Ok(json!({"role": role(m.role), "content": content}))
}

/// The request as MCP's `sampling/createMessage` parameters.
fn params(r: CreateMessageRequest) -> Result<Ask, String> {
    if r.messages.is_empty() || r.messages.len() > MAX_MESSAGES {
        return Err(format!(
            "a sampling request carries 1 to {MAX_MESSAGES} messages"
        ));
    }
    let messages = r
        .messages
        .into_iter()
        .map(message)
        .collect::<Result<Vec<_>, _>>()?;
    let mut p = json!({"messages": messages, "maxTokens": r.max_tokens});
    if let Some(s) = r.system_prompt {
        p["systemPrompt"] = Value::String(checked_text(s, "system-prompt")?);
    }
    if let Some(t) = r.temperature.filter(|t| t.is_finite()) {
        p["temperature"] = json!(t);
    }
    if !r.stop_sequences.is_empty() {
        p["stopSequences"] = json!(r.stop_sequences);
    }
    let size = p.to_string().len();
    if size > MAX_REQUEST_BYTES {
        return Err(format!(
            "a sampling request is {size} bytes, over the {MAX_REQUEST_BYTES} one may be"
        ));
    }
    serde_json::from_value(p)
        .map(Ask::Sampling)
        .map_err(|e| format!("not a sampling request: {e}"))
}

/// The client's `CreateMessageResult` as the contract's record (its first
/// text, image or audio block).
fn result(answer: Value) -> Result<CreateMessageResult, String> {
    let bad = |why: &str| format!("the client's sampling answer {why}");
    let role = match answer.get("role").and_then(Value::as_str) {
        Some("assistant") => Role::Assistant,
        Some("user") => Role::User,
        _ => return Err(bad("has no role")),
    };
    let blocks = match answer.get("content") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Err(bad("has no content")),
    };
    let content = blocks
        .iter()
        .find_map(|b| {
            let data = |b: &Value| {
                let bytes = B64.decode(b.get("data")?.as_str()?).ok()?;
                let mime_type = b.get("mimeType")?.as_str()?.to_string();
                Some(Binary {
                    data: bytes,
                    mime_type,
                })
            };
            match b.get("type")?.as_str()? {
                "text" => Some(Content::Text(b.get("text")?.as_str()?.to_string())),
                "image" => data(b).map(Content::Image),
                "audio" => data(b).map(Content::Audio),
                _ => None,
            }
        })
        .ok_or_else(|| bad("has no text, image or audio"))?;
    Ok(CreateMessageResult {
        role,
        content,
        model: answer
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        stop_reason: answer
            .get("stopReason")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

impl sampling::Host for CallCore {
    async fn create_message(
        &mut self,
        request: CreateMessageRequest,
    ) -> wasmtime::Result<Result<CreateMessageResult, String>> {
        asks::ask(self, || params(request), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_answer_becomes_the_record_and_a_malformed_one_an_error() {
        let r = result(
            json!({"role": "assistant", "content": {"type": "text", "text": "hi"},
            "model": "m", "stopReason": "endTurn"}),
        )
        .expect("answer");
        assert!(matches!(r.content, Content::Text(ref t) if t == "hi"));
        assert_eq!(
            (r.model.as_str(), r.stop_reason.as_deref()),
            ("m", Some("endTurn"))
        );
        let image = result(json!({"role": "assistant", "model": "m",
            "content": [{"type": "image", "data": "AQID", "mimeType": "image/png"}]}))
        .expect("image");
        assert!(matches!(image.content, Content::Image(ref b) if b.data == vec![1, 2, 3]));
        assert!(result(json!({"role": "assistant", "content": {"type": "text"}})).is_err());
        assert!(result(json!({"content": {"type": "text", "text": "x"}})).is_err());
    }

    #[test]
    fn a_request_is_mcps_parameters_and_resources_are_refused() {
        let ask = params(CreateMessageRequest {
            messages: vec![SamplingMessage {
                role: Role::User,
                content: Content::Text("hello".into()),
            }],
            system_prompt: None,
            max_tokens: 100,
            temperature: None,
            stop_sequences: vec![],
        })
        .expect("params");
        let Ask::Sampling(p) = ask else {
            panic!("a sampling ask")
        };
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(v["messages"][0]["content"]["text"], "hello");
        assert_eq!(v["maxTokens"], 100);
        let huge = params(CreateMessageRequest {
            messages: vec![SamplingMessage {
                role: Role::User,
                content: Content::Text("x".repeat(MAX_REQUEST_BYTES)),
            }],
            system_prompt: None,
            max_tokens: 1,
            temperature: None,
            stop_sequences: vec![],
        });
        assert!(huge.is_err_and(|e| e.contains("over the")));
        assert!(
            params(CreateMessageRequest {
                messages: vec![],
                system_prompt: None,
                max_tokens: 1,
                temperature: None,
                stop_sequences: vec![],
            })
            .is_err()
        );
    }
}
