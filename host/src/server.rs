//! Wiring: database, sandbox, plugins, then the axum app serving `/mcp`
//! (rmcp's Streamable HTTP service behind our authentication layer).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::auth::Authenticator;
use crate::config::{ServeConfig, split_list};
use crate::db::{Db, DbError};
use crate::mcp::{HostState, McpHost, RequestMeta};
use crate::plugins::{LoadError, Loader, Registry};
use crate::sandbox::cache::CompiledCache;
use crate::sandbox::{Sandbox, engine};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot build the WebAssembly engine: {0}")]
    Engine(String),
    #[error(transparent)]
    Plugins(#[from] LoadError),
    #[error("refusing to start: {0}")]
    Unsafe(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// Everything built before the first request.
pub struct Prepared {
    pub state: Arc<HostState>,
    pub auth: Arc<Authenticator>,
    pub failures: Vec<LoadError>,
}

/// Build the sandbox and load the plugins folder.
pub async fn load_plugins(
    cfg: &ServeConfig,
) -> Result<(Arc<Sandbox>, Registry, Vec<LoadError>), StartError> {
    let engine =
        engine::build_engine(&cfg.sandbox).map_err(|e| StartError::Engine(format!("{e:#}")))?;
    engine::start_epoch_ticker(&engine);
    let cache = CompiledCache::new(
        &engine,
        cfg.cache_dir.clone().or_else(CompiledCache::default_dir),
    );
    let sandbox = Arc::new(Sandbox::new(engine, cfg.sandbox.clone()));
    let loader = Loader::new(sandbox.clone(), cache);
    let (loaded, mut failures) = loader.load_folder(&cfg.plugins_dir).await?;
    let (registry, refused) = Registry::build(loaded);
    failures.extend(refused);
    Ok((sandbox, registry, failures))
}

pub async fn prepare(cfg: &ServeConfig) -> Result<Prepared, StartError> {
    if cfg.identity.dev_identity_enabled()
        && !cfg.listen.ip().is_loopback()
        && !cfg.identity.allow_dev_on_network
    {
        return Err(StartError::Unsafe(format!(
            "the dev identity (ENV={}) serves every request as {} and {} is not a loopback address; \
             listen on 127.0.0.1, set ENV=production with a token provider, or pass --allow-dev-on-network",
            cfg.identity.env, cfg.identity.current_okta_user_email, cfg.listen
        )));
    }
    let db = Db::connect(&cfg.database, &cfg.directory).await?;
    let (sandbox, registry, failures) = load_plugins(cfg).await?;
    let auth = Arc::new(Authenticator::new(&cfg.identity, db.clone()));
    let state = Arc::new(HostState::new(Arc::new(registry), sandbox, db));
    Ok(Prepared {
        state,
        auth,
        failures,
    })
}

/// Say at startup what is served and what failed.
pub fn report(prepared: &Prepared, plugins_dir: &Path) {
    let reg = &prepared.state.registry;
    for p in &reg.plugins {
        let tools: Vec<&str> = p.tools.iter().map(|t| t.name.as_str()).collect();
        let prompts: Vec<&str> = p.prompts.iter().map(|t| t.name.as_str()).collect();
        tracing::info!(
            plugin = %p.manifest.name, version = %p.manifest.version, grants = ?p.linked,
            compiled = ?p.cache, tools = ?tools, prompts = ?prompts, "plugin loaded"
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

/// The axum app: `/mcp` and `/mcp/` behind authentication, plus `/healthz`.
pub fn app(cfg: &ServeConfig, prepared: &Prepared, shutdown: CancellationToken) -> Router {
    let mut http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(cfg.stateful)
        .with_json_response(!cfg.stateful)
        .with_cancellation_token(shutdown);
    let hosts = split_list(&cfg.allowed_hosts);
    http = if !hosts.is_empty() {
        http.with_allowed_hosts(hosts)
    } else if prepared.auth.dev_identity_active() {
        // No token needed while the dev identity is on: keep rmcp's loopback-only
        // Host check so a DNS-rebinding page cannot drive the server.
        http
    } else {
        http.disable_allowed_hosts()
    };
    let state = prepared.state.clone();
    let service = StreamableHttpService::new(
        move || Ok(McpHost::new(state.clone())),
        Arc::new(LocalSessionManager::default()),
        http,
    );
    let mcp = Router::new()
        .route_service("/mcp", service.clone())
        .route_service("/mcp/", service)
        .layer(middleware::from_fn_with_state(
            prepared.auth.clone(),
            authenticate,
        ));
    Router::new()
        .merge(mcp)
        .route("/healthz", axum::routing::get(|| async { "ok" }))
}

async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(String::from)
        .unwrap_or_else(new_request_id);
    match auth.authenticate(req.headers()).await {
        Ok(Some(caller)) => {
            req.extensions_mut().insert(Arc::new(caller));
            let meta = RequestMeta {
                id: Arc::from(request_id.as_str()),
                user_agent: header_text(&req, header::USER_AGENT.as_str()).map(Arc::from),
                ip: client_ip(&req).map(|ip| Arc::from(ip.as_str())),
            };
            req.extensions_mut().insert(meta);
            next.run(req).await
        }
        Ok(None) => unauthorized(&req),
        Err(e) => {
            tracing::error!(error = %e, "cannot authenticate: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"message":"Service Unavailable: the database cannot be reached"}"#,
            )
                .into_response()
        }
    }
}

fn header_text<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The client IP as Access takes it: the first `X-Forwarded-For` entry, else
/// `X-Real-IP`, else the socket peer.
fn client_ip(req: &Request) -> Option<String> {
    if let Some(first) = header_text(req, "x-forwarded-for").and_then(|v| v.split(',').next()) {
        let first = first.trim();
        if !first.is_empty() {
            return Some(first.to_string());
        }
    }
    if let Some(real) = header_text(req, "x-real-ip").filter(|v| !v.trim().is_empty()) {
        return Some(real.trim().to_string());
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// 401 with the RFC 9728 pointer to the protected-resource metadata.
fn unauthorized(req: &Request) -> Response {
    let resource = std::env::var("MCP_RESOURCE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.trim_end_matches('/').to_string())
        .unwrap_or_else(|| {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let proto = req
                .headers()
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .and_then(|h| h.split(',').next())
                .map(str::trim)
                .unwrap_or("https");
            format!("{proto}://{host}/mcp")
        });
    let prm = prm_url(&resource);
    let challenge = format!(r#"Bearer realm="access", resource_metadata="{prm}""#);
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"message":"Unauthorized"}"#,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

/// `/.well-known/oauth-protected-resource` in front of the resource URL's path.
fn prm_url(resource: &str) -> String {
    let (scheme, rest) = resource.split_once("://").unwrap_or(("https", resource));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}")
}

/// Serve until SIGTERM or Ctrl-C; calls in flight finish first.
pub async fn serve(cfg: ServeConfig) -> Result<(), StartError> {
    let started = Instant::now();
    let prepared = prepare(&cfg).await?;
    report(&prepared, &cfg.plugins_dir);
    let shutdown = CancellationToken::new();
    let router = app(&cfg, &prepared, shutdown.clone());
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| StartError::Listen(cfg.listen, e))?;
    tracing::info!(
        url = %format!("http://{local}/mcp"), database = prepared.state.db.engine_name(),
        dev_identity = prepared.auth.dev_identity_active(),
        startup_ms = started.elapsed().as_millis() as u64, "access-mcp serving"
    );
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        })
        .await
        .map_err(|e| StartError::Listen(local, e))
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

#[cfg(test)]
mod tests {
    use super::prm_url;

    #[test]
    fn prm_url_is_derived_from_the_resource() {
        assert_eq!(
            prm_url("https://access.example.com/mcp"),
            "https://access.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            prm_url("http://127.0.0.1:8787/mcp/?x=1"),
            "http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"
        );
    }
}
