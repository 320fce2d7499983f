//! Structured content goes to the client as the plugin wrote it.
//!
//! rmcp's `CallToolResult` holds structured content as a `serde_json::Value`.
//! Building that tree from a plugin's text only for rmcp to write it straight
//! back cost about a fifth of the CPU of a large read (`tests/load/run.sh`
//! measures it). So in stateless mode, where every answer travels on the
//! response of the POST that asked, this layer gives each request a
//! [`Passthrough`]; the handler parks the checked text there
//! ([`Passthrough::park`]) and puts an unguessable placeholder object in
//! `structuredContent`; the layer puts the text in the placeholder's place in
//! the response body, whether one JSON document or server-sent events.
//!
//! Why this is safe: the placeholder is made by the host from a per-process
//! random nonce after the plugin returned, so no plugin can write it; and in
//! the serialized response a plugin's own text only ever appears JSON-escaped,
//! so the quoted placeholder cannot be met anywhere else. The parked text was
//! checked to be one JSON object on one line (`sandbox::json_check`), so the
//! spliced body is valid JSON and a valid event. In stateful mode (answers may
//! be replayed on another stream) the layer is not installed: the sandbox
//! parses the structured content into the `Value` rmcp writes, one parse that
//! is also the check (`sandbox::call::StructuredForm`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body::Body as _;
use http_body_util::BodyExt;

const PLACEHOLDER_KEY: &str = "access-mcp-structured-content";

/// The structured contents parked by one HTTP request's handler.
#[derive(Default)]
pub struct Passthrough {
    parked: Mutex<Vec<Parked>>,
}

struct Parked {
    /// The placeholder as it appears in the serialized body.
    quoted: String,
    text: String,
}

impl Passthrough {
    /// Park `text` (one checked JSON object on one line) and return the
    /// placeholder to put where it belongs: an object (rmcp moves anything
    /// else out of `structuredContent` for clients before 2026-07-28) with one
    /// key, which serde_json writes as `{"key":"value"}`, no spaces.
    pub fn park(&self, text: String) -> serde_json::Value {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = format!("{}:{}", nonce(), NEXT.fetch_add(1, Ordering::Relaxed));
        let quoted = format!("{{\"{PLACEHOLDER_KEY}\":\"{id}\"}}");
        self.lock().push(Parked { quoted, text });
        serde_json::json!({ PLACEHOLDER_KEY: id })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Parked>> {
        self.parked.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// `bytes` with every parked placeholder it holds replaced by its text.
    fn splice(&self, mut bytes: Bytes) -> Bytes {
        self.lock().retain(|p| {
            // The structured content comes last in a tool result: look from the end.
            let Some(at) = memchr::memmem::rfind(&bytes, p.quoted.as_bytes()) else {
                return true;
            };
            let mut out = Vec::with_capacity(bytes.len() - p.quoted.len() + p.text.len());
            out.extend_from_slice(&bytes[..at]);
            out.extend_from_slice(p.text.as_bytes());
            out.extend_from_slice(&bytes[at + p.quoted.len()..]);
            bytes = Bytes::from(out);
            false
        });
        bytes
    }
}

/// 128 random bits, hex, drawn once per process.
fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| hex::encode(rand::random::<[u8; 16]>()))
}

/// The layer (stateless mode only): give the request a [`Passthrough`] and
/// splice what its handler parked into the response body.
pub async fn splice(mut request: Request, next: Next) -> Response {
    let passthrough = Arc::new(Passthrough::default());
    request.extensions_mut().insert(passthrough.clone());
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let body = if body.size_hint().exact().is_some() {
        // One JSON document, already in memory and its handler done: when
        // something was parked, splice it whole so the response keeps its
        // exact length.
        if passthrough.is_empty() {
            return Response::from_parts(parts, body);
        }
        match body.collect().await {
            Ok(collected) => Body::from(passthrough.splice(collected.to_bytes())),
            Err(e) => {
                tracing::error!("response body failed: {e}");
                parts.status = http::StatusCode::INTERNAL_SERVER_ERROR;
                return Response::from_parts(parts, Body::empty());
            }
        }
    } else {
        // Server-sent events: each event is one frame, spliced as it passes.
        Body::new(body.map_frame(move |frame| frame.map_data(|d| passthrough.splice(d))))
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_the_parked_text_in_place_of_its_placeholder() {
        let p = Passthrough::default();
        let placeholder = p.park(r#"{"a":[1,2]}"#.to_string());
        // What is searched for is exactly how serde_json writes the placeholder.
        assert_eq!(p.lock()[0].quoted, placeholder.to_string());
        let result = serde_json::json!({
            "content": [{"type": "text", "text": "{\"a\":[1,2]}"}],
            "structuredContent": placeholder,
            "isError": false,
        });
        let body = Bytes::from(serde_json::to_vec(&result).expect("json"));
        let spliced = p.splice(body);
        let back: serde_json::Value = serde_json::from_slice(&spliced).expect("valid JSON");
        assert_eq!(back["structuredContent"], serde_json::json!({"a": [1, 2]}));
        assert_eq!(back["isError"], false);
        assert!(p.lock().is_empty());
    }

    #[test]
    fn a_placeholder_written_by_a_plugin_is_not_spliced() {
        let p = Passthrough::default();
        let placeholder = p.park(r#"{"x":1}"#.to_string());
        let forged = placeholder.to_string();
        // The plugin's text carries the placeholder; serialized, it is escaped.
        let result = serde_json::json!({
            "content": [{"type": "text", "text": forged}],
            "structuredContent": placeholder,
        });
        let spliced = p.splice(Bytes::from(serde_json::to_vec(&result).expect("json")));
        let back: serde_json::Value = serde_json::from_slice(&spliced).expect("valid JSON");
        assert_eq!(back["content"][0]["text"], forged);
        assert_eq!(back["structuredContent"], serde_json::json!({"x": 1}));
    }

    #[test]
    fn bytes_without_a_placeholder_pass_unchanged() {
        let p = Passthrough::default();
        p.park("{}".to_string());
        let body = Bytes::from_static(b"data: {\"jsonrpc\":\"2.0\"}\n\n");
        assert_eq!(p.splice(body.clone()), body);
        assert_eq!(p.lock().len(), 1);
    }

    #[test]
    fn placeholders_differ_per_call() {
        let p = Passthrough::default();
        assert_ne!(p.park("{}".into()), p.park("{}".into()));
    }
}
