//! Outbound fetches of IdP documents: https (plain http only to loopback),
//! a 10 s timeout, JSON bodies, non-2xx is an error.

use std::time::Duration;

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
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .https_only(false)
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
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}", resp.status())));
        }
        resp.json().await.map_err(|e| err(format!("not JSON: {e}")))
    }
}
