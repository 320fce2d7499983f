//! One plugin call: a fresh store and instance from the plugin's `InstancePre`,
//! the caller bound in the store, a deadline, a memory cap and an output cap.
//! Whatever the plugin does, the result is either its output or a [`PluginFault`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use super::fault::PluginFault;
use super::json_check::{checked_object, parsed_object};
use super::state::{CallContext, CallState};
use crate::bindings::plugin_types::{PromptDescriptor, PromptResult, ToolDescriptor, ToolOutput};
use crate::bindings::{prompt_provider, tool_provider};
use crate::config::SandboxConfig;

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
    pub tools: Option<tool_provider::GuestIndices>,
    pub prompts: Option<prompt_provider::GuestIndices>,
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
}

/// The form a tool's structured content is wanted in. Either way it is
/// checked to be one JSON object, in one pass over the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredForm {
    /// The plugin's text, to go out as written (stateless mode, `http::passthrough`).
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
    pub text: String,
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
    Instructions(Option<String>),
    /// A tool's output as the plugin returned it (before `check_output`).
    RawToolOutput(Result<ToolOutput, String>),
}

/// The shared engine plus the limits every call runs under.
pub struct Sandbox {
    engine: Engine,
    limits: SandboxConfig,
    slots: Arc<Semaphore>,
}

impl Sandbox {
    pub fn new(engine: Engine, limits: SandboxConfig) -> Self {
        let slots = Arc::new(Semaphore::new(limits.max_instances.max(1) as usize));
        Sandbox {
            engine,
            limits,
            slots,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn limits(&self) -> &SandboxConfig {
        &self.limits
    }

    /// Run one export call in a fresh instance.
    pub async fn invoke(
        &self,
        code: &PluginCode,
        ctx: CallContext,
        invocation: Invocation,
    ) -> Result<Returned, PluginFault> {
        let plugin = code.name.to_string();
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| PluginFault::Instantiate {
                plugin: plugin.clone(),
                detail: "the host is shutting down".into(),
            })?;

        let deadline = self.limits.deadline();
        let mut store = Store::new(
            &self.engine,
            CallState::new(ctx, self.limits.memory_bytes()),
        );
        store.limiter(|s| &mut s.limiter);
        let started = Instant::now();
        let deadline_at = started + deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            let now = Instant::now();
            if now >= deadline_at {
                Err(Trap::Interrupt.into())
            } else if now - started >= YIELD_AFTER {
                // A long call yields to the async runtime each tick, so a busy
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
        let result = tokio::time::timeout(outer, run(&mut store, code, invocation)).await;
        let returned = match result {
            Err(_elapsed) => {
                return Err(PluginFault::Deadline {
                    plugin,
                    ms: self.limits.plugin_deadline_ms,
                });
            }
            Ok(Err(e)) => return Err(self.classify(plugin, e, &store)),
            Ok(Ok(r)) => r,
        };
        self.check_output(&plugin, returned, form)
    }

    fn classify(
        &self,
        plugin: String,
        err: wasmtime::Error,
        store: &Store<CallState>,
    ) -> PluginFault {
        if store.data().limiter.exceeded {
            return PluginFault::Memory {
                plugin,
                mib: self.limits.plugin_memory_mib,
            };
        }
        if let Some(trap) = err.downcast_ref::<Trap>() {
            if *trap == Trap::Interrupt {
                return PluginFault::Deadline {
                    plugin,
                    ms: self.limits.plugin_deadline_ms,
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
        &self,
        plugin: &str,
        returned: Returned,
        form: StructuredForm,
    ) -> Result<Returned, PluginFault> {
        let cap = self.limits.plugin_output_bytes;
        let bytes = output_size(&returned);
        if bytes > cap {
            return Err(PluginFault::OutputTooLarge {
                plugin: plugin.to_string(),
                bytes,
                cap,
            });
        }
        let Returned::RawToolOutput(raw) = returned else {
            return Ok(returned);
        };
        let out = match raw {
            Err(e) => return Ok(Returned::ToolOutput(Err(e))),
            Ok(out) => out,
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
            structured,
            is_error: out.is_error,
        })))
    }
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
        Invocation::ListTools => {
            let idx = code
                .tools
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/tool-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::Tools(guest.call_list_tools(&mut *store).await?)
        }
        Invocation::CallTool {
            name, arguments, ..
        } => {
            let idx = code
                .tools
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/tool-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::RawToolOutput(guest.call_call_tool(&mut *store, &name, &arguments).await?)
        }
        Invocation::ListPrompts => {
            let idx = code
                .prompts
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/prompt-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::Prompts(guest.call_list_prompts(&mut *store).await?)
        }
        Invocation::GetPrompt { name, arguments } => {
            let idx = code
                .prompts
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/prompt-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::Prompt(
                guest
                    .call_get_prompt(&mut *store, &name, &arguments)
                    .await?,
            )
        }
        Invocation::Instructions => {
            let idx = code
                .prompts
                .as_ref()
                .ok_or_else(|| missing("mcp:plugin/prompt-provider"))?;
            let guest = idx.load(&mut *store, &instance)?;
            Returned::Instructions(guest.call_instructions(&mut *store).await?)
        }
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
        Returned::RawToolOutput(Err(e)) | Returned::ToolOutput(Err(e)) => e.len(),
        Returned::ToolOutput(Ok(o)) => o.text.len(),
        Returned::Prompts(p) => p
            .iter()
            .map(|p| p.name.len() + p.description.as_ref().map_or(0, String::len))
            .sum(),
        Returned::Prompt(Ok(p)) => p.messages.iter().map(|m| m.text.len()).sum(),
        Returned::Prompt(Err(e)) => e.len(),
        Returned::Instructions(i) => i.as_ref().map_or(0, String::len),
    }
}
