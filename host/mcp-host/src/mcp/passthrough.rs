//! Structured content goes to the client as the plugin wrote it, and a tool's
//! text is escaped once, straight into the response body.
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
//! The text content block goes the same way ([`Passthrough::park_text`]): rmcp
//! writes a placeholder string, the layer writes the text there as a JSON
//! string, escaped with SIMD (the byte loop rmcp's serde_json runs, into a
//! buffer that grows and is then copied again by the splice, was a tenth of a
//! large read's instructions).
//!
//! Why this is safe: a placeholder is made by the host from a per-process
//! random nonce after the plugin returned, so no plugin can write it; and in
//! the serialized response a plugin's own text only ever appears JSON-escaped,
//! where every `"` follows a `\`, so a quoted placeholder cannot be met
//! anywhere else. The parked structured text was checked to be one JSON object
//! on one line (`sandbox::json_check`) and the text content is written escaped,
//! so the spliced body is valid JSON and a valid event. In stateful mode (answers may
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
const TEXT_PLACEHOLDER_PREFIX: &str = "access-mcp-text";

/// The texts parked by one HTTP request's handler.
#[derive(Default)]
pub struct Passthrough {
    parked: Mutex<Vec<Parked>>,
}

struct Parked {
    /// The placeholder as it appears in the serialized body.
    quoted: String,
    /// What goes in its place.
    with: Splice,
}

enum Splice {
    /// Written as it is: one checked JSON object on one line.
    Json(String),
    /// Written as a JSON string: quoted and escaped.
    Text(String),
}

impl Splice {
    /// The bytes this takes in the body (at most, for a text).
    fn room(&self) -> usize {
        match self {
            Splice::Json(json) => json.len(),
            // What the escaper reserves: every byte escaped, the quotes and its margin.
            Splice::Text(text) => text.len() * 6 + 35,
        }
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Splice::Json(json) => out.extend_from_slice(json.as_bytes()),
            // Byte for byte what serde_json writes for the string (a unit test
            // holds it to that), with SIMD instead of a byte loop.
            Splice::Text(text) => json_escape_simd::escape_into(text, out),
        }
    }
}

impl Passthrough {
    /// Park `text` (one checked JSON object on one line) and return the
    /// placeholder to put in `structuredContent`: an object (rmcp moves
    /// anything else out of `structuredContent` for clients before 2026-07-28)
    /// with one key, which serde_json writes as `{"key":"value"}`, no spaces.
    pub fn park(&self, text: String) -> serde_json::Value {
        let id = next_id();
        let quoted = format!("{{\"{PLACEHOLDER_KEY}\":\"{id}\"}}");
        self.lock().push(Parked {
            quoted,
            with: Splice::Json(text),
        });
        serde_json::json!({ PLACEHOLDER_KEY: id })
    }

    /// Park a text content block's `text` and return the placeholder string to
    /// put in the block instead. The text is escaped once, straight into the
    /// response body, rather than by rmcp into a buffer the splice copies again.
    pub fn park_text(&self, text: String) -> String {
        let placeholder = format!("{TEXT_PLACEHOLDER_PREFIX}:{}", next_id());
        // Hex digits and colons: serde_json writes it between quotes as it is.
        self.lock().push(Parked {
            quoted: format!("\"{placeholder}\""),
            with: Splice::Text(text),
        });
        placeholder
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Parked>> {
        self.parked.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// `bytes` with every parked placeholder it holds replaced by what was
    /// parked under it, in one pass; what was spliced is forgotten.
    fn splice(&self, bytes: Bytes) -> Bytes {
        let mut parked = self.lock();
        let mut hits: Vec<(usize, usize)> = parked
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                memchr::memmem::find(&bytes, p.quoted.as_bytes()).map(|at| (at, i))
            })
            .collect();
        if hits.is_empty() {
            return bytes;
        }
        hits.sort_unstable();
        let room: usize = hits.iter().map(|&(_, i)| parked[i].with.room()).sum();
        let mut out = Vec::with_capacity(bytes.len() + room);
        let mut from = 0;
        let mut spliced = Vec::with_capacity(hits.len());
        for (at, i) in hits {
            // Placeholders cannot overlap; were one to, it is left alone.
            if at < from {
                continue;
            }
            out.extend_from_slice(&bytes[from..at]);
            parked[i].with.write_to(&mut out);
            from = at + parked[i].quoted.len();
            spliced.push(i);
        }
        out.extend_from_slice(&bytes[from..]);
        spliced.sort_unstable_by(|a, b| b.cmp(a));
        for i in spliced {
            parked.swap_remove(i);
        }
        Bytes::from(out)
    }
}

/// A placeholder id no plugin can write: the process nonce and a counter.
fn next_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}:{}", nonce(), NEXT.fetch_add(1, Ordering::Relaxed))
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
    fn a_parked_text_is_written_as_serde_json_writes_it() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "plain".into(),
            r#"{"name":"Engineering","tags":["a\\b"],"note":"say \"hi\""}"#.into(),
            "é\u{2028}\u{7f}\u{10ffff}".into(),
        ];
        // Every byte that must be escaped, alone and at every offset across
        // the SIMD kernels' 16- and 32-byte blocks, between multi-byte characters.
        for b in (0u8..0x20).chain([b'"', b'\\']) {
            for at in 0..70 {
                let mut t = "ü".repeat(at / 2) + &"x".repeat(at % 2);
                t.push(char::from(b));
                t.push_str(&"é".repeat(40));
                texts.push(t);
            }
        }
        for text in texts {
            let p = Passthrough::default();
            let placeholder = p.park_text(text.clone());
            let body =
                serde_json::to_vec(&serde_json::json!({ "text": placeholder })).expect("json");
            let spliced = p.splice(Bytes::from(body));
            let expected = serde_json::to_vec(&serde_json::json!({ "text": text })).expect("json");
            assert_eq!(spliced, expected, "text {text:?}");
        }
    }

    #[test]
    fn text_and_structured_content_are_spliced_in_one_pass() {
        let p = Passthrough::default();
        // The plugin's text and structured content both carry the other
        // placeholder, as if a plugin knew the nonce: neither is replaced.
        let text_placeholder = p.park_text(String::new());
        let structured = p.park("{}".to_string());
        let forged_text = format!("{{\"t\":\"{text_placeholder}\",\"s\":{structured}}}");
        let p = Passthrough::default();
        let text = p.park_text(forged_text.clone());
        let structured = p.park(format!("{{\"raw\":\"{text}\"}}"));
        let result = serde_json::json!({
            "content": [{"type": "text", "text": text}],
            "structuredContent": structured,
            "isError": false,
        });
        let spliced = p.splice(Bytes::from(serde_json::to_vec(&result).expect("json")));
        let back: serde_json::Value = serde_json::from_slice(&spliced).expect("valid JSON");
        assert_eq!(back["content"][0]["text"], forged_text);
        assert_eq!(back["structuredContent"]["raw"], text);
        assert!(p.lock().is_empty());
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
