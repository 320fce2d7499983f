//! Tool arguments, accepted in the lax forms Access's server accepted:
//! numeric strings for integers, "true"/"false" for booleans. A bad argument
//! is a clear error naming the parameter.

use serde_json::{Map, Value};

use crate::error::{ToolError, ToolResult};

pub struct Args(Map<String, Value>);

impl Args {
    pub fn parse(json: &str) -> ToolResult<Args> {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(m)) => Ok(Args(m)),
            Ok(Value::Null) => Ok(Args(Map::new())),
            _ => Err(ToolError::new("arguments: Input should be an object")),
        }
    }

    /// An argument that is present and not null.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str, default: &str) -> ToolResult<String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(ToolError::new(format!(
                "{name}: Input should be a valid string"
            ))),
        }
    }

    pub fn required_string(&self, name: &str) -> ToolResult<String> {
        match self.get(name) {
            None => Err(ToolError::new(format!("{name}: Field required"))),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(ToolError::new(format!(
                "{name}: Input should be a valid string"
            ))),
        }
    }

    pub fn int(&self, name: &str, default: i64) -> ToolResult<i64> {
        let bad = || ToolError::new(format!("{name}: Input should be a valid integer"));
        match self.get(name) {
            None => Ok(default),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(i),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    pub fn opt_bool(&self, name: &str) -> ToolResult<Option<bool>> {
        let bad = || ToolError::new(format!("{name}: Input should be a valid boolean"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(bad()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" | "t" | "y" => Ok(Some(true)),
                "false" | "0" | "no" | "off" | "f" | "n" => Ok(Some(false)),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }

    pub fn bool(&self, name: &str, default: bool) -> ToolResult<bool> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }
}
