//! What one tool call may say to, and ask of, the client that made it: the
//! per-call half of the client-facing imports (`mcp:plugin/notify`,
//! `/sampling`, `/elicitation`, contract 0.2).
//!
//! **Notifications** (log messages, progress) go out while the call runs,
//! through the request's peer: on the request's own event stream, or the
//! session's. At most [`MAX_NOTIFICATIONS_PER_CALL`] per call are delivered;
//! the rest are dropped (the plugin is told, and the host logs it once).
//!
//! **Asks** (sampling, elicitation) never wait inside the sandbox: a human may
//! take minutes, and a waiting instance would hold its memory, its admission
//! slot and its deadline. An ask that has no answer yet ends the run with
//! [`NeedsInput`]; the host (`mcp::asking`) asks the client outside the
//! sandbox (a server-to-client request in a session, or the input-required
//! result of protocol 2026-07-28) and runs the call again from the start with
//! the answers so far, which the imports hand back in order ([`Answer`]).
//! Notifications already delivered by an earlier run are not sent again.
//! Asks come before writes: an ask after the call wrote is refused, so a run
//! that ends to ask has written nothing and running it again repeats no write.

// Logging and sampling are deprecated by SEP-2577 (rmcp marks their types),
// but clients of every protocol this host serves still use them.
#![allow(deprecated)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::model::{
    CreateMessageRequestParams, ElicitRequestParams, LoggingLevel, LoggingMessageNotificationParam,
    ProgressNotificationParam, ProgressToken,
};
use rmcp::{Peer, RoleServer};
use std::sync::Arc;

use crate::subscriptions::Subscriptions;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Asks one call may make (each a round trip to the client).
pub const MAX_ASKS_PER_CALL: usize = 8;
/// Notifications (log messages and progress) one call may deliver.
pub const MAX_NOTIFICATIONS_PER_CALL: usize = 100;
/// The largest log message (its JSON data), in bytes.
pub const MAX_NOTIFICATION_BYTES: usize = 16 * 1024;
/// The largest answer kept (a client's result, as JSON), in bytes.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// How long delivering one notification may hold the call.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(1);

/// What an ask asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskKind {
    Sampling,
    Elicitation,
}

impl AskKind {
    /// The client capability that lets it be asked this.
    pub fn capability(self) -> &'static str {
        match self {
            AskKind::Sampling => "sampling",
            AskKind::Elicitation => "elicitation",
        }
    }
}

/// One question for the client.
#[derive(Debug, Clone)]
#[allow(deprecated)]
pub enum Ask {
    Sampling(CreateMessageRequestParams),
    Elicitation(ElicitRequestParams),
}

impl Ask {
    pub fn kind(&self) -> AskKind {
        match self {
            Ask::Sampling(_) => AskKind::Sampling,
            Ask::Elicitation(_) => AskKind::Elicitation,
        }
    }
}

/// The client's answer to one ask: its result (JSON), or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub kind: AskKind,
    pub result: Result<Value, String>,
}

impl Answer {
    /// An answer as received, refused when it is too large to keep.
    pub fn received(kind: AskKind, value: Value) -> Answer {
        let size = serde_json::to_vec(&value).map_or(usize::MAX, |v| v.len());
        let result = if size > MAX_ANSWER_BYTES {
            Err(format!(
                "the client's answer was {size} bytes, over the {MAX_ANSWER_BYTES} bytes a call may receive"
            ))
        } else {
            Ok(value)
        };
        Answer { kind, result }
    }

    pub fn failed(kind: AskKind, why: impl Into<String>) -> Answer {
        Answer {
            kind,
            result: Err(why.into()),
        }
    }
}

/// How this request's client can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskVia {
    /// A session: a server-to-client request on the request's stream.
    Session,
    /// Protocol 2026-07-28: the input-required result and its retry.
    InputRequired,
    /// Not at all (a stateless request of an earlier protocol, or no call).
    Nowhere,
}

/// The run ended to ask the client (not a fault: `mcp::asking` asks, then
/// runs the call again).
#[derive(Debug, thiserror::Error)]
#[error("the call is waiting for the client's answer")]
pub struct NeedsInput;

/// Where a plugin's `resource-updated` goes: the sessions subscribed, for a
/// resource the calling plugin serves (`serves` says which).
#[derive(Clone)]
pub struct ResourceNotifier {
    pub subscriptions: Arc<Subscriptions>,
    pub serves: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

/// The client-facing half of one run of one tool call.
pub struct ClientLink {
    /// Where notifications go (none while loading, or for prompts and resources).
    pub peer: Option<Peer<RoleServer>>,
    /// The request's progress token, when it asked for progress.
    pub progress_token: Option<ProgressToken>,
    /// Log messages below this level are not sent.
    pub min_level: LoggingLevel,
    pub via: AskVia,
    pub can_sample: bool,
    pub can_elicit: bool,
    /// Resource update notifications (tool calls only).
    pub resources: Option<ResourceNotifier>,
    /// Answers from earlier rounds, in the order the call asked.
    answers: Vec<Answer>,
    /// Notifications delivered by earlier runs of this call (not sent again).
    delivered_before: usize,
    /// This run's counts.
    asks_made: AtomicUsize,
    notices_made: AtomicUsize,
    delivered: AtomicUsize,
    flood_logged: AtomicBool,
    /// The ask that ended this run.
    pending: Mutex<Option<Ask>>,
}

/// How one notification fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Sent by an earlier run of this call.
    AlreadySent,
    /// Not sent: below the client's level, no progress token, no way to the client.
    NotWanted,
    /// Not sent: over the per-call limit or too large.
    OverLimit,
}

impl ClientLink {
    /// One link that reaches nobody, shared by the calls of plugins that were
    /// linked no client-facing interface (they cannot call its imports, so
    /// its counters are never touched): no allocation per call.
    pub fn shared_none() -> Arc<ClientLink> {
        static NONE: std::sync::LazyLock<Arc<ClientLink>> =
            std::sync::LazyLock::new(|| Arc::new(ClientLink::none()));
        NONE.clone()
    }

    /// A link that reaches nobody: loading, prompts, resources, tests.
    pub fn none() -> ClientLink {
        ClientLink::new(
            None,
            None,
            LoggingLevel::Info,
            AskVia::Nowhere,
            false,
            false,
        )
    }

    pub fn new(
        peer: Option<Peer<RoleServer>>,
        progress_token: Option<ProgressToken>,
        min_level: LoggingLevel,
        via: AskVia,
        can_sample: bool,
        can_elicit: bool,
    ) -> ClientLink {
        ClientLink {
            peer,
            progress_token,
            min_level,
            via,
            can_sample,
            can_elicit,
            resources: None,
            answers: Vec::new(),
            delivered_before: 0,
            asks_made: AtomicUsize::new(0),
            notices_made: AtomicUsize::new(0),
            delivered: AtomicUsize::new(0),
            flood_logged: AtomicBool::new(false),
            pending: Mutex::new(None),
        }
    }

    /// The same client, for the next run: with the answers so far, knowing
    /// how many notifications earlier runs delivered.
    pub fn next_run(&self, answers: Vec<Answer>, delivered_before: usize) -> ClientLink {
        let mut next = ClientLink::new(
            self.peer.clone(),
            self.progress_token.clone(),
            self.min_level,
            self.via,
            self.can_sample,
            self.can_elicit,
        );
        next.resources = self.resources.clone();
        next.answers = answers;
        next.delivered_before = delivered_before;
        next
    }

    /// The answers this run was given.
    pub fn answers(&self) -> &[Answer] {
        &self.answers
    }

    /// Notifications delivered so far, by this run and earlier ones.
    pub fn delivered(&self) -> usize {
        self.delivered_before
            .max(self.delivered.load(Ordering::Relaxed))
    }

    /// The ask that ended this run, if one did.
    pub fn take_pending(&self) -> Option<Ask> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    fn can(&self, kind: AskKind) -> bool {
        self.via != AskVia::Nowhere
            && match kind {
                AskKind::Sampling => self.can_sample,
                AskKind::Elicitation => self.can_elicit,
            }
    }

    /// The answer to this run's next ask: from an earlier round, or (the
    /// `Err`) end the run to ask it. The inner `Err` is for the plugin.
    pub fn ask(&self, ask: Ask) -> Result<Result<Value, String>, NeedsInput> {
        let index = self.asks_made.fetch_add(1, Ordering::Relaxed);
        if index >= MAX_ASKS_PER_CALL {
            return Ok(Err(format!(
                "this call already asked the client {MAX_ASKS_PER_CALL} times, the most one call may"
            )));
        }
        let kind = ask.kind();
        if let Some(answer) = self.answers.get(index) {
            if answer.kind != kind {
                return Ok(Err(format!(
                    "run again with the same arguments and answers, this call asked for {} where it had asked for {}: a tool that asks must ask the same things in the same order",
                    kind.capability(),
                    answer.kind.capability()
                )));
            }
            return Ok(answer.result.clone());
        }
        if !self.can(kind) {
            return Ok(Err(format!(
                "this client cannot be asked for {0}: it did not declare the `{0}` capability, or this request has no way back to it (a stateless request of a protocol before 2026-07-28)",
                kind.capability()
            )));
        }
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(ask);
        Err(NeedsInput)
    }

    /// Count one notification: its index, or why it is not to be sent.
    fn admit(&self, plugin: &str) -> Result<usize, Delivery> {
        let index = self.notices_made.fetch_add(1, Ordering::Relaxed);
        if index >= MAX_NOTIFICATIONS_PER_CALL {
            if !self.flood_logged.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    plugin,
                    limit = MAX_NOTIFICATIONS_PER_CALL,
                    "plugin sent more notifications than one call may deliver; the rest are dropped"
                );
            }
            return Err(Delivery::OverLimit);
        }
        if index < self.delivered_before {
            return Err(Delivery::AlreadySent);
        }
        Ok(index)
    }

    fn sent(&self, index: usize) -> Delivery {
        self.delivered.fetch_max(index + 1, Ordering::Relaxed);
        Delivery::Sent
    }

    /// Send a log message (`notifications/message`).
    #[allow(deprecated)]
    pub async fn log_message(
        &self,
        plugin: &str,
        level: LoggingLevel,
        logger: Option<String>,
        data: String,
    ) -> Delivery {
        let index = match self.admit(plugin) {
            Ok(i) => i,
            Err(d) => return d,
        };
        if data.len() > MAX_NOTIFICATION_BYTES {
            return Delivery::OverLimit;
        }
        if rank(level) < rank(self.min_level) {
            return Delivery::NotWanted;
        }
        let Some(peer) = &self.peer else {
            return Delivery::NotWanted;
        };
        // JSON as written; any other text as a JSON string.
        let data = serde_json::from_str::<Value>(&data).unwrap_or(Value::String(data));
        let logger = logger.map(|l| crate::logtext::escaped(&l, 128));
        let mut param = LoggingMessageNotificationParam::new(level, data);
        param.logger = logger;
        match tokio::time::timeout(NOTIFY_TIMEOUT, peer.notify_logging_message(param)).await {
            Ok(Ok(())) => self.sent(index),
            _ => Delivery::NotWanted,
        }
    }

    /// Report progress (`notifications/progress`), when the request asked for it.
    pub async fn progress(
        &self,
        plugin: &str,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    ) -> Delivery {
        let index = match self.admit(plugin) {
            Ok(i) => i,
            Err(d) => return d,
        };
        let (Some(peer), Some(token)) = (&self.peer, &self.progress_token) else {
            return Delivery::NotWanted;
        };
        if !progress.is_finite() || total.is_some_and(|t| !t.is_finite()) {
            return Delivery::NotWanted;
        }
        let message = message.map(|m| crate::logtext::escaped(&m, 1024));
        let mut param = ProgressNotificationParam::new(token.clone(), progress);
        param.total = total;
        param.message = message;
        match tokio::time::timeout(NOTIFY_TIMEOUT, peer.notify_progress(param)).await {
            Ok(Ok(())) => self.sent(index),
            _ => Delivery::NotWanted,
        }
    }
}

impl ClientLink {
    /// Tell the sessions subscribed to `uri` that it changed, if this call's
    /// plugin serves it.
    pub async fn resource_updated(&self, plugin: &str, uri: &str) -> Delivery {
        let index = match self.admit(plugin) {
            Ok(i) => i,
            Err(d) => return d,
        };
        let Some(r) = &self.resources else {
            return Delivery::NotWanted;
        };
        if !(r.serves)(uri) {
            tracing::warn!(plugin, uri = %crate::logtext::escaped(uri, 256),
                "plugin announced an update of a resource it does not serve; not sent");
            return Delivery::NotWanted;
        }
        if r.subscriptions.updated(uri).await > 0 {
            self.sent(index)
        } else {
            Delivery::NotWanted
        }
    }
}

/// A level's severity, lowest first.
#[allow(deprecated)]
pub fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elicit() -> Ask {
        let params: ElicitRequestParams = serde_json::from_value(serde_json::json!({
            "message": "name?",
            "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}}}
        }))
        .expect("params");
        Ask::Elicitation(params)
    }

    #[test]
    fn an_unanswered_ask_ends_the_run_and_the_next_run_gets_the_answer_in_order() {
        let link = ClientLink::new(None, None, LoggingLevel::Info, AskVia::Session, false, true);
        assert!(link.ask(elicit()).is_err());
        assert_eq!(
            link.take_pending().map(|a| a.kind()),
            Some(AskKind::Elicitation)
        );
        let answer = Answer::received(
            AskKind::Elicitation,
            serde_json::json!({"action": "decline"}),
        );
        let next = link.next_run(vec![answer.clone()], 0);
        assert_eq!(next.ask(elicit()).ok(), Some(answer.result));
        // The second ask of the next run has no answer yet.
        assert!(next.ask(elicit()).is_err());
    }

    #[test]
    fn a_client_without_the_capability_is_not_asked_and_asks_are_bounded() {
        let link = ClientLink::new(
            None,
            None,
            LoggingLevel::Info,
            AskVia::Session,
            false,
            false,
        );
        let refused = link.ask(elicit()).expect("answered at once");
        assert!(refused.unwrap_err().contains("`elicitation` capability"));
        let nowhere = ClientLink::new(None, None, LoggingLevel::Info, AskVia::Nowhere, true, true);
        assert!(nowhere.ask(elicit()).expect("answered").is_err());
        let answers = (0..MAX_ASKS_PER_CALL)
            .map(|_| Answer::failed(AskKind::Elicitation, "no"))
            .collect();
        let full = link.next_run(answers, 0);
        for _ in 0..MAX_ASKS_PER_CALL {
            let _ = full.ask(elicit());
        }
        let over = full.ask(elicit()).expect("answered at once");
        assert!(over.unwrap_err().contains("the most one call may"));
    }

    #[test]
    fn notifications_are_bounded_per_call_and_not_repeated_by_a_later_run() {
        let link = ClientLink::none();
        for i in 0..MAX_NOTIFICATIONS_PER_CALL {
            assert_eq!(link.admit("p"), Ok(i));
        }
        assert_eq!(link.admit("p"), Err(Delivery::OverLimit));
        let next = link.next_run(Vec::new(), 3);
        assert_eq!(next.admit("p"), Err(Delivery::AlreadySent));
        assert_eq!(next.admit("p"), Err(Delivery::AlreadySent));
        assert_eq!(next.admit("p"), Err(Delivery::AlreadySent));
        assert_eq!(next.admit("p"), Ok(3));
    }

    #[test]
    fn an_oversized_answer_is_kept_as_a_refusal() {
        let big = Value::String("x".repeat(MAX_ANSWER_BYTES + 1));
        assert!(Answer::received(AskKind::Sampling, big).result.is_err());
    }
}
