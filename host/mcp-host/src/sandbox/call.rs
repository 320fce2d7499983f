//! One plugin call: a fresh store and instance from the plugin's `InstancePre`,
//! the caller bound in the store, a deadline, a memory cap and an output cap.
//! Whatever the plugin does, the result is either its output or a [`PluginFault`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;
use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use super::admission::{Admission, AdmissionLimits};
use super::budget::{BudgetExceeded, BudgetUse};
use super::fault::PluginFault;
use super::json_check::{checked_object, parsed_object};
use super::runtime::SandboxRuntime;
use super::state::{CallContext, CallState, CallStateSource};
use crate::bindings::plugin_types::{PromptDescriptor, PromptResult, ToolDescriptor, ToolOutput};
pub use crate::bindings::v2::plugin_types::Content;
use crate::bindings::{prompt_provider, tool_provider, v2};
use crate::sandbox::SandboxConfig;

/// How long a call runs before it starts yielding to the async runtime at each
/// epoch tick. A typical call takes about a millisecond and ends first; when
/// every call yielded at the first tick, the one in ten that met a tick went to
/// the back of the run queue, behind every other request, and made the tail of
/// the latency distribution.
const YIELD_AFTER: Duration = Duration::from_millis(20);

/// What the host can run in a loaded plugin.
#[derive(Clone)]
pub struct PluginCode {
    pub name: Arc<str>,
    pub pre: InstancePre<CallState>,
    pub tools: Option<ToolsExport>,
    pub prompts: Option<PromptsExport>,
    /// `mcp:plugin/resource-provider@0.2.0`, when it serves resources.
    pub resources: Option<v2::resource_provider::GuestIndices>,
    /// Linear memory an instance needs to start, measured when the plugin was
    /// loaded: what a call reserves of the host-wide memory budget on admission.
    pub reserve_bytes: usize,
}
/// A plugin's tool export, by contract version.
#[derive(Clone)]
pub enum ToolsExport {
    /// `mcp:plugin/tool-provider@0.1.0`: a text result.
    V1(tool_provider::GuestIndices),
    /// `mcp:plugin/tool-provider@0.2.0`: a result of MCP content blocks.
    V2(v2::tool_provider::GuestIndices),
}

impl ToolsExport {
    /// The tool export `pre` has, newest version first.
    pub fn of(pre: &InstancePre<CallState>) -> Option<Self> {
        v2::tool_provider::GuestIndices::new(pre)
            .map(ToolsExport::V2)
            .or_else(|_| tool_provider::GuestIndices::new(pre).map(ToolsExport::V1))
            .ok()
    }
}

/// A plugin's prompt export, by contract version.
#[derive(Clone)]
pub enum PromptsExport {
    /// `mcp:plugin/prompt-provider@0.1.0`: text messages.
    V1(prompt_provider::GuestIndices),
    /// `mcp:plugin/prompt-provider@0.2.0`: messages of any content block.
    V2(v2::prompt_provider::GuestIndices),
}

impl PromptsExport {
    /// Whether it answers `completion/complete`.
    pub fn completes(&self) -> bool {
        matches!(self, PromptsExport::V2(_))
    }

    /// The prompt export `pre` has, newest version first.
    pub fn of(pre: &InstancePre<CallState>) -> Option<Self> {
        v2::prompt_provider::GuestIndices::new(pre)
            .map(PromptsExport::V2)
            .or_else(|_| prompt_provider::GuestIndices::new(pre).map(PromptsExport::V1))
            .ok()
    }
}

/// One export call.
#[derive(Debug, Clone)]
pub enum Invocation {
    ListTools,
    CallTool {
        name: String,
        arguments: String,
        /// What the caller will do with the structured content.
        structured: StructuredForm,
    },
    ListPrompts,
    GetPrompt {
        name: String,
        arguments: Vec<(String, String)>,
    },
    Instructions,
    ListResources,
    ListResourceTemplates,
    ReadResource {
        uri: String,
    },
    /// `completion/complete` for a prompt's argument (0.2 prompt exports only).
    Complete {
        prompt: String,
        argument: String,
        value: String,
    },
}

/// The form a tool's structured content is wanted in. Either way it is
/// checked to be one JSON object, in one pass over the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredForm {
    /// The plugin's text, to go out as written (stateless mode, `mcp::passthrough`).
    Text,
    /// A parsed value, for rmcp to write (stateful mode).
    Value,
}

/// A tool's structured content after the host checked it, in the form asked for.
#[derive(Debug, Clone)]
pub enum Structured {
    /// One JSON object on one line ([`checked_object`]).
    Text(String),
    Value(serde_json::Value),
}

/// A tool's output after the host checked it.
#[derive(Debug, Clone)]
pub struct CheckedOutput {
    /// The one text block of a 0.1 result (empty for 0.2).
    pub text: String,
    /// The content blocks of a 0.2 result.
    pub content: Option<Vec<Content>>,
    pub structured: Option<Structured>,
    pub is_error: bool,
}

/// What an export call returned.
#[derive(Debug, Clone)]
pub enum Returned {
    Tools(Vec<ToolDescriptor>),
    ToolOutput(Result<CheckedOutput, String>),
    Prompts(Vec<PromptDescriptor>),
    Prompt(Result<PromptResult, String>),
    /// A 0.2 prompt: messages of content blocks.
    ContentPrompt(Result<v2::plugin_types::PromptResult, String>),
    Instructions(Option<String>),
    /// Completion values, best first.
    Completions(Vec<String>),
    Resources(Vec<v2::plugin_types::ResourceDescriptor>),
    ResourceTemplates(Vec<v2::plugin_types::ResourceTemplate>),
    ResourceContents(Result<Vec<v2::plugin_types::EmbeddedResource>, String>),
    /// A tool's output as the plugin returned it (before `check_output`).
    RawToolOutput(Result<ToolOutput, String>),
    /// A 0.2 tool's output as the plugin returned it (before `check_output`).
    RawContentOutput(Result<v2::plugin_types::ToolOutput, String>),
}

/// What one call used: of its budgets, of memory, and of time.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallUsage {
    pub budget: BudgetUse,
    pub memory_peak_bytes: usize,
    pub took: Duration,
}

/// The shared engine, the limits every call runs under, admission, and the
/// threads calls run on.
pub struct Sandbox {
    shared: Arc<Shared>,
    admission: Admission,
    runtime: SandboxRuntime,
}

/// What a call's task needs of the sandbox.
struct Shared {
    engine: Engine,
    limits: SandboxConfig,
    /// What builds each call's per-capability state.
    states: Arc<dyn CallStateSource>,
}

impl Sandbox {
    pub fn new(
        engine: Engine,
        limits: SandboxConfig,
        states: Arc<dyn CallStateSource>,
    ) -> std::io::Result<Self> {
        let admission = Admission::new(AdmissionLimits {
            instances: limits.max_instances,
            memory_bytes: limits.memory_budget_bytes(),
            queue: limits.call_queue,
            queue_wait: Duration::from_millis(limits.call_queue_wait_ms),
        });
        let threads = match limits.sandbox_threads {
            0 => SandboxRuntime::default_threads(),
            n => n,
        };
        Ok(Sandbox {
            shared: Arc::new(Shared {
                engine,
                limits,
                states,
            }),
            admission,
            runtime: SandboxRuntime::new(threads)?,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    pub fn limits(&self) -> &SandboxConfig {
        &self.shared.limits
    }

    /// Run one export call in a fresh instance.
    pub async fn invoke(
        &self,
        code: &PluginCode,
        ctx: CallContext,
        invocation: Invocation,
    ) -> Result<Returned, PluginFault> {
        self.invoke_measured(code, ctx, invocation).await.0
    }

    /// Run one export call in a fresh instance, and say what it used.
    pub async fn invoke_measured(
        &self,
        code: &PluginCode,
        ctx: CallContext,
        invocation: Invocation,
    ) -> (Result<Returned, PluginFault>, CallUsage) {
        let admitted = match self.admission.admit(code.reserve_bytes).await {
            Ok(a) => a,
            Err(busy) => {
                let fault = PluginFault::Busy {
                    detail: busy.to_string(),
                };
                return (Err(fault), CallUsage::default());
            }
        };
        let states = self.shared.states.call_states(&ctx);
        let shared = self.shared.clone();
        let span = invocation_span(&code.name, &invocation);
        let code = code.clone();
        let plugin = code.name.clone();
        let work = async move {
            let _slot = admitted.slot;
            let limits = &shared.limits;
            let mut store = Store::new(
                &shared.engine,
                CallState::new(
                    ctx,
                    states,
                    limits.memory_bytes(),
                    Some(admitted.lease),
                    limits.budgets,
                ),
            );
            store.limiter(|s| &mut s.limiter);
            let started = Instant::now();
            let deadline = limits.deadline();
            let deadline_at = started + deadline;
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |_| {
                let now = Instant::now();
                if now >= deadline_at {
                    Err(Trap::Interrupt.into())
                } else if now - started >= YIELD_AFTER {
                    // A long call yields to the runtime each tick, so a busy
                    // plugin never starves the others.
                    Ok(UpdateDeadline::Yield(1))
                } else {
                    Ok(UpdateDeadline::Continue(1))
                }
            });
            let form = match &invocation {
                Invocation::CallTool { structured, .. } => *structured,
                _ => StructuredForm::Text,
            };
            // Backstop for time spent outside wasm (host imports), checked by tokio.
            let outer = deadline + Duration::from_millis(250);
            let result = tokio::time::timeout(outer, run(&mut store, &code, invocation)).await;
            let usage = CallUsage {
                budget: store.data().core.budget_used(),
                memory_peak_bytes: store.data().limiter.peak_bytes(),
                took: started.elapsed(),
            };
            let plugin = code.name.to_string();
            let returned = match result {
                Err(_elapsed) => Err(PluginFault::Deadline {
                    plugin,
                    ms: limits.plugin_deadline_ms,
                }),
                Ok(Err(e)) => Err(classify(limits, plugin, e, &store)),
                Ok(Ok(r)) => check_output(limits, &plugin, r, form),
            };
            Ok((returned, usage))
        };
        let work = work.instrument(span.clone());
        let (returned, usage) = match self.runtime.run(&plugin, work).await {
            Ok((returned, usage)) => {
                tracing::debug!(
                    target: "mcp_host::sandbox::usage",
                    plugin = %plugin,
                    imports = usage.budget.imports,
                    rows = usage.budget.rows,
                    log_records = usage.budget.log_records,
                    log_bytes = usage.budget.log_bytes,
                    writes = usage.budget.writes,
                    memory_peak_kib = usage.memory_peak_bytes / 1024,
                    micros = usage.took.as_micros() as u64,
                    "call usage"
                );
                (returned, usage)
            }
            Err(fault) => (Err(fault), CallUsage::default()),
        };
        if !span.is_disabled() {
            record_usage(&span, &usage, &returned);
        }
        (returned, usage)
    }
}

impl Invocation {
    /// The export it calls, as the WIT names it.
    pub fn export(&self) -> &'static str {
        match self {
            Invocation::ListTools => "list-tools",
            Invocation::CallTool { .. } => "call-tool",
            Invocation::ListPrompts => "list-prompts",
            Invocation::GetPrompt { .. } => "get-prompt",
            Invocation::Instructions => "instructions",
            Invocation::ListResources => "list-resources",
            Invocation::ListResourceTemplates => "list-resource-templates",
            Invocation::ReadResource { .. } => "read-resource",
            Invocation::Complete { .. } => "complete",
        }
    }
}

/// The trace span of one plugin invocation (disabled when traces are off).
fn invocation_span(plugin: &str, invocation: &Invocation) -> tracing::Span {
    use tracing::field::Empty;
    tracing::info_span!(
        target: crate::telemetry::TARGET,
        "plugin invocation",
        otel.name = %format_args!("plugin {plugin} {}", invocation.export()),
        otel.status_code = Empty,
        mcp.plugin.name = plugin,
        mcp.plugin.export = invocation.export(),
        mcp.plugin.time_us = Empty,
        mcp.plugin.memory_peak_bytes = Empty,
        mcp.plugin.imports = Empty,
        mcp.plugin.rows = Empty,
        mcp.plugin.writes = Empty,
        error.type = Empty,
    )
}

/// What the call used, on its span.
fn record_usage(span: &tracing::Span, usage: &CallUsage, returned: &Result<Returned, PluginFault>) {
    span.record("mcp.plugin.time_us", usage.took.as_micros() as u64);
    span.record(
        "mcp.plugin.memory_peak_bytes",
        usage.memory_peak_bytes as u64,
    );
    span.record("mcp.plugin.imports", usage.budget.imports);
    span.record("mcp.plugin.rows", usage.budget.rows);
    span.record("mcp.plugin.writes", usage.budget.writes);
    if let Err(fault) = returned {
        span.record("error.type", fault.kind());
        if !matches!(fault, PluginFault::NeedsInput { .. }) {
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// Name what ended a call that did not return.
fn classify(
    limits: &SandboxConfig,
    plugin: String,
    err: wasmtime::Error,
    store: &Store<CallState>,
) -> PluginFault {
    let state = store.data();
    if let Some(over) = &state.core.over_budget {
        return PluginFault::Budget(over.clone());
    }
    if let Some(over) = err.downcast_ref::<BudgetExceeded>() {
        return PluginFault::Budget(over.clone());
    }
    if err
        .downcast_ref::<crate::client_link::NeedsInput>()
        .is_some()
    {
        return PluginFault::NeedsInput { plugin };
    }
    if state.limiter.budget_exhausted {
        return PluginFault::Busy {
            detail: format!(
                "plugin `{plugin}` needed more memory than the host's plugin memory budget of {} MiB has free",
                limits.memory_budget_mib
            ),
        };
    }
    if state.limiter.exceeded {
        return PluginFault::Memory {
            plugin,
            mib: limits.plugin_memory_mib,
        };
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        if *trap == Trap::Interrupt {
            return PluginFault::Deadline {
                plugin,
                ms: limits.plugin_deadline_ms,
            };
        }
        return PluginFault::Trap {
            plugin,
            detail: trap.to_string(),
        };
    }
    let detail = format!("{err:#}");
    if detail.contains("instantiat") || detail.contains("maximum concurrent") {
        return PluginFault::Instantiate { plugin, detail };
    }
    PluginFault::Trap {
        plugin,
        detail: detail.lines().next().unwrap_or_default().to_string(),
    }
}

/// Enforce the output cap and the shape of what the plugin returned.
fn check_output(
    limits: &SandboxConfig,
    plugin: &str,
    returned: Returned,
    form: StructuredForm,
) -> Result<Returned, PluginFault> {
    let cap = limits.plugin_output_bytes;
    let bytes = output_size(&returned);
    if bytes > cap {
        return Err(PluginFault::OutputTooLarge {
            plugin: plugin.to_string(),
            bytes,
            cap,
        });
    }
    let (out, content) = match returned {
        Returned::RawToolOutput(Ok(out)) => (out, None),
        // 0.2: the blocks carry the text; the structured content is checked as for 0.1.
        Returned::RawContentOutput(Ok(out)) => (
            ToolOutput {
                text: String::new(),
                structured_content: out.structured_content,
                is_error: out.is_error,
            },
            Some(out.content),
        ),
        Returned::RawToolOutput(Err(e)) | Returned::RawContentOutput(Err(e)) => {
            return Ok(Returned::ToolOutput(Err(e)));
        }
        other => return Ok(other),
    };
    let malformed = |detail: String| PluginFault::MalformedOutput {
        plugin: plugin.to_string(),
        detail,
    };
    let structured = match (out.structured_content, form) {
        (None, _) => None,
        (Some(text), StructuredForm::Text) => Some(Structured::Text(
            checked_object(text).map_err(|e| malformed(e.to_string()))?,
        )),
        (Some(text), StructuredForm::Value) => Some(Structured::Value(
            parsed_object(&text).map_err(|e| malformed(e.to_string()))?,
        )),
    };
    Ok(Returned::ToolOutput(Ok(CheckedOutput {
        text: out.text,
        content,
        structured,
        is_error: out.is_error,
    })))
}

async fn run(
    store: &mut Store<CallState>,
    code: &PluginCode,
    invocation: Invocation,
) -> wasmtime::Result<Returned> {
    let instance = code.pre.instantiate_async(&mut *store).await?;
    let missing =
        |what: &str| wasmtime::format_err!("plugin `{}` does not export {what}", code.name);
    Ok(match invocation {
        Invocation::ListTools => match code.tools.as_ref() {
            Some(ToolsExport::V1(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Tools(guest.call_list_tools(&mut *store).await?)
            }
            Some(ToolsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                let tools = guest.call_list_tools(&mut *store).await?;
                Returned::Tools(tools.into_iter().map(descriptor_v1).collect())
            }
            None => return Err(missing("mcp:plugin/tool-provider")),
        },
        Invocation::CallTool {
            name, arguments, ..
        } => match code.tools.as_ref() {
            Some(ToolsExport::V1(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::RawToolOutput(guest.call_call_tool(&mut *store, &name, &arguments).await?)
            }
            Some(ToolsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::RawContentOutput(
                    guest.call_call_tool(&mut *store, &name, &arguments).await?,
                )
            }
            None => return Err(missing("mcp:plugin/tool-provider")),
        },
        Invocation::ListPrompts => match code.prompts.as_ref() {
            Some(PromptsExport::V1(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Prompts(guest.call_list_prompts(&mut *store).await?)
            }
            Some(PromptsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                let prompts = guest.call_list_prompts(&mut *store).await?;
                Returned::Prompts(prompts.into_iter().map(prompt_v1).collect())
            }
            None => return Err(missing("mcp:plugin/prompt-provider")),
        },
        Invocation::GetPrompt { name, arguments } => match code.prompts.as_ref() {
            Some(PromptsExport::V1(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Prompt(
                    guest
                        .call_get_prompt(&mut *store, &name, &arguments)
                        .await?,
                )
            }
            Some(PromptsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::ContentPrompt(
                    guest
                        .call_get_prompt(&mut *store, &name, &arguments)
                        .await?,
                )
            }
            None => return Err(missing("mcp:plugin/prompt-provider")),
        },
        Invocation::Instructions => match code.prompts.as_ref() {
            Some(PromptsExport::V1(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Instructions(guest.call_instructions(&mut *store).await?)
            }
            Some(PromptsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Instructions(guest.call_instructions(&mut *store).await?)
            }
            None => return Err(missing("mcp:plugin/prompt-provider")),
        },
        Invocation::ListResources => {
            let idx = code
                .resources
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/resource-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::Resources(guest.call_list_resources(&mut *store).await?)
        }
        Invocation::ListResourceTemplates => {
            let idx = code
                .resources
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/resource-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::ResourceTemplates(guest.call_list_resource_templates(&mut *store).await?)
        }
        Invocation::ReadResource { uri } => {
            let idx = code
                .resources
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/resource-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::ResourceContents(guest.call_read_resource(&mut *store, &uri).await?)
        }
        Invocation::Complete {
            prompt,
            argument,
            value,
        } => match code.prompts.as_ref() {
            Some(PromptsExport::V2(idx)) => {
                let guest = idx.load(&mut *store, &instance)?;
                Returned::Completions(
                    guest
                        .call_complete(&mut *store, &prompt, &argument, &value)
                        .await?,
                )
            }
            // A 0.1 prompt export has no completion: no values.
            Some(PromptsExport::V1(_)) => Returned::Completions(Vec::new()),
            None => return Err(missing("mcp:plugin/prompt-provider")),
        },
    })
}

fn output_size(r: &Returned) -> usize {
    match r {
        Returned::Tools(tools) => tools
            .iter()
            .map(|t| {
                t.name.len()
                    + t.description.len()
                    + t.input_schema.len()
                    + t.output_schema.as_ref().map_or(0, String::len)
                    + t.title.as_ref().map_or(0, String::len)
            })
            .sum(),
        Returned::RawToolOutput(Ok(o)) => {
            o.text.len() + o.structured_content.as_ref().map_or(0, String::len)
        }
        Returned::RawContentOutput(Ok(o)) => {
            o.content.iter().map(content_size).sum::<usize>()
                + o.structured_content.as_ref().map_or(0, String::len)
        }
        Returned::RawToolOutput(Err(e))
        | Returned::RawContentOutput(Err(e))
        | Returned::ToolOutput(Err(e)) => e.len(),
        Returned::ToolOutput(Ok(o)) => {
            o.text.len() + o.content.iter().flatten().map(content_size).sum::<usize>()
        }
        Returned::Prompts(p) => p
            .iter()
            .map(|p| p.name.len() + p.description.as_ref().map_or(0, String::len))
            .sum(),
        Returned::Prompt(Ok(p)) => p.messages.iter().map(|m| m.text.len()).sum(),
        Returned::Prompt(Err(e)) | Returned::ContentPrompt(Err(e)) => e.len(),
        Returned::ContentPrompt(Ok(p)) => p.messages.iter().map(|m| content_size(&m.content)).sum(),
        Returned::Instructions(i) => i.as_ref().map_or(0, String::len),
        Returned::Completions(v) => v.iter().map(String::len).sum(),
        Returned::Resources(r) => r
            .iter()
            .map(|r| r.uri.len() + r.name.len() + r.description.as_ref().map_or(0, String::len))
            .sum(),
        Returned::ResourceTemplates(t) => t
            .iter()
            .map(|t| {
                t.uri_template.len() + t.name.len() + t.description.as_ref().map_or(0, String::len)
            })
            .sum(),
        Returned::ResourceContents(Ok(c)) => c
            .iter()
            .map(|r| content_size(&Content::EmbeddedResource(r.clone())))
            .sum(),
        Returned::ResourceContents(Err(e)) => e.len(),
    }
}

/// Bytes a content block holds, for the output cap.
fn content_size(c: &Content) -> usize {
    use v2::plugin_types::ResourceBody;
    match c {
        Content::Text(t) => t.len(),
        Content::Image(b) | Content::Audio(b) => b.data.len() + b.mime_type.len(),
        Content::EmbeddedResource(r) => {
            r.uri.len()
                + match &r.body {
                    ResourceBody::Text(t) => t.len(),
                    ResourceBody::Blob(b) => b.len(),
                }
        }
        Content::ResourceLink(l) => {
            l.uri.len()
                + l.name.len()
                + l.title.as_ref().map_or(0, String::len)
                + l.description.as_ref().map_or(0, String::len)
        }
    }
}

/// A 0.2 tool descriptor as the registry keeps them (the fields are the same).
fn descriptor_v1(t: v2::plugin_types::ToolDescriptor) -> ToolDescriptor {
    use crate::bindings::plugin_types::ToolAnnotations;
    ToolDescriptor {
        name: t.name,
        title: t.title,
        description: t.description,
        input_schema: t.input_schema,
        output_schema: t.output_schema,
        required_scope: t.required_scope,
        annotations: ToolAnnotations {
            read_only_hint: t.annotations.read_only_hint,
            destructive_hint: t.annotations.destructive_hint,
            idempotent_hint: t.annotations.idempotent_hint,
            open_world_hint: t.annotations.open_world_hint,
        },
    }
}

/// A 0.2 prompt descriptor as the registry keeps them (the fields are the same).
fn prompt_v1(p: v2::plugin_types::PromptDescriptor) -> PromptDescriptor {
    use crate::bindings::plugin_types::PromptArgument;
    PromptDescriptor {
        name: p.name,
        title: p.title,
        description: p.description,
        arguments: p
            .arguments
            .into_iter()
            .map(|a| PromptArgument {
                name: a.name,
                description: a.description,
                required: a.required,
            })
            .collect(),
    }
}
