//! The HTTP server loop (in place of `axum::serve`, which has no timeouts or
//! connection cap): accept at most `max_connections` connections at once
//! (further clients wait in the listen backlog), give each the peer address,
//! cut a connection whose request headers do not arrive within
//! `read_timeout`, and close one that has been idle (no bytes either way and
//! no request being answered) for `idle_timeout`. TCP_NODELAY is set on every
//! connection (server-sent events are many small writes).
//!
//! hyper's own header-read timer starts only with a request's first byte, and
//! nothing times the first request of an HTTP/1-or-2 connection before hyper
//! knows its version, so the idle watchdog here is what closes a connection
//! that never sends anything.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Connection limits (`ACCESS_MCP_HTTP_*`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ConnLimits {
    /// Connections served at once; further clients wait in the listen backlog.
    #[arg(
        id = "http_max_connections",
        long = "http-max-connections",
        env = "ACCESS_MCP_HTTP_MAX_CONNECTIONS",
        default_value_t = 1024
    )]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (and, separately, its body).
    #[arg(
        long = "http-read-timeout-secs",
        env = "ACCESS_MCP_HTTP_READ_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub read_timeout_secs: u64,
    /// Seconds a connection may stay open with no bytes either way and no
    /// request being answered (server-sent event streams send keep-alives).
    #[arg(
        long = "http-idle-timeout-secs",
        env = "ACCESS_MCP_HTTP_IDLE_TIMEOUT_SECS",
        default_value_t = 60
    )]
    pub idle_timeout_secs: u64,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 1024,
            read_timeout_secs: 10,
            idle_timeout_secs: 60,
        }
    }
}

impl ConnLimits {
    pub fn read_timeout(&self) -> Duration {
        Duration::from_secs(self.read_timeout_secs.max(1))
    }
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }
}

/// Serve `app` on `listener` until `signal` resolves; then stop accepting, let
/// every connection finish what it is answering, and after `grace` cancel
/// `streams` (ending long-lived event streams) and return.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    signal: impl Future<Output = ()>,
    grace: Duration,
    streams: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout());
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    tokio::pin!(signal);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut signal => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before
                    // accept: back off a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let service = {
            let app = app.clone();
            let activity = activity.clone();
            hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let answering = InFlight::start(activity.clone());
                let app = app.clone();
                async move {
                    let response = app.oneshot(req).await;
                    drop(answering);
                    response
                }
            })
        };
        let conn = builder.serve_connection(io, service).into_owned();
        let conn = graceful.watch(conn);
        let idle = limits.idle_timeout();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                result = conn => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                () = activity.idle_for(idle) => {
                    tracing::debug!(%peer, "closing an idle connection");
                }
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; calls in flight may finish");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_secs = grace.as_secs(), "calls still in flight after the grace period; exiting");
        }
    }
    streams.cancel();
}

/// Milliseconds since the first call, a cheap clock for activity stamps.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// When a connection last moved a byte, and how many requests it is answering.
struct Activity {
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            last_ms: AtomicU64::new(now_ms()),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        self.last_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Resolves once the connection has been idle for `idle`.
    async fn idle_for(&self, idle: Duration) {
        let idle_ms = idle.as_millis() as u64;
        loop {
            let quiet = now_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed));
            if quiet >= idle_ms && self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            let left = idle_ms.saturating_sub(quiet).max(idle_ms / 4).max(10);
            tokio::time::sleep(Duration::from_millis(left)).await;
        }
    }
}

/// One request being answered (until its response head is ready).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(a: Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that stamps its connection's activity on every byte moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The peer address of a connection (for code that gets a `SocketAddr`).
pub type Peer = ConnectInfo<SocketAddr>;
