//! Confirmation before writes (`MCP_WRITE_CONFIRMATION`).
//!
//! A tool call that would file a request runs first in *plan* mode: the write
//! import does every check of the real operation, then records what it would
//! write ([`PlannedWrite`], with a plain summary) instead of writing, and the
//! host asks the user to confirm that summary — by elicitation in a session,
//! or by the input-required retry of protocol 2026-07-28. Only a confirmed call
//! runs again in *confirmed* mode, where the import writes if what it is about
//! to write is what was confirmed.
//!
//! The retry's `requestState` is sealed by the host (HMAC, with an expiry) and
//! bound to the caller, the tool and the exact arguments, so it cannot be
//! replayed by another user or with other arguments; it is spent once in the
//! shared state (`crate::shared`), so not replayed on another replica either.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use rmcp::model::{RequestStateCodec, RequestStateError, SealOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::client_link::{Answer, AskKind};
use crate::shared::{SharedState, Spend};

/// `MCP_WRITE_CONFIRMATION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConfirmationMode {
    /// Writes run without asking.
    Off,
    /// Ask clients that can be asked; others write without asking.
    WhenSupported,
    /// Ask; refuse writes from clients that cannot be asked.
    Required,
}

/// One write an operation is about to do, as the user will see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedWrite {
    /// `access_request`, `role_request` or `group_request`.
    pub kind: String,
    /// The fields that decide what is written (ids, ownership, reason, …).
    pub binding: Value,
    /// The end date it would carry; compared with a tolerance, because a
    /// relative `until` is resolved against the clock on each round.
    pub ending_at: Option<NaiveDateTime>,
    /// The plain-language summary shown to the user.
    pub summary: String,
}

impl PlannedWrite {
    /// Whether `self` (about to be written) is what `confirmed` described.
    pub fn matches(&self, confirmed: &PlannedWrite, tolerance: Duration) -> bool {
        let tolerance = chrono::Duration::from_std(tolerance).unwrap_or(chrono::Duration::MAX);
        let ends_match = match (self.ending_at, confirmed.ending_at) {
            (None, None) => true,
            (Some(a), Some(b)) => (a - b).abs() <= tolerance,
            _ => false,
        };
        self.kind == confirmed.kind && self.binding == confirmed.binding && ends_match
    }
}

/// What a retry of protocol 2026-07-28 carries back, sealed by the host
/// (`requestState`): the write waiting for the user's confirmation, or the
/// ask waiting for the client's answer, and what earlier rounds of the call
/// received (its answers) and delivered (its notifications).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoundState {
    /// The write to confirm (a confirmation round).
    #[serde(default)]
    pub write: Option<PlannedWrite>,
    /// The kind of the ask waiting for an answer (an ask round).
    #[serde(default)]
    pub asking: Option<AskKind>,
    /// The client's answers so far, in the order the call asked.
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// Notifications earlier rounds delivered.
    #[serde(default)]
    pub notified: usize,
}

/// Why a write import did not write.
#[derive(Debug, thiserror::Error)]
pub enum GateRefusal {
    #[error("this write needs the user's confirmation first")]
    Pending,
    #[error(
        "what this call would create differs from what was confirmed; nothing was created. Call the tool again to confirm the new request."
    )]
    Changed,
    #[error("one confirmation allows one write; nothing more was created")]
    Used,
}

/// What a write import may do in this call; bound by the host per call.
#[derive(Debug, Clone, Default)]
pub enum WriteGate {
    /// Write (confirmation is off, or this client cannot be asked and it is not required).
    #[default]
    Open,
    /// Check everything, record the write, do not write.
    Plan(Arc<Mutex<Option<PlannedWrite>>>),
    /// Write once, if it matches what the user confirmed.
    Confirmed(Arc<Mutex<Option<PlannedWrite>>>),
}

impl WriteGate {
    pub fn plan() -> (WriteGate, Arc<Mutex<Option<PlannedWrite>>>) {
        let cell = Arc::new(Mutex::new(None));
        (WriteGate::Plan(cell.clone()), cell)
    }

    pub fn confirmed(write: PlannedWrite) -> WriteGate {
        WriteGate::Confirmed(Arc::new(Mutex::new(Some(write))))
    }

    /// Called by each write operation after its checks, before it writes.
    pub fn check(&self, planned: PlannedWrite) -> Result<(), GateRefusal> {
        match self {
            WriteGate::Open => Ok(()),
            WriteGate::Plan(cell) => {
                let mut slot = cell.lock().unwrap_or_else(|p| p.into_inner());
                if slot.is_none() {
                    *slot = Some(planned);
                }
                Err(GateRefusal::Pending)
            }
            WriteGate::Confirmed(cell) => {
                let mut slot = cell.lock().unwrap_or_else(|p| p.into_inner());
                let Some(confirmed) = slot.as_ref() else {
                    return Err(GateRefusal::Used);
                };
                if planned.matches(confirmed, MATCH_TOLERANCE) {
                    *slot = None;
                    Ok(())
                } else {
                    Err(GateRefusal::Changed)
                }
            }
        }
    }
}

/// How far a relative end date may move between asking and writing.
pub const MATCH_TOLERANCE: Duration = Duration::from_secs(15 * 60);

/// Why a confirmation presented on a retry was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error(
        "The confirmation expired; nothing was created. Call the tool again to be asked again."
    )]
    Expired,
    #[error(
        "The confirmation does not match this call (it was given to another user, for other arguments, or altered); nothing was created."
    )]
    Mismatch,
    #[error(
        "This confirmation was already used; nothing more was created. Call the tool again to be asked again."
    )]
    AlreadyUsed,
    #[error(
        "The server cannot check that this confirmation was not used already (its shared state store is unavailable); nothing was created. Retry shortly."
    )]
    StoreUnavailable,
}

/// The server's confirmation settings and the key that seals `requestState`.
pub struct Confirmations {
    pub mode: ConfirmationMode,
    pub ttl: Duration,
    codec: RequestStateCodec,
}

#[derive(Debug, thiserror::Error)]
#[error("MCP_WRITE_CONFIRMATION_KEY: {0}")]
pub struct KeyError(String);

impl Confirmations {
    /// `key`: at least 32 bytes shared by every replica (so a retry may land on
    /// any of them); `None` draws a random key for this process.
    pub fn new(
        mode: ConfirmationMode,
        ttl: Duration,
        key: Option<&str>,
    ) -> Result<Confirmations, KeyError> {
        let key: Vec<u8> = match key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => k.as_bytes().to_vec(),
            None => {
                use rand::RngCore;
                let mut k = vec![0u8; 32];
                rand::rng().fill_bytes(&mut k);
                k
            }
        };
        let codec = RequestStateCodec::try_new(key).map_err(|e| KeyError(e.to_string()))?;
        Ok(Confirmations { mode, ttl, codec })
    }

    /// The bytes a confirmation is bound to: caller, tool and exact arguments.
    pub fn binding(user_id: &str, tool: &str, arguments: &Value) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [user_id, tool, &canonical(arguments)] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    /// Seal `round` as the `requestState` of an input-required result.
    pub fn seal(&self, round: &RoundState, binding: &[u8; 32]) -> String {
        // A nonce makes each state unique: two identical calls planned in the
        // same millisecond must get two confirmations, each spent once (the
        // soak found the second refused as "already used"). Opening ignores it.
        #[derive(Serialize)]
        struct Sealed<'a> {
            #[serde(flatten)]
            round: &'a RoundState,
            nonce: u64,
        }
        let sealed = Sealed {
            round,
            nonce: rand::random(),
        };
        let payload = serde_json::to_vec(&sealed).unwrap_or_default();
        self.codec.seal_with(
            &payload,
            &SealOptions::new().associated_data(binding).ttl(self.ttl),
        )
    }

    /// Open a `requestState` presented on a retry.
    pub fn open(&self, state: &str, binding: &[u8; 32]) -> Result<RoundState, ConfirmError> {
        match self.codec.open_json_with::<RoundState>(state, binding) {
            Ok(r) => Ok(r),
            Err(RequestStateError::Expired) => Err(ConfirmError::Expired),
            Err(_) => Err(ConfirmError::Mismatch),
        }
    }

    /// Mark a confirmation used, on every replica that shares `store`:
    /// `AlreadyUsed` when any of them saw it before; `StoreUnavailable` (and
    /// no write) when that cannot be known.
    pub async fn spend(&self, state: &str, store: &SharedState) -> Result<(), ConfirmError> {
        let digest: [u8; 32] = Sha256::digest(state.as_bytes()).into();
        match store.spend_once(&digest, self.ttl).await {
            Ok(Spend::First) => Ok(()),
            Ok(Spend::Again) => Err(ConfirmError::AlreadyUsed),
            Err(e) => {
                tracing::error!(error = %e, "cannot spend a confirmation");
                Err(ConfirmError::StoreUnavailable)
            }
        }
    }
}

/// JSON text with object keys sorted at every level, so the same arguments
/// bind the same way whatever order a client sends them in.
pub fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(reason: &str) -> PlannedWrite {
        PlannedWrite {
            kind: "access_request".into(),
            binding: json!({"group_id": "g1", "ownership": false, "reason": reason}),
            ending_at: None,
            summary: format!("membership of g1, reason {reason}"),
        }
    }

    #[test]
    fn a_sealed_confirmation_opens_only_for_the_same_caller_tool_and_arguments() {
        let c = Confirmations::new(
            ConfirmationMode::Required,
            Duration::from_secs(60),
            Some("0123456789abcdef0123456789abcdef"),
        )
        .expect("key");
        let args = json!({"group_id": "g1", "reason": "x"});
        let b = Confirmations::binding("alice", "create_access_request", &args);
        let round = RoundState {
            write: Some(write("x")),
            ..RoundState::default()
        };
        let state = c.seal(&round, &b);
        // The same round sealed again (the same millisecond, likely) is another state.
        assert_ne!(state, c.seal(&round, &b));
        let opened = c.open(&state, &b).expect("opens");
        assert_eq!(opened.write.map(|w| w.summary), Some(write("x").summary));
        let reordered = json!({"reason": "x", "group_id": "g1"});
        assert_eq!(
            b,
            Confirmations::binding("alice", "create_access_request", &reordered)
        );
        for other in [
            Confirmations::binding("mallory", "create_access_request", &args),
            Confirmations::binding("alice", "create_role_request", &args),
            Confirmations::binding(
                "alice",
                "create_access_request",
                &json!({"group_id": "g2", "reason": "x"}),
            ),
        ] {
            assert!(matches!(
                c.open(&state, &other),
                Err(ConfirmError::Mismatch)
            ));
        }
        let mut tampered = state.clone();
        tampered.insert(10, 'A');
        assert!(c.open(&tampered, &b).is_err());
    }

    #[tokio::test]
    async fn a_confirmation_is_spent_once() {
        let c = Confirmations::new(ConfirmationMode::Required, Duration::from_secs(60), None)
            .expect("key");
        let store = SharedState::local(None, None);
        assert!(c.spend("state", &store).await.is_ok());
        assert!(matches!(
            c.spend("state", &store).await,
            Err(ConfirmError::AlreadyUsed)
        ));
    }

    #[test]
    fn a_confirmed_gate_writes_once_and_only_what_was_confirmed() {
        let gate = WriteGate::confirmed(write("x"));
        assert!(matches!(gate.check(write("y")), Err(GateRefusal::Changed)));
        assert!(gate.check(write("x")).is_ok());
        assert!(matches!(gate.check(write("x")), Err(GateRefusal::Used)));
        let (plan, cell) = WriteGate::plan();
        assert!(matches!(plan.check(write("x")), Err(GateRefusal::Pending)));
        assert!(cell.lock().expect("lock").is_some());
    }
}
