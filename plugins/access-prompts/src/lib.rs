//! access-prompts: the `request_access` prompt and the server `instructions`.
//! Granted nothing beyond the generic imports.

wit_bindgen::generate!({
    path: ["../../wit/mcp-plugin", "../../wit/access"],
    world: "mcp:plugin/prompt-plugin@0.1.0",
});

mod text;

use exports::mcp::plugin::prompt_provider::Guest;
use mcp::plugin::types::{PromptArgument, PromptDescriptor, PromptMessage, PromptResult, Role};

struct Prompts;

impl Guest for Prompts {
    fn list_prompts() -> Vec<PromptDescriptor> {
        vec![PromptDescriptor {
            name: "request_access".into(),
            title: Some("Request access".into()),
            description: Some(text::REQUEST_ACCESS_DESCRIPTION.into()),
            arguments: vec![PromptArgument {
                name: "group_or_role".into(),
                description: None,
                required: false,
            }],
        }]
    }

    fn get_prompt(name: String, arguments: Vec<(String, String)>) -> Result<PromptResult, String> {
        if name != "request_access" {
            return Err(format!("Unknown prompt: {name}"));
        }
        let target = arguments
            .iter()
            .find(|(k, _)| k == "group_or_role")
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        Ok(PromptResult {
            description: Some(text::REQUEST_ACCESS_DESCRIPTION.into()),
            messages: vec![PromptMessage {
                role: Role::User,
                text: text::request_access(target),
            }],
        })
    }

    fn instructions() -> Option<String> {
        Some(text::INSTRUCTIONS.into())
    }
}

export!(Prompts);
