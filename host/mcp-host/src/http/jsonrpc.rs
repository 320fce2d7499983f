//! The JSON-RPC envelope of `POST /mcp`, checked before rmcp sees it: the
//! body must arrive within the read timeout and fit the size cap; a body that
//! is not JSON is answered `400` with a JSON-RPC `-32700` parse error, and JSON
//! that is not one JSON-RPC message (a batch, a bare value) `400` with
//! `-32600`, as JSON-RPC says, rather than rmcp's `415`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use serde::de::IgnoredAny;

/// Limits on a request body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

fn jsonrpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"))
        })
}

pub async fn check(State(limits): State<Arc<BodyLimits>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !is_json(&req) {
        // rmcp answers other methods and media types itself.
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let collected = tokio::time::timeout(
        limits.read_timeout,
        Limited::new(body, limits.max_bytes).collect(),
    )
    .await;
    let bytes = match collected {
        Err(_) => {
            return (
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "Request Timeout: the body did not arrive within {} s",
                    limits.read_timeout.as_secs()
                ),
            )
                .into_response();
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Payload Too Large: request body exceeds {} bytes",
                    limits.max_bytes
                ),
            )
                .into_response();
        }
        Ok(Err(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                "Bad Request: the body could not be read",
            )
                .into_response();
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    if serde_json::from_slice::<IgnoredAny>(&bytes).is_err() {
        return jsonrpc_error(
            StatusCode::BAD_REQUEST,
            -32700,
            "Parse error: the request body is not valid JSON",
        );
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        // The media type was JSON and so was the body: rmcp refused the
        // message itself.
        return jsonrpc_error(
            StatusCode::BAD_REQUEST,
            -32600,
            "Invalid Request: the body must be one JSON-RPC 2.0 request, notification or response (batches are not supported)",
        );
    }
    response
}
