//! The MCP pagination envelope of Access's list tools (§7).

use serde_json::{Value, json};

use access_kit::access::directory::types::PageRequest;
use access_kit::args::Args;
use access_kit::error::{ToolError, ToolResult};
use access_kit::json::{Json, Obj};

pub const DEFAULT_SIZE: i64 = 50;
pub const MAX_SIZE: i64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    /// `page` (≥ 0) and `size` (≥ 1, clamped to 100) from the arguments.
    pub fn from_args(args: &Args) -> ToolResult<Paging> {
        let page = args.int("page", 0)?;
        let size = args.int("size", DEFAULT_SIZE)?;
        if page < 0 {
            return Err(ToolError::new("page must be >= 0"));
        }
        if size < 1 {
            return Err(ToolError::new("size must be >= 1"));
        }
        Ok(Paging {
            page,
            size: size.min(MAX_SIZE),
        })
    }

    pub fn request(&self) -> PageRequest {
        let offset = self.page.saturating_mul(self.size);
        PageRequest {
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            limit: u32::try_from(self.size).unwrap_or(100),
        }
    }

    pub fn envelope(&self, total: u64, results: impl IntoIterator<Item = Json>) -> Json {
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        let pages = ((total + self.size - 1) / self.size).max(1);
        Obj::new()
            .i("total", total)
            .i("pages", pages)
            .i("page", self.page)
            .i("size", self.size)
            .b("has_next", self.page < pages - 1)
            .b("has_prev", self.page > 0)
            .list("results", results)
            .done()
    }
}

/// Output schema of an enveloped list (or the `{"error"}` envelope).
pub fn schema(item: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
            "page": {"type": "integer"},
            "size": {"type": "integer"},
            "has_next": {"type": "boolean"},
            "has_prev": {"type": "boolean"},
            "results": {"type": "array", "items": item},
            "error": {"type": "string", "description": "Set instead of the other fields when the call failed."}
        }
    })
}

/// JSON Schema of the `page` and `size` parameters.
pub fn params() -> [(&'static str, Value); 2] {
    [
        (
            "page",
            json!({"type": "integer", "default": 0, "description": "Zero-indexed page number."}),
        ),
        (
            "size",
            json!({"type": "integer", "default": DEFAULT_SIZE, "description": "Page size (1-100; larger values are clamped to 100)."}),
        ),
    ]
}
