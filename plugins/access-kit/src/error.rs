//! Errors a tool reports to the user, in Access's `{"error": "<message>"}` envelope.

use crate::access::directory::types::HostError;

#[derive(Debug)]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        ToolError(message.into())
    }
}

impl From<HostError> for ToolError {
    fn from(e: HostError) -> Self {
        match e {
            HostError::Denied(m)
            | HostError::NotFound(m)
            | HostError::Invalid(m)
            | HostError::Unavailable(m) => ToolError(m),
        }
    }
}

pub type ToolResult<T> = Result<T, ToolError>;
