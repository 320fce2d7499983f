//! The outermost layer on `/mcp`: one trace span per HTTP request, continuing
//! the client's W3C `traceparent`. The span rides in the request's extensions
//! ([`RequestSpan`]) so the MCP handler, which rmcp may run on a task of its
//! own, can hang the tool call under it. With traces off the span is never
//! built and nothing is inserted.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use crate::telemetry::{self, TARGET};

/// The span of the HTTP request a handler serves.
#[derive(Clone)]
pub struct RequestSpan(pub tracing::Span);

/// Record the authenticated caller (by id, never by credential).
pub fn record_caller(req: &Request, user_id: &str) {
    if let Some(RequestSpan(span)) = req.extensions().get::<RequestSpan>() {
        span.record("enduser.id", user_id);
    }
}

pub async fn span(mut req: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        target: TARGET,
        "HTTP request",
        otel.name = %format_args!("{} {}", req.method(), req.uri().path()),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %req.method(),
        url.path = req.uri().path(),
        http.response.status_code = Empty,
        mcp.session.id = req.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()),
        user_agent.original = req.headers().get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()),
        enduser.id = Empty,
    );
    if span.is_disabled() {
        return next.run(req).await;
    }
    telemetry::continue_trace(&span, req.headers());
    req.extensions_mut().insert(RequestSpan(span.clone()));
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
}
