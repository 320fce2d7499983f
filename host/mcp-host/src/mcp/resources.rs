//! Resources served by 0.2 plugins: their descriptors as MCP's, and which
//! plugin serves a URI (one of its resources, else the first whose template
//! matches).

use std::sync::Arc;

use rmcp::model::{Resource, ResourceTemplate};

use crate::bindings::v2::plugin_types as pt;
use crate::plugins::{LoadedPlugin, Registry};

pub fn descriptor(r: pt::ResourceDescriptor) -> Resource {
    let mut out = Resource::new(r.uri, r.name);
    out.title = r.title;
    out.description = r.description;
    out.mime_type = r.mime_type;
    out
}

pub fn template(t: pt::ResourceTemplate) -> ResourceTemplate {
    let mut out = ResourceTemplate::new(t.uri_template, t.name);
    out.title = t.title;
    out.description = t.description;
    out.mime_type = t.mime_type;
    out
}

/// The plugin serving `uri`.
pub fn serving(registry: &Registry, uri: &str) -> Option<Arc<LoadedPlugin>> {
    let exact = registry
        .plugins
        .iter()
        .find(|p| p.resources.iter().any(|r| r.uri == uri));
    exact
        .or_else(|| {
            registry.plugins.iter().find(|p| {
                p.resource_templates
                    .iter()
                    .any(|t| matches(&t.uri_template, uri))
            })
        })
        .cloned()
}

/// Whether `uri` is an instance of a level-1 URI template: each `{name}`
/// stands for one non-empty run of characters other than `/`.
pub fn matches(template: &str, uri: &str) -> bool {
    let mut rest = uri;
    let mut parts = template.split('{');
    let Some(head) = parts.next() else {
        return false;
    };
    let Some(after) = rest.strip_prefix(head) else {
        return false;
    };
    rest = after;
    for part in parts {
        let Some((_, literal)) = part.split_once('}') else {
            return false;
        };
        // The variable runs to the next literal (or to the end, or a `/`).
        let end = if literal.is_empty() {
            rest.find('/').unwrap_or(rest.len())
        } else {
            match rest.find(literal) {
                Some(i) => i,
                None => return false,
            }
        };
        let value = &rest[..end];
        if value.is_empty() || value.contains('/') {
            return false;
        }
        rest = &rest[end + literal.len()..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn level_one_templates_match_one_segment_per_variable() {
        assert!(matches(
            "test://template/{id}/data",
            "test://template/123/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template//data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/1/2/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/123/other"
        ));
        assert!(matches("file:///{name}", "file:///a.txt"));
        assert!(!matches("test://static", "test://static-text"));
        assert!(matches("test://static", "test://static"));
    }
}
