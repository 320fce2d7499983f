//! The MCP surface (rmcp `ServerHandler`): tools and prompts are the union of
//! the loaded plugins'; each call is routed by name into the sandbox with the
//! caller the HTTP layer bound.

use std::sync::Arc;

#[allow(deprecated)]
// logging/setLevel is deprecated by SEP-2577 but older clients and the conformance suite use it
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    Implementation, ListPromptsResult, ListToolsResult, PaginatedRequestParams, PromptMessage,
    Reference, Role, ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use self::passthrough::Passthrough;
use crate::bindings::plugin_types as pt;
use crate::caller::{Caller, RequestMeta, scope_error};
use crate::capability::Capabilities;
use crate::confirm::{ConfirmError, ConfirmationMode, Confirmations, WriteGate};
use crate::identity::Identity;
use crate::metrics::{Metrics, ToolLabel};
use crate::plugins::LoadedPlugin;
use crate::plugins::Registry;
use crate::sandbox::call::{Invocation, Returned, Structured, StructuredForm};
use crate::sandbox::state::CallContext;
use crate::sandbox::{PluginFault, Sandbox};
use crate::shared::SharedState;

mod ask;
mod content;
pub mod passthrough;
mod resources;
pub mod served;
use ask::{Answer, Channel, ElicitFailure};
pub use served::{Served, ServedSet};

/// Everything a request needs, shared by all requests.
pub struct HostState {
    /// The plugins being served; replaced as a whole by hot reload.
    pub served: ServedSet,
    pub sandbox: Arc<Sandbox>,
    /// The capabilities plugins may be granted.
    pub capabilities: Capabilities,
    /// How the host names itself.
    pub identity: Identity,
    /// `None` when metrics are off (`ACCESS_MCP_METRICS=false`).
    pub metrics: Option<Arc<Metrics>>,
    /// Confirmation before writes (`MCP_WRITE_CONFIRMATION`).
    pub confirmations: Confirmations,
    /// Spent confirmations and rate limits, shared by replicas through Redis.
    pub shared: Arc<SharedState>,
}

impl HostState {
    pub fn new(
        registry: Registry,
        sandbox: Arc<Sandbox>,
        capabilities: Capabilities,
        identity: Identity,
        metrics: Option<Arc<Metrics>>,
        confirmations: Confirmations,
        shared: Arc<SharedState>,
    ) -> Self {
        HostState {
            served: ServedSet::new(Served::new(registry), metrics.as_deref()),
            sandbox,
            capabilities,
            identity,
            metrics,
            confirmations,
            shared,
        }
    }

    /// The registry in force (a call keeps the one it started with).
    pub fn registry(&self) -> Arc<Registry> {
        self.served.load().registry.clone()
    }
}

/// The rmcp handler; one is made per HTTP request in stateless mode (cheap: an `Arc`).
#[derive(Clone)]
pub struct McpHost {
    state: Arc<HostState>,
}

impl McpHost {
    pub fn new(state: Arc<HostState>) -> Self {
        McpHost { state }
    }

    /// Count one tool call in the metrics (when on).
    fn record(
        &self,
        tool: &str,
        plugin: &str,
        took: std::time::Duration,
        outcome: &Result<Returned, crate::sandbox::PluginFault>,
    ) {
        let Some(m) = &self.state.metrics else { return };
        m.tool_duration
            .get_or_create(&ToolLabel {
                tool: tool.to_string(),
            })
            .observe(took.as_secs_f64());
        let (outcome, error_kind) = match outcome {
            Ok(Returned::ToolOutput(Ok(out))) if !out.is_error => ("ok", ""),
            Ok(_) => ("tool_error", "tool_error"),
            Err(f) => ("fault", f.kind()),
        };
        m.count_tool_call(tool, plugin, outcome, error_kind);
    }

    fn bound(&self, context: &RequestContext<RoleServer>) -> Result<Bound, McpError> {
        let parts = context
            .extensions
            .get::<http::request::Parts>()
            .ok_or_else(|| McpError::internal_error("no HTTP request context", None))?;
        let caller = parts
            .extensions
            .get::<Arc<Caller>>()
            .cloned()
            .ok_or_else(|| McpError::internal_error("no authenticated caller", None))?;
        let meta = parts
            .extensions
            .get::<Arc<RequestMeta>>()
            .cloned()
            .unwrap_or_else(|| Arc::new(RequestMeta::internal("-")));
        let passthrough = parts.extensions.get::<Arc<Passthrough>>().cloned();
        Ok(Bound {
            caller,
            meta,
            passthrough,
        })
    }
}

/// What the HTTP layers bound to a request.
struct Bound {
    caller: Arc<Caller>,
    meta: Arc<RequestMeta>,
    /// Present in stateless mode: structured content goes out as written.
    passthrough: Option<Arc<Passthrough>>,
}

/// One `tools/call` as routed: the tool, its plugin and what the HTTP layers bound.
struct ToolCall {
    name: String,
    arguments: String,
    plugin: Arc<LoadedPlugin>,
    bound: Bound,
}

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

impl McpHost {
    /// What the host binds to one plugin call of this request.
    fn call_context(
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
        }
    }

    /// Run the call in a fresh instance under `gate`.
    async fn invoke(
        &self,
        call: &ToolCall,
        gate: WriteGate,
    ) -> (
        Result<Returned, crate::sandbox::PluginFault>,
        std::time::Duration,
    ) {
        let ctx = self.call_context(
            &call.plugin,
            Some(&call.name),
            call.bound.caller.clone(),
            &call.bound.meta,
            gate,
        );
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

    async fn run(&self, call: &ToolCall, gate: WriteGate) -> Result<CallToolResponse, McpError> {
        let (outcome, took) = self.invoke(call, gate).await;
        self.finish(call, outcome, took)
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

fn json_error_result(message: &str) -> CallToolResult {
    let body = serde_json::json!({ "error": message });
    let mut r = CallToolResult::error(vec![ContentBlock::text(body.to_string())]);
    r.structured_content = Some(body);
    r
}

#[allow(deprecated)]
impl ServerHandler for McpHost {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_logging()
            .build();
        // Completion and resources only when a loaded plugin serves them.
        let registry = self.state.registry();
        if registry.plugins.iter().any(|p| p.code.resources.is_some()) {
            let mut resources = rmcp::model::ResourcesCapability::default();
            resources.subscribe = Some(true);
            capabilities.resources = Some(resources);
        }
        if registry
            .plugins
            .iter()
            .any(|p| p.code.prompts.as_ref().is_some_and(|e| e.completes()))
        {
            capabilities.completions = Some(Default::default());
        }
        let mut info = ServerConfig::new(capabilities).with_server_info(Implementation::new(
            self.state.identity.server_name.clone(),
            self.state.identity.version.clone(),
        ));
        if let Some(i) = &registry.instructions {
            info = info.with_instructions(i.clone());
        }
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(
            self.state.served.load().tools.clone(),
        ))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let bound = self.bound(&context)?;
        let name = request.name.to_string();
        let registry = self.state.registry();
        let route = registry
            .tools
            .get(&name)
            .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {name}"), None))?;
        // Scope check before dispatch; every capability import checks again.
        if let Some(scope) = route.missing_scope(&bound.caller) {
            if let Some(m) = &self.state.metrics {
                m.count_tool_call(&name, &route.plugin.code.name, "tool_error", "scope");
            }
            return Ok(json_error_result(&scope_error(scope)).into());
        }
        let args_value = serde_json::Value::Object(request.arguments.take().unwrap_or_default());
        let call = ToolCall {
            name,
            arguments: args_value.to_string(),
            plugin: route.plugin.clone(),
            bound,
        };
        let confirmations = &self.state.confirmations;
        if confirmations.mode == ConfirmationMode::Off {
            return self.run(&call, WriteGate::Open).await;
        }

        // A retry answering our confirmation (protocol 2026-07-28).
        if let Some(state) = request.request_state.as_deref() {
            let binding =
                Confirmations::binding(&call.bound.caller.user_id, &call.name, &args_value);
            let write = match confirmations.open(state, &binding) {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(tool = %call.name, request_id = %call.bound.meta.id, "confirmation refused: {e}");
                    return Ok(json_error_result(&e.to_string()).into());
                }
            };
            let response = request
                .input_responses
                .as_ref()
                .and_then(|r| r.get(ask::CONFIRM_KEY));
            return match ask::answer_of(response) {
                Answer::Confirmed => {
                    if let Err(e) = confirmations.spend(state, &self.state.shared).await {
                        tracing::warn!(tool = %call.name, request_id = %call.bound.meta.id, "confirmation refused: {e}");
                        return Ok(json_error_result(&e.to_string()).into());
                    }
                    self.run(&call, WriteGate::confirmed(write)).await
                }
                Answer::Declined => Ok(declined(&call)),
            };
        }

        let channel = Channel::of(&context);
        if channel == Channel::None && confirmations.mode == ConfirmationMode::WhenSupported {
            return self.run(&call, WriteGate::Open).await;
        }
        // Plan: every check of the write runs, nothing is written.
        let (gate, planned) = WriteGate::plan();
        let (outcome, took) = self.invoke(&call, gate).await;
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
        match channel {
            Channel::None => Ok(json_error_result(&confirmation_required(
                &self.state.identity.server_name,
            ))
            .into()),
            Channel::InputRequired => {
                let binding =
                    Confirmations::binding(&call.bound.caller.user_id, &call.name, &args_value);
                let state = confirmations.seal(&write, &binding);
                Ok(ask::input_required(&write, state))
            }
            Channel::Elicit => match ask::elicit(&context, &write, confirmations.ttl).await {
                Ok(Answer::Confirmed) => self.run(&call, WriteGate::confirmed(write)).await,
                Ok(Answer::Declined) => Ok(declined(&call)),
                Err(ElicitFailure::Expired) => {
                    Ok(json_error_result(&ConfirmError::Expired.to_string()).into())
                }
                Err(e) => Ok(json_error_result(&format!("Nothing was created: {e}.")).into()),
            },
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(
            self.state.served.load().prompts.clone(),
        ))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, McpError> {
        let registry = self.state.registry();
        let items = registry
            .plugins
            .iter()
            .flat_map(|p| p.resources.iter().cloned().map(resources::descriptor))
            .collect();
        Ok(rmcp::model::ListResourcesResult::with_all_items(items))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, McpError> {
        let registry = self.state.registry();
        let items = registry
            .plugins
            .iter()
            .flat_map(|p| {
                p.resource_templates
                    .iter()
                    .cloned()
                    .map(resources::template)
            })
            .collect();
        Ok(rmcp::model::ListResourceTemplatesResult::with_all_items(
            items,
        ))
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, McpError> {
        let Bound { caller, meta, .. } = self.bound(&context)?;
        let registry = self.state.registry();
        let plugin = resources::serving(&registry, &request.uri).ok_or_else(|| {
            McpError::resource_not_found(format!("Unknown resource: {}", request.uri), None)
        })?;
        let ctx = self.call_context(&plugin, None, caller, &meta, WriteGate::Open);
        let invocation = Invocation::ReadResource { uri: request.uri };
        match self
            .state
            .sandbox
            .invoke(&plugin.code, ctx, invocation)
            .await
        {
            Ok(Returned::ResourceContents(Ok(contents))) => {
                Ok(rmcp::model::ReadResourceResult::new(
                    contents
                        .into_iter()
                        .map(content::resource_contents)
                        .collect(),
                )
                .into())
            }
            Ok(Returned::ResourceContents(Err(message))) => {
                Err(McpError::resource_not_found(message, None))
            }
            Ok(_) => Err(McpError::internal_error("unexpected plugin result", None)),
            Err(fault) => {
                tracing::error!(plugin = %plugin.code.name, kind = fault.kind(), "plugin fault: {fault}");
                Err(McpError::internal_error(format!("{fault}"), None))
            }
        }
    }

    /// A subscription is accepted for a resource some plugin serves. No
    /// plugin can announce an update yet, so none is ever notified.
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        match resources::serving(&self.state.registry(), &request.uri) {
            Some(_) => Ok(()),
            None => Err(McpError::resource_not_found(
                format!("Unknown resource: {}", request.uri),
                None,
            )),
        }
    }

    async fn unsubscribe(
        &self,
        _request: rmcp::model::UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    /// `completion/complete` for a prompt argument, answered by the plugin
    /// serving the prompt (none for a resource template: no plugin serves
    /// resources yet).
    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let Reference::Prompt(prompt) = request.r#ref else {
            return Ok(CompleteResult::new(CompletionInfo::default()));
        };
        let Bound { caller, meta, .. } = self.bound(&context)?;
        let registry = self.state.registry();
        let route = registry.prompts.get(&prompt.name).ok_or_else(|| {
            McpError::invalid_params(format!("Unknown prompt: {}", prompt.name), None)
        })?;
        let plugin = route.plugin.clone();
        let ctx = self.call_context(&plugin, None, caller, &meta, WriteGate::Open);
        let invocation = Invocation::Complete {
            prompt: prompt.name,
            argument: request.argument.name,
            value: request.argument.value,
        };
        match self
            .state
            .sandbox
            .invoke(&plugin.code, ctx, invocation)
            .await
        {
            Ok(Returned::Completions(mut values)) => {
                let total = values.len();
                values.truncate(CompletionInfo::MAX_VALUES);
                let mut info = CompletionInfo::default();
                info.has_more = Some(total > values.len());
                info.total = u32::try_from(total).ok();
                info.values = values;
                Ok(CompleteResult::new(info))
            }
            Ok(_) => Err(McpError::internal_error("unexpected plugin result", None)),
            Err(fault) => {
                tracing::error!(plugin = %plugin.code.name, kind = fault.kind(), "plugin fault: {fault}");
                Err(McpError::internal_error(format!("{fault}"), None))
            }
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let Bound { caller, meta, .. } = self.bound(&context)?;
        let name = request.name.to_string();
        let registry = self.state.registry();
        let route = registry
            .prompts
            .get(&name)
            .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {name}"), None))?;
        let arguments: Vec<(String, String)> = request
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
        let plugin = route.plugin.clone();
        let ctx = self.call_context(&plugin, None, caller, &meta, WriteGate::Open);
        match self
            .state
            .sandbox
            .invoke(&plugin.code, ctx, Invocation::GetPrompt { name, arguments })
            .await
        {
            Ok(Returned::Prompt(Ok(p))) => {
                let messages = p
                    .messages
                    .into_iter()
                    .map(|m| {
                        let role = match m.role {
                            pt::Role::User => Role::User,
                            pt::Role::Assistant => Role::Assistant,
                        };
                        PromptMessage::new_text(role, m.text)
                    })
                    .collect();
                let mut result = GetPromptResult::new(messages);
                if let Some(d) = p.description {
                    result = result.with_description(d);
                }
                Ok(result.into())
            }
            Ok(Returned::ContentPrompt(Ok(p))) => {
                let messages = p
                    .messages
                    .into_iter()
                    .map(|m| {
                        let role = match m.role {
                            content::Role::User => Role::User,
                            content::Role::Assistant => Role::Assistant,
                        };
                        PromptMessage::new(role, content::block(m.content))
                    })
                    .collect();
                let mut result = GetPromptResult::new(messages);
                if let Some(d) = p.description {
                    result = result.with_description(d);
                }
                Ok(result.into())
            }
            Ok(Returned::Prompt(Err(message)) | Returned::ContentPrompt(Err(message))) => {
                Err(McpError::invalid_params(message, None))
            }
            Ok(_) => Err(McpError::internal_error("unexpected plugin result", None)),
            Err(fault) => {
                tracing::error!(plugin = %plugin.code.name, kind = fault.kind(), "plugin fault: {fault}");
                Err(McpError::internal_error(fault.to_string(), None))
            }
        }
    }

    /// A session client (protocol before 2026-07-28, stateful mode): tell it
    /// when hot reload changes the tool or prompt lists, for as long as it listens.
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let mut changes = self.state.served.changes();
        let peer = context.peer;
        tokio::spawn(async move {
            while let Some(change) = changes.next().await {
                if (change.tools && peer.notify_tool_list_changed().await.is_err())
                    || (change.prompts && peer.notify_prompt_list_changed().await.is_err())
                {
                    break; // the session is gone
                }
            }
        });
    }

    /// Protocol 2026-07-28: `subscriptions/listen` may ask for the list-changed
    /// notifications (the only ones this server sends).
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = SubscriptionFilter::default();
        accepted.tools_list_changed = requested.tools_list_changed.filter(|b| *b);
        accepted.prompts_list_changed = requested.prompts_list_changed.filter(|b| *b);
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        let mut changes = self.state.served.changes();
        let sink = context.sink();
        loop {
            let change = tokio::select! {
                _ = context.cancelled() => return Ok(()),
                change = changes.next() => change,
            };
            let Some(change) = change else { return Ok(()) };
            // The sink drops what the subscription did not accept.
            if change.tools {
                let _ = sink.notify_tool_list_changed().await;
            }
            if change.prompts {
                let _ = sink.notify_prompt_list_changed().await;
            }
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        tracing::debug!(level = ?request.level, "client set its log level");
        Ok(())
    }
}
