//! The MCP surface (rmcp `ServerHandler`): tools and prompts are the union of
//! the loaded plugins'; each call is routed by name into the sandbox with the
//! caller the HTTP layer bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

#[allow(deprecated)]
// logging/setLevel is deprecated by SEP-2577 but older clients and the conformance suite use it
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CompletionInfo,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult,
    ListToolsResult, LoggingLevel, PaginatedRequestParams, PromptMessage, Reference, Role,
    ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use self::passthrough::Passthrough;
use crate::bindings::plugin_types as pt;
use crate::caller::{Caller, RequestMeta};
use crate::capability::Capabilities;
use crate::confirm::{Confirmations, WriteGate};
use crate::identity::Identity;
use crate::metrics::{Metrics, ToolLabel};
use crate::plugins::LoadedPlugin;
use crate::plugins::Registry;
use crate::sandbox::Sandbox;
use crate::sandbox::call::{Invocation, Returned};
use crate::shared::SharedState;
use crate::subscriptions::Subscriptions;

mod ask;
mod asking;
mod content;
pub mod passthrough;
mod resources;
pub mod served;
mod tool_call;
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
    /// Sessions subscribed to resources (`resources/subscribe`).
    pub subscriptions: Arc<Subscriptions>,
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
            subscriptions: Arc::default(),
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
    /// The least severe log message this session's client wants
    /// (`logging/setLevel`; a rank of [`crate::client_link::rank`], info until set).
    min_level: Arc<AtomicU8>,
}

impl McpHost {
    pub fn new(state: Arc<HostState>) -> Self {
        McpHost {
            state,
            min_level: Arc::new(AtomicU8::new(1)),
        }
    }

    /// The level `logging/setLevel` asked for.
    #[allow(deprecated)]
    fn min_level(&self) -> LoggingLevel {
        use LoggingLevel as L;
        const LEVELS: [LoggingLevel; 8] = [
            L::Debug,
            L::Info,
            L::Notice,
            L::Warning,
            L::Error,
            L::Critical,
            L::Alert,
            L::Emergency,
        ];
        LEVELS[usize::from(self.min_level.load(Ordering::Relaxed)).min(7)]
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

/// The `Mcp-Session-Id` of a session's request.
fn session_id(context: &RequestContext<RoleServer>) -> Option<String> {
    context
        .extensions
        .get::<http::request::Parts>()?
        .headers
        .get("mcp-session-id")?
        .to_str()
        .ok()
        .map(str::to_string)
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
    /// Its trace span (disabled when traces are off).
    span: tracing::Span,
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
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        self.call(request, context).await
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
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if resources::serving(&self.state.registry(), &request.uri).is_none() {
            return Err(McpError::resource_not_found(
                format!("Unknown resource: {}", request.uri),
                None,
            ));
        }
        // Only a session can be told later; a stateless request is accepted
        // (the resource exists) and remembered nowhere.
        if let Some(session) = session_id(&context) {
            self.state
                .subscriptions
                .subscribe(&request.uri, &session, context.peer.clone())
                .map_err(|e| McpError::invalid_request(e.to_string(), None))?;
        }
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if let Some(session) = session_id(&context) {
            self.state.subscriptions.unsubscribe(&request.uri, &session);
        }
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
        self.min_level
            .store(crate::client_link::rank(request.level), Ordering::Relaxed);
        Ok(())
    }
}
