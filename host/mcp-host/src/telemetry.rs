//! Logs to stderr and, when an operator configures OTLP, traces.
//!
//! Traces are off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, and `OTEL_SDK_DISABLED` /
//! `OTEL_TRACES_EXPORTER=none` turn them off again; the other standard
//! variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_EXPORTER_OTLP_HEADERS`, `…_TIMEOUT`, `OTEL_TRACES_SAMPLER`) are read
//! by the OpenTelemetry SDK itself. The transport is OTLP/HTTP with protobuf.
//!
//! The spans the host makes carry the target [`TARGET`]: one per HTTP request
//! (continuing the client's W3C `traceparent`), tool call, plugin invocation
//! and, from the capabilities, SQL statement; plus the span wasmtime's
//! bindings open around every host import (`tracing: true` in each
//! `bindgen!`), renamed here to the interface and function it entered. With
//! traces off, the log filter turns [`TARGET`] off, so those spans are never
//! built: the cost on the hot path is one cached check per call site.
//! Span fields name the caller by id, never by credential.

use std::borrow::Cow;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{KeyValue, Value};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::Metadata;
use tracing::subscriber::Interest;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter};
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// The target of every span meant for traces (and never for the log).
pub const TARGET: &str = "mcp_trace";

/// The name wasmtime's generated bindings give the span around a host import.
const IMPORT_SPAN: &str = "wit-bindgen import";

/// How the log is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// What [`init`] set up; [`Telemetry::shutdown`] sends the spans still queued.
#[must_use = "dropping it ends tracing before the spans queued are sent"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Send what is queued and stop. Call it outside the async runtime (the
    /// exporter's client blocks).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("traces: the last spans could not be sent: {e}");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether the environment asks for traces, and if it asks for something this
/// build cannot do, why not.
fn traces_wanted() -> Result<bool, String> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let equals = |name: &str, value: &str| {
        std::env::var(name).is_ok_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    if equals("OTEL_SDK_DISABLED", "true") || equals("OTEL_TRACES_EXPORTER", "none") {
        return Ok(false);
    }
    if !set("OTEL_EXPORTER_OTLP_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Ok(false);
    }
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Ok(p) = std::env::var(name) {
            let p = p.trim();
            if !p.is_empty() && p != "http/protobuf" {
                return Err(format!(
                    "{name}={p} is not supported: this build exports OTLP over HTTP with protobuf (`http/protobuf`)"
                ));
            }
            break;
        }
    }
    Ok(true)
}

/// Set up the log (stderr, `RUST_LOG` or `default_filter`) and, when
/// configured, the trace exporter. Call once, before the async runtime starts.
pub fn init(format: LogFormat, default_filter: &str, service: &str, version: &str) -> Telemetry {
    let env_filter =
        || EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Colours only for a person at a terminal: a log file or collector gets
    // plain text (and no escape sequences anyone could mistake for data).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (provider, problem) = match traces_wanted() {
        Ok(false) => (None, None),
        Err(why) => (None, Some(why)),
        Ok(true) => match provider(service, version) {
            Ok(p) => (Some(p), None),
            Err(why) => (None, Some(why)),
        },
    };
    let installed = match &provider {
        // Traces off: one global filter, as if the spans did not exist (their
        // target is off, so their call sites are never enabled).
        None => {
            let filter = env_filter().add_directive(
                format!("{TARGET}=off")
                    .parse()
                    .unwrap_or_else(|_| LevelFilter::OFF.into()),
            );
            let builder = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(ansi)
                .with_writer(std::io::stderr);
            match format {
                LogFormat::Json => builder.json().try_init(),
                LogFormat::Text => builder.try_init(),
            }
        }
        // Traces on: the log and the exporter each with a filter of its own.
        Some(p) => {
            let log_filter = NotTraceSpans.and(env_filter());
            let log: Box<dyn Layer<Registry> + Send + Sync> = match format {
                LogFormat::Json => tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_filter(log_filter)
                    .boxed(),
                LogFormat::Text => tracing_subscriber::fmt::layer()
                    .with_ansi(ansi)
                    .with_writer(std::io::stderr)
                    .with_filter(log_filter)
                    .boxed(),
            };
            let traces = tracing_opentelemetry::layer()
                .with_tracer(p.tracer(service.to_string()))
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_filter(TraceSpans);
            tracing_subscriber::registry()
                .with(log)
                .with(traces)
                .try_init()
                .map_err(Into::into)
        }
    };
    if let Err(e) = installed {
        eprintln!("log: a global subscriber was already set: {e}");
    }
    if let Some(why) = problem {
        tracing::error!("traces are off: {why}");
    } else if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        TRACES_ON.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!("traces are exported over OTLP/HTTP");
    }
    Telemetry { provider }
}

static TRACES_ON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether [`init`] turned traces on (the HTTP layer that opens a request's
/// span is installed only then).
pub fn traces_on() -> bool {
    TRACES_ON.load(std::sync::atomic::Ordering::Relaxed)
}

fn is_trace_span(m: &Metadata<'_>) -> bool {
    m.is_span() && (m.target() == TARGET || m.name() == IMPORT_SPAN)
}

/// The exporter's filter: the trace spans, nothing else (no events: the
/// bindings' import events carry arguments and results). Decided per call
/// site, once, so a call site it refuses costs nothing after.
struct TraceSpans;

impl<S> Filter<S> for TraceSpans {
    fn enabled(&self, m: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_trace_span(m)
    }

    fn callsite_enabled(&self, m: &'static Metadata<'static>) -> Interest {
        if is_trace_span(m) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

/// The log's filter (with `RUST_LOG`'s): everything but the trace spans.
struct NotTraceSpans;

impl<S> Filter<S> for NotTraceSpans {
    fn enabled(&self, m: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        m.target() != TARGET
    }

    fn callsite_enabled(&self, m: &'static Metadata<'static>) -> Interest {
        if m.target() != TARGET {
            Interest::always()
        } else {
            Interest::never()
        }
    }
}

fn provider(service: &str, version: &str) -> Result<SdkTracerProvider, String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(export_timeout())
        .build()
        .map_err(|e| format!("the exporter's HTTP client: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(BlockingHttp(client))
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .map_err(|e| format!("the OTLP exporter: {e}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder()
        .with_attribute(KeyValue::new("service.version", version.to_string()));
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(service.to_string());
    }
    Ok(SdkTracerProvider::builder()
        .with_resource(resource.build())
        .with_batch_exporter(ImportNames(exporter))
        .build())
}

/// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`
/// (milliseconds), else OTLP's default of 10 s: the client enforces it, as a
/// client supplied to the exporter must.
fn export_timeout() -> Duration {
    [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok()?.trim().parse::<u64>().ok())
    .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// Continue the trace the client's W3C `traceparent` (and `tracestate`)
/// names, if any, under `span`.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if span.is_disabled() || !headers.contains_key("traceparent") {
        return;
    }
    let cx = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    // Only fails for a span already started, which this one is not.
    let _ = span.set_parent(cx);
}

/// The OTLP exporter's HTTP client: reqwest's blocking client, which the
/// SDK's batch processor (a thread of its own, no async runtime) can drive.
/// opentelemetry-http implements this only for reqwest 0.13; the host uses
/// 0.12, and a second reqwest would double its TLS stack.
#[derive(Debug)]
struct BlockingHttp(reqwest::blocking::Client);

/// The most of a collector's answer read (opentelemetry-http's own clients' bound).
const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for BlockingHttp {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        use std::io::Read;
        let request = reqwest::blocking::Request::try_from(request)?;
        let response = self.0.execute(request)?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        // A collector's answer is small; read at most 4 MiB of it.
        let mut body = Vec::new();
        response.take(MAX_RESPONSE_BYTES).read_to_end(&mut body)?;
        Ok(answer.body(bytes::Bytes::from(body))?)
    }
}

/// Renames the span wasmtime's bindings open around each host import
/// (always "wit-bindgen import") to the import it is, `ns:package/interface.function`
/// (from the span's target, the module bindgen generated for the interface),
/// and drops the `target` attribute tracing-opentelemetry adds to every span.
#[derive(Debug)]
struct ImportNames<E>(E);

impl<E: SpanExporter> SpanExporter for ImportNames<E> {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        for span in &mut batch {
            if span.name == IMPORT_SPAN {
                span.name = Cow::Owned(import_name(&span.attributes));
            }
            span.attributes.retain(|kv| kv.key.as_str() != "target");
        }
        self.0.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.0.set_resource(resource);
    }
}

fn import_name(attributes: &[KeyValue]) -> String {
    let find = |key: &str| {
        attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| match &kv.value {
                Value::String(s) => s.as_str().to_string(),
                other => other.to_string(),
            })
    };
    let function = find("function").unwrap_or_default();
    let interface = find("target")
        .and_then(|t| interface_of(&t))
        .or_else(|| find("module"));
    match interface {
        Some(i) => format!("{i}.{function}"),
        None if !function.is_empty() => function,
        None => IMPORT_SPAN.to_string(),
    }
}

/// `ns:package/interface` from the module path bindgen generates for it
/// (`…::bindings::[v2::]ns::package::interface`).
fn interface_of(target: &str) -> Option<String> {
    let path: Vec<&str> = target.split("::").collect();
    let [ns, package, interface] = path.get(path.len().checked_sub(3)?..)? else {
        return None;
    };
    let wit = |s: &str| s.replace('_', "-");
    Some(format!("{}:{}/{}", wit(ns), wit(package), wit(interface)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_span_is_named_by_interface_and_function() {
        let attributes = [
            KeyValue::new("module", "store"),
            KeyValue::new("function", "get-value"),
            KeyValue::new("target", "kv_capability::bindings::example::kv::store"),
        ];
        assert_eq!(import_name(&attributes), "example:kv/store.get-value");
        let wasi = [
            KeyValue::new("function", "insecure-seed"),
            KeyValue::new(
                "target",
                "wasmtime_wasi::p2::bindings::async_io::wasi::random::insecure_seed",
            ),
        ];
        assert_eq!(
            import_name(&wasi),
            "wasi:random/insecure-seed.insecure-seed"
        );
        assert_eq!(import_name(&attributes[..2]), "store.get-value");
        assert_eq!(import_name(&[]), IMPORT_SPAN);
    }
}
