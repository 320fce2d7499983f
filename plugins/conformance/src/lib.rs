//! The tools the official MCP conformance suite
//! (`@modelcontextprotocol/conformance@0.1.12`) calls in its server scenarios,
//! with the names and results each scenario prints, served through contract
//! 0.2 (`wit/mcp-plugin-0.2`): text, image, audio, embedded-resource and mixed
//! content, an error result, a JSON Schema 2020-12 input schema, and prompts
//! with arguments, an embedded resource and an image, completions,
//! resources (text, binary, a template, one to subscribe to), and tools that
//! talk to the client during a call: log messages, progress, sampling and
//! elicitation (the `notify`, `sampling` and `elicitation` imports its
//! manifest grants).

wit_bindgen::generate!({
    path: "../../wit/mcp-plugin-0.2",
    world: "mcp:plugin/interactive-full-plugin@0.2.0",
});

use exports::mcp::plugin::prompt_provider::Guest as PromptGuest;
use exports::mcp::plugin::resource_provider::Guest as ResourceGuest;
use exports::mcp::plugin::tool_provider::Guest;
use mcp::plugin::elicitation::{self, Action};
use mcp::plugin::notify::{self, LogLevel};
use mcp::plugin::sampling::{self, CreateMessageRequest, SamplingMessage};
use mcp::plugin::types::{
    Binary, Content, EmbeddedResource, PromptArgument, PromptDescriptor, PromptMessage,
    PromptResult, ResourceBody, ResourceDescriptor, ResourceTemplate, Role, ToolAnnotations,
    ToolDescriptor, ToolOutput,
};

/// A 1×1 red PNG.
const RED_PIXEL: &[u8] = include_bytes!("../assets/red.png");
/// 10 ms of silence, 8 kHz mono WAV.
const SILENCE: &[u8] = include_bytes!("../assets/silence.wav");

const NO_ARGUMENTS: &str = r#"{"type":"object","properties":{}}"#;

/// The input schema `json-schema-2020-12` checks is passed through unchanged.
const SCHEMA_2020_12: &str = r##"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"}},"additionalProperties":false}"##;

const PROMPT_ARGUMENT: &str = r#"{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send to the LLM"}},"required":["prompt"]}"#;
const MESSAGE_ARGUMENT: &str = r#"{"type":"object","properties":{"message":{"type":"string","description":"The message to show the user"}},"required":["message"]}"#;

/// The form `tools-call-elicitation` names.
const USER_FORM: &str = r#"{"type":"object","properties":{"username":{"type":"string","description":"User's response"},"email":{"type":"string","description":"User's email address"}},"required":["username","email"]}"#;

/// SEP-1034: a default for every primitive type.
const DEFAULTS_FORM: &str = r#"{"type":"object","properties":{"name":{"type":"string","description":"User name","default":"John Doe"},"age":{"type":"integer","description":"User age","default":30},"score":{"type":"number","description":"User score","default":95.5},"status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},"verified":{"type":"boolean","description":"Verification status","default":true}},"required":[]}"#;

/// SEP-1330: the five enum forms.
const ENUMS_FORM: &str = r#"{"type":"object","properties":{"untitledSingle":{"type":"string","description":"Untitled single-select","enum":["option1","option2","option3"]},"titledSingle":{"type":"string","description":"Titled single-select","oneOf":[{"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},"legacyEnum":{"type":"string","description":"Legacy titled enum","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},"untitledMulti":{"type":"array","description":"Untitled multi-select","items":{"type":"string","enum":["option1","option2","option3"]}},"titledMulti":{"type":"array","description":"Titled multi-select","items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}},"required":[]}"#;

const URI_ARGUMENT: &str = r#"{"type":"object","properties":{"uri":{"type":"string","description":"The resource that changed"}},"required":["uri"]}"#;

const TOOLS: &[(&str, &str, &str)] = &[
    (
        "notify_resource_updated",
        "Tells the sessions subscribed to one of this plugin's resources that it changed (not a suite scenario: resources-subscribe checks only the subscription).",
        URI_ARGUMENT,
    ),
    (
        "test_tool_with_logging",
        "Sends three log messages while it runs.",
        NO_ARGUMENTS,
    ),
    (
        "test_tool_with_progress",
        "Reports progress 0, 50 and 100 of 100 while it runs.",
        NO_ARGUMENTS,
    ),
    (
        "test_sampling",
        "Asks the client's model to answer a prompt.",
        PROMPT_ARGUMENT,
    ),
    (
        "test_elicitation",
        "Asks the user for a username and an email address.",
        MESSAGE_ARGUMENT,
    ),
    (
        "test_elicitation_sep1034_defaults",
        "Asks the user for a form whose fields all have defaults (SEP-1034).",
        NO_ARGUMENTS,
    ),
    (
        "test_elicitation_sep1330_enums",
        "Asks the user for a form with the five enum forms (SEP-1330).",
        NO_ARGUMENTS,
    ),
    ("test_simple_text", "Returns one text block.", NO_ARGUMENTS),
    ("test_image_content", "Returns a 1x1 red PNG.", NO_ARGUMENTS),
    (
        "test_audio_content",
        "Returns a short WAV clip.",
        NO_ARGUMENTS,
    ),
    (
        "test_embedded_resource",
        "Returns an embedded text resource.",
        NO_ARGUMENTS,
    ),
    (
        "test_multiple_content_types",
        "Returns text, an image and an embedded resource.",
        NO_ARGUMENTS,
    ),
    (
        "test_error_handling",
        "Always fails with an error result.",
        NO_ARGUMENTS,
    ),
    (
        "json_schema_2020_12_tool",
        "Tool with JSON Schema 2020-12 features",
        SCHEMA_2020_12,
    ),
];

struct Conformance;

fn output(content: Vec<Content>, is_error: bool) -> ToolOutput {
    ToolOutput {
        content,
        structured_content: None,
        is_error,
    }
}

fn text(text: String) -> ToolOutput {
    output(vec![Content::Text(text)], false)
}

/// The string argument `name` of a tool call.
fn string_argument(arguments: &str, name: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(arguments)
        .ok()
        .and_then(|v| v.get(name)?.as_str().map(str::to_string))
        .ok_or_else(|| format!("missing required argument `{name}`"))
}

fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(50));
}

fn with_logging() -> ToolOutput {
    let log = |data: &str| notify::log_message(LogLevel::Info, Some("conformance"), data);
    log(r#""Tool execution started""#);
    pause();
    log(r#""Tool processing data""#);
    pause();
    log(r#""Tool execution completed""#);
    text("Tool with logging executed successfully".into())
}

fn with_progress() -> ToolOutput {
    for (i, step) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            pause();
        }
        notify::progress(step, Some(100.0), None);
    }
    text("Tool with progress executed successfully".into())
}

fn with_sampling(arguments: &str) -> Result<ToolOutput, String> {
    let prompt = string_argument(arguments, "prompt")?;
    let asked = sampling::create_message(&CreateMessageRequest {
        messages: vec![SamplingMessage {
            role: Role::User,
            content: Content::Text(prompt),
        }],
        system_prompt: None,
        max_tokens: 100,
        temperature: None,
        stop_sequences: vec![],
    });
    Ok(match asked {
        Ok(answer) => match answer.content {
            Content::Text(t) => text(format!("LLM response: {t}")),
            _ => text("LLM response: (not text)".into()),
        },
        Err(e) => output(vec![Content::Text(format!("Sampling failed: {e}"))], true),
    })
}

fn action(a: Action) -> &'static str {
    match a {
        Action::Accept => "accept",
        Action::Decline => "decline",
        Action::Cancel => "cancel",
    }
}

/// Ask with `form`, and say what came back in the words `say` chooses.
fn with_elicitation(message: &str, form: &str, say: fn(&str, &str) -> String) -> ToolOutput {
    match elicitation::elicit(message, form) {
        Ok(r) => text(say(action(r.action), r.content.as_deref().unwrap_or("{}"))),
        Err(e) => output(
            vec![Content::Text(format!("Elicitation failed: {e}"))],
            true,
        ),
    }
}

fn image() -> Content {
    Content::Image(Binary {
        data: RED_PIXEL.to_vec(),
        mime_type: "image/png".into(),
    })
}

fn text_resource(uri: &str, mime_type: &str, text: &str) -> Content {
    Content::EmbeddedResource(EmbeddedResource {
        uri: uri.into(),
        mime_type: Some(mime_type.into()),
        body: ResourceBody::Text(text.into()),
    })
}

impl Guest for Conformance {
    fn list_tools() -> Vec<ToolDescriptor> {
        TOOLS
            .iter()
            .map(|(name, description, schema)| ToolDescriptor {
                name: (*name).into(),
                title: None,
                description: (*description).into(),
                input_schema: (*schema).into(),
                output_schema: None,
                required_scope: None,
                annotations: ToolAnnotations {
                    read_only_hint: Some(true),
                    destructive_hint: None,
                    idempotent_hint: Some(true),
                    open_world_hint: Some(false),
                },
            })
            .collect()
    }

    fn call_tool(name: String, arguments: String) -> Result<ToolOutput, String> {
        Ok(match name.as_str() {
            "test_simple_text" => output(
                vec![Content::Text(
                    "This is a simple text response for testing.".into(),
                )],
                false,
            ),
            "test_image_content" => output(vec![image()], false),
            "test_audio_content" => output(
                vec![Content::Audio(Binary {
                    data: SILENCE.to_vec(),
                    mime_type: "audio/wav".into(),
                })],
                false,
            ),
            "test_embedded_resource" => output(
                vec![text_resource(
                    "test://embedded-resource",
                    "text/plain",
                    "This is an embedded resource content.",
                )],
                false,
            ),
            "test_multiple_content_types" => output(
                vec![
                    Content::Text("Multiple content types test:".into()),
                    image(),
                    text_resource(
                        "test://mixed-content-resource",
                        "application/json",
                        r#"{"test":"data","value":123}"#,
                    ),
                ],
                false,
            ),
            "test_error_handling" => output(
                vec![Content::Text(
                    "This tool intentionally returns an error for testing".into(),
                )],
                true,
            ),
            "json_schema_2020_12_tool" => output(vec![Content::Text("ok".into())], false),
            "test_tool_with_logging" => with_logging(),
            "notify_resource_updated" => {
                let uri = string_argument(&arguments, "uri")?;
                let told = notify::resource_updated(&uri);
                text(format!("subscribers told: {told}"))
            }
            "test_tool_with_progress" => with_progress(),
            "test_sampling" => with_sampling(&arguments)?,
            "test_elicitation" => {
                let message = string_argument(&arguments, "message")?;
                with_elicitation(&message, USER_FORM, |action, content| {
                    format!("User response: action={action}, content={content}")
                })
            }
            "test_elicitation_sep1034_defaults" => with_elicitation(
                "Test client default value handling - please accept with defaults",
                DEFAULTS_FORM,
                |action, content| {
                    format!("Elicitation completed: action={action}, content={content}")
                },
            ),
            "test_elicitation_sep1330_enums" => with_elicitation(
                "Test enum schema variants - please choose",
                ENUMS_FORM,
                |action, content| {
                    format!("Elicitation completed: action={action}, content={content}")
                },
            ),
            other => return Err(format!("Unknown tool: {other}")),
        })
    }
}

fn argument(name: &str, description: &str) -> PromptArgument {
    PromptArgument {
        name: name.into(),
        description: Some(description.into()),
        required: true,
    }
}

fn prompt(name: &str, description: &str, arguments: Vec<PromptArgument>) -> PromptDescriptor {
    PromptDescriptor {
        name: name.into(),
        title: None,
        description: Some(description.into()),
        arguments,
    }
}

fn user(content: Content) -> PromptMessage {
    PromptMessage {
        role: Role::User,
        content,
    }
}

/// The value of argument `name`, or the error the client sees.
fn arg<'a>(arguments: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    arguments
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| format!("missing required argument `{name}`"))
}

impl PromptGuest for Conformance {
    fn list_prompts() -> Vec<PromptDescriptor> {
        vec![
            prompt(
                "test_simple_prompt",
                "A simple prompt without arguments",
                vec![],
            ),
            prompt(
                "test_prompt_with_arguments",
                "A prompt with required arguments",
                vec![
                    argument("arg1", "First test argument"),
                    argument("arg2", "Second test argument"),
                ],
            ),
            prompt(
                "test_prompt_with_embedded_resource",
                "A prompt that includes an embedded resource",
                vec![argument("resourceUri", "URI of the resource to embed")],
            ),
            prompt(
                "test_prompt_with_image",
                "A prompt that includes an image",
                vec![],
            ),
        ]
    }

    fn get_prompt(name: String, arguments: Vec<(String, String)>) -> Result<PromptResult, String> {
        let messages = match name.as_str() {
            "test_simple_prompt" => vec![user(Content::Text(
                "This is a simple prompt for testing.".into(),
            ))],
            "test_prompt_with_arguments" => vec![user(Content::Text(format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                arg(&arguments, "arg1")?,
                arg(&arguments, "arg2")?
            )))],
            "test_prompt_with_embedded_resource" => vec![
                user(text_resource(
                    arg(&arguments, "resourceUri")?,
                    "text/plain",
                    "Embedded resource content for testing.",
                )),
                user(Content::Text(
                    "Please process the embedded resource above.".into(),
                )),
            ],
            "test_prompt_with_image" => vec![
                user(image()),
                user(Content::Text("Please analyze the image above.".into())),
            ],
            other => return Err(format!("Unknown prompt: {other}")),
        };
        Ok(PromptResult {
            description: None,
            messages,
        })
    }

    fn instructions() -> Option<String> {
        None
    }

    fn complete(prompt: String, argument: String, value: String) -> Vec<String> {
        let candidates: &[&str] = match (prompt.as_str(), argument.as_str()) {
            ("test_prompt_with_arguments", "arg1" | "arg2") => {
                &["paris", "park", "party", "test", "testValue1", "testValue2"]
            }
            _ => &[],
        };
        candidates
            .iter()
            .filter(|c| c.starts_with(value.as_str()))
            .map(|c| (*c).to_string())
            .collect()
    }
}

fn resource(uri: &str, name: &str, mime_type: &str) -> ResourceDescriptor {
    ResourceDescriptor {
        uri: uri.into(),
        name: name.into(),
        title: None,
        description: Some(format!("The conformance suite's {name}")),
        mime_type: Some(mime_type.into()),
    }
}

impl ResourceGuest for Conformance {
    fn list_resources() -> Vec<ResourceDescriptor> {
        vec![
            resource("test://static-text", "static-text", "text/plain"),
            resource("test://static-binary", "static-binary", "image/png"),
            resource("test://watched-resource", "watched-resource", "text/plain"),
        ]
    }

    fn list_resource_templates() -> Vec<ResourceTemplate> {
        vec![ResourceTemplate {
            uri_template: "test://template/{id}/data".into(),
            name: "template-data".into(),
            title: None,
            description: Some("Data for an id".into()),
            mime_type: Some("application/json".into()),
        }]
    }

    fn read_resource(uri: String) -> Result<Vec<EmbeddedResource>, String> {
        let body = match uri.as_str() {
            "test://static-text" => (
                "text/plain",
                ResourceBody::Text("This is the content of the static text resource.".into()),
            ),
            "test://static-binary" => ("image/png", ResourceBody::Blob(RED_PIXEL.to_vec())),
            "test://watched-resource" => (
                "text/plain",
                ResourceBody::Text("Watched resource content.".into()),
            ),
            other => {
                let id = other
                    .strip_prefix("test://template/")
                    .and_then(|rest| rest.strip_suffix("/data"))
                    .filter(|id| !id.is_empty() && !id.contains('/'))
                    .ok_or_else(|| format!("Resource not found: {other}"))?;
                (
                    "application/json",
                    ResourceBody::Text(format!(
                        r#"{{"id":"{id}","templateTest":true,"data":"Data for ID: {id}"}}"#
                    )),
                )
            }
        };
        Ok(vec![EmbeddedResource {
            uri,
            mime_type: Some(body.0.into()),
            body: body.1,
        }])
    }
}

export!(Conformance);
