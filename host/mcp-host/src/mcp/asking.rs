//! Asking the client what a plugin asked ([`crate::client_link`]), outside
//! the sandbox: a server-to-client request in a session, or the
//! input-required result of protocol 2026-07-28, whose retry carries the
//! answer back under the key [`key`] names.

// Sampling and logging are deprecated by SEP-2577 (rmcp marks their types),
// but clients of every protocol this host serves still use them.
#![allow(deprecated)]

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, CreateMessageRequest, ElicitRequest, InputRequest, InputRequests,
    InputRequiredResult, ProtocolVersion,
};
use rmcp::service::RequestContext;
use serde_json::Value;

use crate::client_link::{Answer, Ask, AskKind, AskVia, ClientLink};

/// How this request's client can be reached, and what it can answer.
pub fn link_for(
    context: &RequestContext<RoleServer>,
    min_level: rmcp::model::LoggingLevel,
) -> ClientLink {
    let capabilities = context.client_capabilities();
    let can_sample = capabilities.as_ref().is_some_and(|c| c.sampling.is_some());
    let can_elicit = capabilities
        .as_ref()
        .is_some_and(|c| c.elicitation.is_some());
    // A stateless request of an earlier protocol reports no capabilities, so
    // it cannot be asked; a session can, by a request on the POST's stream.
    let via = match context.protocol_version() {
        Some(v) if v >= ProtocolVersion::V_2026_07_28 => AskVia::InputRequired,
        _ => AskVia::Session,
    };
    ClientLink::new(
        Some(context.peer.clone()),
        context.meta.get_progress_token(),
        min_level,
        via,
        can_sample,
        can_elicit,
    )
}

/// The key of the `index`-th ask in `inputRequests` / `inputResponses`.
pub fn key(index: usize) -> String {
    format!("ask_{index}")
}

/// The input-required result that asks `ask` under `key`, carrying `state`.
#[allow(deprecated)]
pub fn input_required(ask: &Ask, key: String, state: String) -> CallToolResponse {
    let request = match ask {
        Ask::Sampling(p) => InputRequest::CreateMessage(CreateMessageRequest::new(p.clone())),
        Ask::Elicitation(p) => InputRequest::Elicitation(ElicitRequest::new(p.clone())),
    };
    let mut requests = InputRequests::new();
    requests.insert(key, request);
    InputRequiredResult::new(Some(requests), Some(state)).into()
}

/// The answer a retry carries for an ask of `kind`.
pub fn answer_from_retry(kind: AskKind, response: Option<&Value>) -> Answer {
    match response {
        Some(v) => Answer::received(kind, v.clone()),
        None => Answer::failed(kind, "the client's retry did not answer this question"),
    }
}

/// Ask a session client, waiting at most `ttl`.
#[allow(deprecated)]
pub async fn ask_session(context: &RequestContext<RoleServer>, ask: &Ask, ttl: Duration) -> Answer {
    let kind = ask.kind();
    let asked = async {
        match ask {
            Ask::Sampling(p) => context
                .peer
                .create_message(p.clone())
                .await
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null)),
            Ask::Elicitation(p) => context
                .peer
                .create_elicitation(p.clone())
                .await
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null)),
        }
    };
    match tokio::time::timeout(ttl, asked).await {
        Err(_) => Answer::failed(kind, "the client did not answer in time"),
        Ok(Err(e)) => Answer::failed(kind, format!("the client could not answer: {e}")),
        Ok(Ok(value)) => Answer::received(kind, value),
    }
}
