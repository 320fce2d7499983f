//! Asking the user to confirm a planned write, over whichever channel the
//! client has: the input-required retry (protocol 2026-07-28) or an
//! elicitation request in a legacy session. See [`crate::confirm`].

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    CallToolResponse, ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationSchema, InputRequest, InputRequests, InputRequiredResult, ProtocolVersion,
};
use rmcp::service::RequestContext;
use serde_json::Value;

use crate::confirm::PlannedWrite;

/// The key of the confirmation in `inputRequests` / `inputResponses`.
pub const CONFIRM_KEY: &str = "confirm_write";
/// The boolean field the user ticks.
const CONFIRM_FIELD: &str = "confirm";

/// How this client can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Protocol 2026-07-28 with elicitation: return `input_required`, read the retry.
    InputRequired,
    /// A legacy session with elicitation: send `elicitation/create` and wait.
    Elicit,
    /// The client cannot be asked (no elicitation, or a stateless legacy request).
    None,
}

impl Channel {
    pub fn of(context: &RequestContext<RoleServer>) -> Channel {
        let can_elicit = context
            .client_capabilities()
            .is_some_and(|c| c.elicitation.is_some());
        if !can_elicit {
            return Channel::None;
        }
        // A stateless legacy request reports default (empty) capabilities, so
        // elicitation here means either 2026-07-28 or a real session.
        match context.protocol_version() {
            Some(v) if v >= ProtocolVersion::V_2026_07_28 => Channel::InputRequired,
            _ => Channel::Elicit,
        }
    }
}

/// What the user answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    Declined,
}

fn params(write: &PlannedWrite) -> ElicitRequestParams {
    let schema = ElicitationSchema::builder()
        .required_bool_property(CONFIRM_FIELD, |b| {
            b.title("File this request")
                .description("Tick to file the request described above; leave it to cancel.")
        })
        .build()
        // The builder only fails on an empty schema; this one has a property.
        .unwrap_or_else(|_| ElicitationSchema::new(Default::default()));
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: format!("{}\n\nFile this request?", write.summary),
        requested_schema: schema,
    }
}

/// The `input_required` result asking to confirm `write`, carrying `state`.
pub fn input_required(write: &PlannedWrite, state: String) -> CallToolResponse {
    let mut requests = InputRequests::new();
    requests.insert(
        CONFIRM_KEY.to_string(),
        InputRequest::Elicitation(ElicitRequest::new(params(write))),
    );
    InputRequiredResult::new(Some(requests), Some(state)).into()
}

/// The answer in a retry's `inputResponses` (missing or malformed: declined).
pub fn answer_of(response: Option<&Value>) -> Answer {
    let parsed = response.and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok());
    match parsed {
        Some(r) => answer(&r),
        None => Answer::Declined,
    }
}

fn answer(r: &ElicitResult) -> Answer {
    let ticked = r
        .content
        .as_ref()
        .and_then(|c| c.get(CONFIRM_FIELD))
        .is_some_and(|v| v == &Value::Bool(true) || v.as_str() == Some("true"));
    if r.action == ElicitationAction::Accept && ticked {
        Answer::Confirmed
    } else {
        Answer::Declined
    }
}

/// Why an elicitation got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ElicitFailure {
    #[error("the confirmation expired")]
    Expired,
    #[error("the client could not be asked: {0}")]
    Failed(String),
}

/// Ask a session client with `elicitation/create`, waiting at most `ttl`.
pub async fn elicit(
    context: &RequestContext<RoleServer>,
    write: &PlannedWrite,
    ttl: Duration,
) -> Result<Answer, ElicitFailure> {
    match tokio::time::timeout(ttl, context.peer.create_elicitation(params(write))).await {
        Err(_) => Err(ElicitFailure::Expired),
        Ok(Err(e)) => Err(ElicitFailure::Failed(e.to_string())),
        Ok(Ok(r)) => Ok(answer(&r)),
    }
}
