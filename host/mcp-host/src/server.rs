//! The host as a binary composes it: `Host::new(cfg).with(capability).serve()`.
//! Wiring: shared state, sandbox, plugins, authentication, then the axum app
//! serving `/mcp` (rmcp's Streamable HTTP service behind the layers of `http`)
//! and the protected-resource metadata.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::auth::directory::EmailIsUserId;
use crate::auth::{Authenticator, ConfigError};
use crate::capability::{Capabilities, Capability};
use crate::comma_list::split_list;
use crate::config::HostConfig;
use crate::confirm::Confirmations;
use crate::http::authn::{AuthLayer, authenticate};
use crate::http::client_addr::{ProxySpecError, TrustedProxies};
use crate::http::guard::{self, HostGuard};
use crate::http::jsonrpc::{self, BodyLimits};
use crate::http::prm::{self, ResourceInfo};
use crate::identity::Identity;
use crate::mcp::passthrough;
use crate::mcp::{HostState, McpHost};
use crate::metrics::Metrics;
use crate::plugins::folder::{self, FolderError};
use crate::plugins::signature::{KeyError, SignaturePolicy};
use crate::plugins::{LoadError, Loader, Registry};
use crate::reload::Reloader;
use crate::sandbox::Sandbox;
use crate::shared::{Rate, RateSpecError, SharedState, Unavailable};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("refusing to start: {0}")]
    Config(#[from] ConfigError),
    #[error("refusing to start: {0}")]
    RateLimit(#[from] RateSpecError),
    #[error(transparent)]
    Plugins(#[from] LoadError),
    #[error("refusing to start: {0}")]
    Signatures(#[from] KeyError),
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error("refusing to start: {0}")]
    Confirmation(#[from] crate::confirm::KeyError),
    #[error("refusing to start: {0}")]
    Proxies(#[from] ProxySpecError),
    #[error("refusing to start: {0}")]
    SharedState(#[from] Unavailable),
    #[error("refusing to start: {0} (remove or rename one of the two plugins)")]
    Collision(LoadError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// The host, with the capabilities a binary composed in.
pub struct Host {
    cfg: HostConfig,
    identity: Identity,
    capabilities: Capabilities,
}

impl Host {
    /// A host serving only the generic contract (log, clock, tools, prompts).
    pub fn new(cfg: HostConfig) -> Self {
        Host {
            cfg,
            identity: Identity::default(),
            capabilities: Capabilities::default(),
        }
    }

    /// How it names itself (server name, 401 realm, metric prefix).
    pub fn named(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Add a capability plugins may be granted.
    pub fn with(mut self, capability: impl Capability) -> Self {
        self.capabilities = self.capabilities.with(Arc::new(capability));
        self
    }

    pub fn config(&self) -> &HostConfig {
        &self.cfg
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Build everything the first request needs.
    pub async fn prepare(&self) -> Result<Prepared, StartError> {
        prepare(&self.cfg, &self.identity, &self.capabilities).await
    }

    /// Serve until SIGTERM or Ctrl-C; calls in flight finish first.
    pub async fn serve(self) -> Result<(), StartError> {
        serve(self.cfg, self.identity, self.capabilities).await
    }
}

/// Everything built before the first request.
pub struct Prepared {
    pub state: Arc<HostState>,
    /// The loader of the plugins folder, handed to hot reload.
    pub loader: Option<Loader>,
    pub auth: Arc<Authenticator>,
    pub proxies: TrustedProxies,
    pub failures: Vec<LoadError>,
}

/// Build the sandbox and load the plugins folder (the same code path as
/// `access-mcp plugins audit`, so the report cannot drift from what is served).
pub async fn load_plugins(
    cfg: &HostConfig,
    capabilities: &Capabilities,
) -> Result<(Arc<Sandbox>, Registry, Vec<LoadError>, Loader), StartError> {
    let policy = SignaturePolicy::from_config(&cfg.signatures, &cfg.auth.env)?;
    if !policy.required && !matches!(cfg.auth.env.as_str(), "development" | "test") {
        tracing::warn!(env = %cfg.auth.env,
            "ACCESS_MCP_REQUIRE_SIGNED=false: unsigned plugins load outside development");
    }
    let folder::LoadedFolder {
        sandbox,
        registry,
        refused,
        loader,
        ..
    } = folder::load(
        &cfg.sandbox,
        &cfg.plugins_dir,
        cfg.cache_dir.clone(),
        policy,
        capabilities.clone(),
    )
    .await?;
    Ok((
        sandbox,
        registry,
        refused.into_iter().map(|r| r.error).collect(),
        loader,
    ))
}

async fn prepare(
    cfg: &HostConfig,
    identity: &Identity,
    capabilities: &Capabilities,
) -> Result<Prepared, StartError> {
    cfg.auth.validate(cfg.listen)?;
    let proxies = TrustedProxies::parse(&cfg.trusted_proxies)?;
    let user_rate = Rate::parse(&cfg.rate_limit)?;
    let failure_rate = Rate::parse(&cfg.auth_failure_limit)?;
    let shared = match cfg
        .redis_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => SharedState::redis(url, user_rate, failure_rate)?,
        None => SharedState::local(user_rate, failure_rate),
    };
    if shared.kind() == "in-process" && capabilities.shared_by_replicas() {
        tracing::warn!(
            "no ACCESS_MCP_REDIS_URL: spent confirmations and rate limits are per process; \
             with several replicas on this shared database a confirmation can be used once per replica \
             and each replica admits the full rate limit. Set ACCESS_MCP_REDIS_URL to share them."
        );
    }
    if cfg.resource_url.is_none() && cfg.allowed_hosts.trim().is_empty() && !cfg.auth.dev_enabled()
    {
        tracing::warn!(
            "neither MCP_RESOURCE_URL nor MCP_ALLOWED_HOSTS is set: 401 answers carry no resource_metadata \
             and the protected-resource metadata is not served; set MCP_RESOURCE_URL to this server's public /mcp URL"
        );
    }
    let (sandbox, registry, failures, loader) = load_plugins(cfg, capabilities).await?;
    if let Some(i) = failures.iter().position(LoadError::is_collision) {
        return Err(StartError::Collision(
            failures.into_iter().nth(i).expect("found above"),
        ));
    }
    let users = capabilities
        .user_directory()
        .unwrap_or_else(|| Arc::new(EmailIsUserId));
    let auth = Arc::new(Authenticator::new(
        &cfg.auth,
        users,
        &capabilities.scopes(),
    )?);
    let metrics = cfg
        .metrics
        .then(|| Metrics::new(&identity.metrics_prefix, capabilities));
    let confirmations = Confirmations::new(
        cfg.write_confirmation,
        Duration::from_secs(cfg.write_confirmation_ttl_secs.max(1)),
        cfg.write_confirmation_key.as_deref(),
    )?;
    let state = Arc::new(HostState::new(
        registry,
        sandbox,
        capabilities.clone(),
        identity.clone(),
        metrics,
        confirmations,
        Arc::new(shared),
    ));
    Ok(Prepared {
        state,
        loader: Some(loader),
        auth,
        proxies,
        failures,
    })
}

/// Say at startup what is served and what failed.
pub fn report(prepared: &Prepared, plugins_dir: &Path) {
    let reg = prepared.state.registry();
    for p in &reg.plugins {
        let tools: Vec<&str> = p.tools.iter().map(|t| t.name.as_str()).collect();
        let prompts: Vec<&str> = p.prompts.iter().map(|t| t.name.as_str()).collect();
        tracing::info!(
            plugin = %p.manifest.name, version = %p.manifest.version, grants = ?p.linked,
            compiled = ?p.cache, signature = %p.signature, tools = ?tools, prompts = ?prompts, "plugin loaded"
        );
    }
    for f in &prepared.failures {
        tracing::error!("plugin not loaded: {f}");
    }
    tracing::info!(
        plugins = reg.plugins.len(), tools = reg.tools.len(), prompts = reg.prompts.len(),
        failed = prepared.failures.len(), folder = %plugins_dir.display(), "plugins ready"
    );
}

/// The axum app: `/mcp` and `/mcp/` behind the guard and authentication, the
/// two protected-resource metadata documents, and `/healthz`.
pub fn app(cfg: &HostConfig, prepared: &Prepared, shutdown: CancellationToken) -> Router {
    // Host and Origin are checked by our guard (MCP_ALLOWED_HOSTS semantics), not rmcp's.
    let http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(cfg.stateful)
        .with_json_response(!cfg.stateful)
        .with_cancellation_token(shutdown)
        .with_max_request_body_bytes(cfg.max_body_bytes)
        .disable_allowed_hosts();
    let state = prepared.state.clone();
    let service = StreamableHttpService::new(
        move || Ok(McpHost::new(state.clone())),
        Arc::new(LocalSessionManager::default()),
        http,
    );
    let guard = Arc::new(HostGuard::new(
        split_list(&cfg.allowed_hosts),
        split_list(&cfg.allowed_origins),
        prepared.auth.dev_identity_active(),
    ));
    let resource = Arc::new(ResourceInfo {
        resource_url: cfg
            .resource_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_end_matches('/').to_string()),
        authorization_servers: cfg.auth.authorization_servers(),
        hosts: guard.clone(),
        proxies: prepared.proxies.clone(),
        scopes_supported: prepared.state.capabilities.scopes(),
    });
    let auth_layer = Arc::new(AuthLayer {
        auth: prepared.auth.clone(),
        metrics: prepared.state.metrics.clone(),
        shared: prepared.state.shared.clone(),
        proxies: prepared.proxies.clone(),
        resource: resource.clone(),
        host: prepared.state.clone(),
    });
    let body_limits = Arc::new(BodyLimits {
        max_bytes: cfg.max_body_bytes,
        read_timeout: cfg.connections.read_timeout(),
    });
    let mcp = Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/mcp/", service);
    // Stateless: every answer rides on its own POST's response, so structured
    // content can go out as the plugin wrote it (see `mcp::passthrough`).
    let mcp = if cfg.stateful {
        mcp
    } else {
        mcp.layer(middleware::from_fn(passthrough::splice))
    };
    let mcp = mcp
        .layer(middleware::from_fn_with_state(body_limits, jsonrpc::check))
        .layer(middleware::from_fn_with_state(auth_layer, authenticate))
        .layer(middleware::from_fn_with_state(guard, guard::check));
    // The request's trace span, only when traces are on (no layer, no cost, otherwise).
    let mcp = if crate::telemetry::traces_on() {
        mcp.layer(middleware::from_fn(crate::http::trace::span))
    } else {
        mcp
    };
    let well_known = Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            axum::routing::get(prm::document),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            axum::routing::get(prm::document),
        )
        .with_state(resource);
    let probes = Router::new()
        .route("/readyz", axum::routing::get(readyz))
        .route("/metrics", axum::routing::get(metrics))
        .with_state(prepared.state.clone());
    Router::new()
        .merge(mcp)
        .merge(well_known)
        .merge(probes)
        .route("/healthz", axum::routing::get(|| async { "ok" }))
}

/// Ready when every capability's checks pass (Access: its database answers)
/// and at least one plugin is loaded. The body says what is wrong in a word:
/// the details (hosts, paths, driver text) go to the log, not to whoever can
/// reach the probe.
async fn readyz(State(state): State<Arc<HostState>>) -> Response {
    let registry = state.registry();
    let plugins = registry.plugins.len();
    let checks = state.capabilities.ready().await;
    let shared = match state.shared.ping().await {
        None => "in-process",
        Some(true) => "ok",
        Some(false) => "unavailable",
    };
    let ready = checks.iter().all(|c| c.ok) && plugins > 0;
    let mut body = serde_json::Map::new();
    body.insert(
        "status".into(),
        (if ready { "ready" } else { "not ready" }).into(),
    );
    for c in &checks {
        body.insert(
            c.name.into(),
            (if c.ok { "ok" } else { "unavailable" }).into(),
        );
    }
    body.insert("shared_state".into(), shared.into());
    body.insert("plugins".into(), plugins.into());
    body.insert("tools".into(), registry.tools.len().into());
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<Arc<HostState>>) -> Response {
    match &state.metrics {
        Some(m) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            m.render(&state.capabilities),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are off (ACCESS_MCP_METRICS=false)",
        )
            .into_response(),
    }
}

async fn serve(
    cfg: HostConfig,
    identity: Identity,
    capabilities: Capabilities,
) -> Result<(), StartError> {
    let started = Instant::now();
    let mut prepared = prepare(&cfg, &identity, &capabilities).await?;
    report(&prepared, &cfg.plugins_dir);
    if let Some(loader) = prepared.loader.take() {
        let reloader = Reloader::new(loader, cfg.plugins_dir.clone(), prepared.state.clone());
        match cfg.plugins_poll_ms {
            0 => reloader.spawn(None),
            ms => reloader.spawn(Some(Duration::from_millis(ms))),
        }
    }
    let shutdown = CancellationToken::new();
    let router = app(&cfg, &prepared, shutdown.clone());
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    let shared = prepared.state.shared.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            shared.shrink();
        }
    });
    let described: Vec<String> = capabilities
        .iter()
        .flat_map(|c| c.describe())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    tracing::info!(
        url = %format!("http://{local}/mcp"), capabilities = %described.join(" "),
        shared_state = prepared.state.shared.kind(),
        dev_identity = prepared.auth.dev_identity_active(),
        startup_ms = started.elapsed().as_millis() as u64, "mcp host serving"
    );
    crate::http::serve::serve(
        listener,
        router,
        cfg.connections,
        shutdown_signal(),
        Duration::from_secs(cfg.shutdown_grace_secs),
        shutdown,
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
