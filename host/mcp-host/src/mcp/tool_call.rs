//! `tools/call`: route by name, check the scope, run the call in the sandbox,
//! and around the run the two conversations with the client a call may need:
//! the answers to what the plugin asks (sampling, elicitation:
//! [`crate::client_link`], [`super::asking`]) and the user's confirmation
//! before a write ([`crate::confirm`], [`super::ask`]). Both use the same
//! sealed `requestState` on the retry of protocol 2026-07-28
//! ([`RoundState`]), and a session's server-to-client requests otherwise.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use tracing::Instrument;
use tracing::field::Empty;

use super::ask::{self, Answer, Channel, ElicitFailure};
use super::asking;
use super::content;
use super::passthrough::Passthrough;
use super::{McpHost, ToolCall};
use crate::caller::{Caller, RequestMeta, scope_error};
use crate::client_link::{Ask, AskVia, ClientLink, ResourceNotifier};
use crate::confirm::{ConfirmError, ConfirmationMode, Confirmations, RoundState, WriteGate};
use crate::plugins::{LoadedPlugin, Registry};
use crate::sandbox::PluginFault;
use crate::sandbox::call::{Invocation, Returned, Structured, StructuredForm};
use crate::sandbox::state::CallContext;
use crate::telemetry::TARGET;

/// What a write refused for want of a way to ask says (`{}`: the server's name).
fn confirmation_required(server_name: &str) -> String {
    format!(
        "This server requires the user to confirm each request before it is filed \
(MCP_WRITE_CONFIRMATION=required), and this client cannot be asked: it does not support elicitation. \
Nothing was created. Use a client that supports elicitation, or file the request in {server_name}."
    )
}

fn declined(call: &ToolCall) -> CallToolResponse {
    tracing::info!(tool = %call.name, request_id = %call.bound.meta.id, "write declined at confirmation");
    json_error_result(
        "Not created: the user declined to confirm this request. Nothing was written.",
    )
    .into()
}

/// How the runs of one call ended.
enum Round {
    /// The call returned (or faulted); `link` is its last run's.
    Done {
        outcome: Result<Returned, PluginFault>,
        took: Duration,
        link: Arc<ClientLink>,
    },
    /// The call asked something only a retry can answer (protocol 2026-07-28).
    Ask { ask: Ask, link: Arc<ClientLink> },
}

impl McpHost {
    /// Resource updates from `plugin`: to the subscribed sessions, for its own resources.
    fn resource_notifier(&self, registry: &Arc<Registry>, plugin: &Arc<str>) -> ResourceNotifier {
        let (registry, plugin) = (registry.clone(), plugin.clone());
        ResourceNotifier {
            subscriptions: self.state.subscriptions.clone(),
            serves: Arc::new(move |uri| {
                super::resources::serving(&registry, uri).is_some_and(|p| p.code.name == plugin)
            }),
        }
    }

    /// What the host binds to one plugin call of this request.
    pub(super) fn call_context(
        &self,
        plugin: &LoadedPlugin,
        tool: Option<&str>,
        caller: Arc<Caller>,
        meta: &Arc<RequestMeta>,
        gate: WriteGate,
    ) -> CallContext {
        CallContext {
            plugin: plugin.code.name.clone(),
            tool: tool.map(Arc::from),
            caller,
            request: meta.clone(),
            write_gate: gate,
            loading: false,
            client: if plugin.talks_to_client() {
                Arc::new(ClientLink::none())
            } else {
                ClientLink::shared_none()
            },
        }
    }

    /// Run the call in a fresh instance under `gate`, talking to the client through `link`.
    async fn invoke(
        &self,
        call: &ToolCall,
        gate: WriteGate,
        link: Arc<ClientLink>,
    ) -> (Result<Returned, PluginFault>, Duration) {
        let mut ctx = self.call_context(
            &call.plugin,
            Some(&call.name),
            call.bound.caller.clone(),
            &call.bound.meta,
            gate,
        );
        ctx.client = link;
        let started = std::time::Instant::now();
        let outcome = self
            .state
            .sandbox
            .invoke(
                &call.plugin.code,
                ctx,
                Invocation::CallTool {
                    name: call.name.clone(),
                    arguments: call.arguments.clone(),
                    structured: if call.bound.passthrough.is_some() {
                        StructuredForm::Text
                    } else {
                        StructuredForm::Value
                    },
                },
            )
            .await;
        (outcome, started.elapsed())
    }

    /// Run the call until it returns, or asks what only a retry can answer.
    /// A session client is asked here, between runs: nothing waits in the sandbox.
    async fn rounds(
        &self,
        call: &ToolCall,
        gate: WriteGate,
        mut link: Arc<ClientLink>,
        context: &RequestContext<RoleServer>,
    ) -> Round {
        let mut took = Duration::ZERO;
        loop {
            let (outcome, run_took) = self.invoke(call, gate.clone(), link.clone()).await;
            took += run_took;
            if !matches!(outcome, Err(PluginFault::NeedsInput { .. })) {
                return Round::Done {
                    outcome,
                    took,
                    link,
                };
            }
            let Some(ask) = link.take_pending() else {
                let fault = PluginFault::Trap {
                    plugin: call.plugin.code.name.to_string(),
                    detail: "the call ended to ask, with no question".into(),
                };
                return Round::Done {
                    outcome: Err(fault),
                    took,
                    link,
                };
            };
            tracing::info!(tool = %call.name, request_id = %call.bound.meta.id,
                kind = ask.kind().capability(), via = ?link.via, "the plugin asks the client");
            if link.via != AskVia::Session {
                return Round::Ask { ask, link };
            }
            // Boxed: a client request's future is large, and moving it with
            // every call's future cost 4 % of a small call in memcpy.
            let answer = Box::pin(asking::ask_session(
                context,
                &ask,
                self.state.confirmations.ttl,
            ))
            .await;
            let mut answers = link.answers().to_vec();
            answers.push(answer);
            link = Arc::new(link.next_run(answers, link.delivered()));
        }
    }

    /// The input-required result asking what `link`'s run asked.
    fn ask_by_retry(
        &self,
        call: &ToolCall,
        args: &serde_json::Value,
        ask: &Ask,
        link: &ClientLink,
    ) -> CallToolResponse {
        let round = RoundState {
            write: None,
            asking: Some(ask.kind()),
            answers: link.answers().to_vec(),
            notified: link.delivered(),
        };
        let binding = Confirmations::binding(&call.bound.caller.user_id, &call.name, args);
        let state = self.state.confirmations.seal(&round, &binding);
        asking::input_required(ask, asking::key(round.answers.len()), state)
    }

    /// Run the call to its answer under `gate`.
    async fn run_to_end(
        &self,
        call: &ToolCall,
        args: &serde_json::Value,
        gate: WriteGate,
        link: Arc<ClientLink>,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        match self.rounds(call, gate, link, context).await {
            Round::Done { outcome, took, .. } => self.finish(call, outcome, took),
            Round::Ask { ask, link } => Ok(self.ask_by_retry(call, args, &ask, &link)),
        }
    }

    /// `tools/call`, in its trace span (when traces are on).
    pub(super) async fn call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let span = tool_span(&request.name, &context);
        if span.is_disabled() {
            return self.call_in(request, context, span).await;
        }
        let answer = self
            .call_in(request, context, span.clone())
            .instrument(span.clone())
            .await;
        if let Err(e) = &answer {
            span.record("error.type", e.code.0);
            span.record("otel.status_code", "ERROR");
        }
        answer
    }

    async fn call_in(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
        span: tracing::Span,
    ) -> Result<CallToolResponse, McpError> {
        let bound = self.bound(&context)?;
        let name = request.name.to_string();
        let registry = self.state.registry();
        let route = registry
            .tools
            .get(&name)
            .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {name}"), None))?;
        if !span.is_disabled() {
            span.record("mcp.plugin.name", &*route.plugin.code.name);
            span.record("mcp.plugin.version", route.plugin.manifest.version.as_str());
            span.record("enduser.id", bound.caller.user_id.as_str());
            span.record("mcp.request.id", &*bound.meta.id);
        }
        // Scope check before dispatch; every capability import checks again.
        if let Some(scope) = route.missing_scope(&bound.caller) {
            span.record("error.type", "scope");
            if let Some(m) = &self.state.metrics {
                m.count_tool_call(&name, &route.plugin.code.name, "tool_error", "scope");
            }
            return Ok(json_error_result(&scope_error(scope)).into());
        }
        let args = serde_json::Value::Object(request.arguments.take().unwrap_or_default());
        let call = ToolCall {
            name,
            arguments: args.to_string(),
            plugin: route.plugin.clone(),
            bound,
            span,
        };
        let confirmations = &self.state.confirmations;
        let mut link = if call.plugin.talks_to_client() {
            let mut first = asking::link_for(&context, self.min_level());
            first.resources = Some(self.resource_notifier(&registry, &call.plugin.code.name));
            Arc::new(first)
        } else {
            ClientLink::shared_none()
        };

        // A retry (protocol 2026-07-28) answering our confirmation or our ask.
        if let Some(state) = request.request_state.as_deref() {
            let binding = Confirmations::binding(&call.bound.caller.user_id, &call.name, &args);
            let refused = |e: ConfirmError| {
                tracing::warn!(tool = %call.name, request_id = %call.bound.meta.id, "retry refused: {e}");
                Ok(json_error_result(&e.to_string()).into())
            };
            let round = match confirmations.open(state, &binding) {
                Ok(r) => r,
                Err(e) => return refused(e),
            };
            let responses = request.input_responses.as_ref();
            let mut answers = round.answers;
            match (round.write, round.asking) {
                (Some(write), _) => {
                    return match ask::answer_of(responses.and_then(|r| r.get(ask::CONFIRM_KEY))) {
                        Answer::Confirmed => {
                            if let Err(e) = confirmations.spend(state, &self.state.shared).await {
                                return refused(e);
                            }
                            let link = Arc::new(link.next_run(answers, round.notified));
                            self.run_to_end(
                                &call,
                                &args,
                                WriteGate::confirmed(write),
                                link,
                                &context,
                            )
                            .await
                        }
                        Answer::Declined => Ok(declined(&call)),
                    };
                }
                (None, Some(kind)) => {
                    // One answer, once: a replayed retry could repeat what follows it.
                    if let Err(e) = confirmations.spend(state, &self.state.shared).await {
                        return refused(e);
                    }
                    let response = responses.and_then(|r| r.get(&asking::key(answers.len())));
                    answers.push(asking::answer_from_retry(kind, response));
                }
                (None, None) => {}
            }
            link = Arc::new(link.next_run(answers, round.notified));
        }

        let channel = Channel::of(&context);
        if confirmations.mode == ConfirmationMode::Off
            || (channel == Channel::None && confirmations.mode == ConfirmationMode::WhenSupported)
        {
            return self
                .run_to_end(&call, &args, WriteGate::Open, link, &context)
                .await;
        }
        // Plan: every check of the write runs, nothing is written.
        let (gate, planned) = WriteGate::plan();
        let (outcome, took, link) = match self.rounds(&call, gate, link, &context).await {
            Round::Ask { ask, link } => return Ok(self.ask_by_retry(&call, &args, &ask, &link)),
            Round::Done {
                outcome,
                took,
                link,
            } => (outcome, took, link),
        };
        let planned = planned.lock().unwrap_or_else(|p| p.into_inner()).take();
        if matches!(outcome, Err(PluginFault::Budget(_))) {
            // Over a budget (a second write, say): that is the answer, not a question.
            return self.finish(&call, outcome, took);
        }
        let Some(write) = planned else {
            // Not a write, or refused before writing: that is the answer.
            return self.finish(&call, outcome, took);
        };
        tracing::info!(tool = %call.name, request_id = %call.bound.meta.id, ?channel, "asking to confirm a write");
        // The confirmed run gets the answers the planning run received.
        let next = Arc::new(link.next_run(link.answers().to_vec(), link.delivered()));
        match channel {
            Channel::None => Ok(json_error_result(&confirmation_required(
                &self.state.identity.server_name,
            ))
            .into()),
            Channel::InputRequired => {
                let binding = Confirmations::binding(&call.bound.caller.user_id, &call.name, &args);
                let round = RoundState {
                    write: Some(write.clone()),
                    asking: None,
                    answers: link.answers().to_vec(),
                    notified: link.delivered(),
                };
                let state = confirmations.seal(&round, &binding);
                Ok(ask::input_required(&write, state))
            }
            Channel::Elicit => {
                match Box::pin(ask::elicit(&context, &write, confirmations.ttl)).await {
                    Ok(Answer::Confirmed) => {
                        self.run_to_end(&call, &args, WriteGate::confirmed(write), next, &context)
                            .await
                    }
                    Ok(Answer::Declined) => Ok(declined(&call)),
                    Err(ElicitFailure::Expired) => {
                        Ok(json_error_result(&ConfirmError::Expired.to_string()).into())
                    }
                    Err(e) => Ok(json_error_result(&format!("Nothing was created: {e}.")).into()),
                }
            }
        }
    }

    /// Count the call and turn the plugin's answer into the MCP result.
    fn finish(
        &self,
        call: &ToolCall,
        outcome: Result<Returned, crate::sandbox::PluginFault>,
        took: std::time::Duration,
    ) -> Result<CallToolResponse, McpError> {
        let (name, plugin) = (&call.name, &call.plugin.code.name);
        self.record(name, plugin, took, &outcome);
        match outcome {
            Ok(Returned::ToolOutput(Ok(out))) => {
                tracing::debug!(tool = %name, plugin = %plugin, request_id = %call.bound.meta.id,
                    micros = took.as_micros() as u64, is_error = out.is_error, "tool call");
                let blocks = match out.content {
                    // 0.2: the plugin's content blocks, in order.
                    Some(content) => content.into_iter().map(content::block).collect(),
                    None => vec![ContentBlock::text(
                        match call.bound.passthrough.as_deref() {
                            Some(p) => p.park_text(out.text),
                            None => out.text,
                        },
                    )],
                };
                let mut result = if out.is_error {
                    call.span.record("error.type", "tool_error");
                    CallToolResult::error(blocks)
                } else {
                    CallToolResult::success(blocks)
                };
                result.structured_content = match out.structured {
                    None => None,
                    Some(structured) => Some(structured_value(
                        structured,
                        call.bound.passthrough.as_deref(),
                    )?),
                };
                Ok(result.into())
            }
            Ok(Returned::ToolOutput(Err(message))) => Err(McpError::invalid_params(message, None)),
            Ok(_) => Err(McpError::internal_error("unexpected plugin result", None)),
            Err(fault) => {
                call.span.record("error.type", fault.kind());
                call.span.record("otel.status_code", "ERROR");
                tracing::error!(tool = %name, plugin = %plugin, request_id = %call.bound.meta.id,
                    kind = fault.kind(), "plugin fault: {fault}");
                Ok(CallToolResult::error(vec![ContentBlock::text(format!("{fault}"))]).into())
            }
        }
    }
}

/// What goes in `structuredContent`: the placeholder of the parked text when
/// the passthrough layer is there, else the parsed value.
fn structured_value(
    structured: Structured,
    passthrough: Option<&Passthrough>,
) -> Result<serde_json::Value, McpError> {
    match (structured, passthrough) {
        (Structured::Value(value), _) => Ok(value),
        (Structured::Text(text), Some(p)) => Ok(p.park(text)),
        // Not asked for (text is wanted only where the layer is), but checked
        // by the sandbox already, so this does not fail.
        (Structured::Text(text), None) => serde_json::from_str(&text)
            .map_err(|e| McpError::internal_error(format!("structured content: {e}"), None)),
    }
}

pub(super) fn json_error_result(message: &str) -> CallToolResult {
    let body = serde_json::json!({ "error": message });
    let mut r = CallToolResult::error(vec![ContentBlock::text(body.to_string())]);
    r.structured_content = Some(body);
    r
}

/// The span of one `tools/call`, under the HTTP request's span (rmcp may
/// serve the call on a task of its own, so the parent is named, not assumed).
fn tool_span(tool: &str, context: &RequestContext<RoleServer>) -> tracing::Span {
    // Read inside the macro, so only when the span is enabled (traces on).
    let parent = || {
        context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<crate::http::trace::RequestSpan>())
            .and_then(|s| s.0.id())
    };
    tracing::info_span!(
        target: TARGET,
        parent: parent(),
        "tools/call",
        otel.name = %format_args!("tools/call {tool}"),
        otel.status_code = Empty,
        mcp.method.name = "tools/call",
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = tool,
        mcp.plugin.name = Empty,
        mcp.plugin.version = Empty,
        mcp.request.id = Empty,
        enduser.id = Empty,
        error.type = Empty,
    )
}
