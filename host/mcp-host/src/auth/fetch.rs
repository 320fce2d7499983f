//! Outbound fetches of IdP documents: https (plain http only to loopback), a
//! 10 s timeout, JSON bodies of at most 1 MiB, non-2xx is an error, and
//! redirects followed only within the origin of the configured URL (so a
//! redirect cannot send the host to a plain-http or internal address the
//! startup check would have refused).

use std::time::Duration;

use reqwest::redirect::Policy;

/// Largest IdP document read (a JWKS or discovery document is a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;

/// An error and its causes on one line (reqwest's own text omits the cause,
/// e.g. why a redirect was not followed).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[derive(Debug, thiserror::Error)]
#[error("fetching {url}: {message}")]
pub struct FetchError {
    pub url: String,
    pub message: String,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    pub fn new() -> Self {
        let same_origin = Policy::custom(|attempt| {
            let first = attempt.previous().first();
            let same = first.is_some_and(|f| f.origin() == attempt.url().origin());
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if same {
                attempt.follow()
            } else {
                attempt.error("redirected off the configured origin")
            }
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .https_only(false)
            .redirect(same_origin)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Fetcher { client }
    }

    pub async fn json(&self, url: &str) -> Result<serde_json::Value, FetchError> {
        let err = |message: String| FetchError {
            url: url.to_string(),
            message,
        };
        super::config::check_fetch_url("URL", url).map_err(|e| err(e.0))?;
        let mut resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| err(chain(&e)))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}", resp.status())));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(err(format!("the document is over {MAX_BODY_BYTES} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| err(chain(&e)))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(err(format!("the document is over {MAX_BODY_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| err(format!("not JSON: {e}")))
    }
}
