//! A real OTLP/HTTP trace receiver on 127.0.0.1 for the tracing tests: it
//! takes `POST /v1/traces` with a protobuf `ExportTraceServiceRequest` (the
//! collector's own message types, from `opentelemetry-proto`), answers as a
//! collector does, and keeps every span it was sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;

/// One span as received.
#[derive(Clone, Debug)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    /// The `service.name` of its resource.
    pub service: String,
}

impl Span {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

pub struct Receiver {
    pub port: u16,
    spans: Arc<Mutex<Vec<Span>>>,
    /// Requests that were not a well-formed export (their error).
    pub malformed: Arc<Mutex<Vec<String>>>,
}

fn text(v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Receiver {
    pub fn start() -> Receiver {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the OTLP receiver");
        let port = server.server_addr().to_ip().expect("ip address").port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let malformed = Arc::new(Mutex::new(Vec::new()));
        let (keep, bad) = (spans.clone(), malformed.clone());
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let mut body = Vec::new();
                let _ = request.as_reader().read_to_end(&mut body);
                let is_proto = request.headers().iter().any(|h| {
                    h.field.equiv("Content-Type") && h.value.as_str() == "application/x-protobuf"
                });
                let status = if request.url() != "/v1/traces" || !is_proto {
                    bad.lock().expect("lock").push(format!(
                        "{} {} (content type protobuf: {is_proto})",
                        request.method(),
                        request.url()
                    ));
                    404
                } else {
                    match ExportTraceServiceRequest::decode(body.as_slice()) {
                        Ok(export) => {
                            keep.lock().expect("lock").extend(flatten(export));
                            200
                        }
                        Err(e) => {
                            bad.lock().expect("lock").push(e.to_string());
                            400
                        }
                    }
                };
                // An empty ExportTraceServiceResponse encodes as no bytes.
                let header =
                    tiny_http::Header::from_bytes("Content-Type", "application/x-protobuf")
                        .expect("header");
                let _ = request.respond(
                    tiny_http::Response::from_data(Vec::new())
                        .with_status_code(status)
                        .with_header(header),
                );
            }
        });
        Receiver {
            port,
            spans,
            malformed,
        }
    }

    /// The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn spans(&self) -> Vec<Span> {
        self.spans.lock().expect("lock").clone()
    }

    /// Wait until `ok` holds of the spans received, or `timeout` passes; the spans then.
    pub fn wait_for(&self, timeout: Duration, ok: impl Fn(&[Span]) -> bool) -> Vec<Span> {
        let started = Instant::now();
        loop {
            let spans = self.spans();
            if ok(&spans) || started.elapsed() > timeout {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn flatten(export: ExportTraceServiceRequest) -> Vec<Span> {
    let mut out = Vec::new();
    for resource_spans in export.resource_spans {
        let service = resource_spans
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .map(|kv| text(&kv.value))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                out.push(Span {
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    name: span.name,
                    attributes: span
                        .attributes
                        .iter()
                        .map(|kv| (kv.key.clone(), text(&kv.value)))
                        .collect(),
                    service: service.clone(),
                });
            }
        }
    }
    out
}
