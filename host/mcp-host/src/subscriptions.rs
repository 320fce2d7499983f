//! `resources/subscribe` in sessions: which sessions want to hear that a
//! resource changed, so that a plugin's `notify.resource-updated` reaches
//! them (`notifications/resources/updated`). A session that cannot be told
//! any more (closed) is forgotten when telling it fails. Bounded: a session
//! holds at most [`MAX_PER_SESSION`] subscriptions, the host
//! [`MAX_TOTAL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::{Peer, RoleServer};

pub const MAX_PER_SESSION: usize = 1_000;
pub const MAX_TOTAL: usize = 100_000;
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a subscription was not recorded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubscribeError {
    #[error("this session already holds {MAX_PER_SESSION} resource subscriptions")]
    SessionFull,
    #[error("the server holds as many resource subscriptions as it keeps ({MAX_TOTAL})")]
    HostFull,
}

#[derive(Default)]
pub struct Subscriptions {
    /// URI → session id → the session's peer.
    by_uri: Mutex<HashMap<String, HashMap<String, Peer<RoleServer>>>>,
}

impl Subscriptions {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, Peer<RoleServer>>>> {
        self.by_uri.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(
        &self,
        uri: &str,
        session: &str,
        peer: Peer<RoleServer>,
    ) -> Result<(), SubscribeError> {
        let mut map = self.lock();
        let total: usize = map.values().map(HashMap::len).sum();
        let of_session = map.values().filter(|s| s.contains_key(session)).count();
        let already = map.get(uri).is_some_and(|s| s.contains_key(session));
        if !already {
            if of_session >= MAX_PER_SESSION {
                return Err(SubscribeError::SessionFull);
            }
            if total >= MAX_TOTAL {
                return Err(SubscribeError::HostFull);
            }
        }
        map.entry(uri.to_string())
            .or_default()
            .insert(session.to_string(), peer);
        Ok(())
    }

    pub fn unsubscribe(&self, uri: &str, session: &str) {
        let mut map = self.lock();
        if let Some(sessions) = map.get_mut(uri) {
            sessions.remove(session);
            if sessions.is_empty() {
                map.remove(uri);
            }
        }
    }

    /// How many sessions are subscribed to `uri`.
    pub fn count(&self, uri: &str) -> usize {
        self.lock().get(uri).map_or(0, HashMap::len)
    }

    /// Tell every session subscribed to `uri`; how many were told.
    pub async fn updated(&self, uri: &str) -> usize {
        let peers: Vec<(String, Peer<RoleServer>)> = match self.lock().get(uri) {
            Some(s) => s.iter().map(|(k, p)| (k.clone(), p.clone())).collect(),
            None => return 0,
        };
        let mut told = 0;
        for (session, peer) in peers {
            let param = ResourceUpdatedNotificationParam::new(uri);
            match tokio::time::timeout(NOTIFY_TIMEOUT, peer.notify_resource_updated(param)).await {
                Ok(Ok(())) => told += 1,
                // Gone (or stuck): forget it.
                _ => self.unsubscribe(uri, &session),
            }
        }
        told
    }
}
