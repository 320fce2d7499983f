//! A 0.2 plugin's content blocks as MCP content: binary data goes out as
//! base64, text as written.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rmcp::model::{ContentBlock, Resource, ResourceContents};

pub use crate::bindings::v2::plugin_types::Role;
use crate::bindings::v2::plugin_types::{Content, EmbeddedResource, ResourceBody};

/// An embedded resource as MCP resource contents (text, or base64 bytes).
pub fn resource_contents(r: EmbeddedResource) -> ResourceContents {
    match r.body {
        ResourceBody::Text(text) => ResourceContents::TextResourceContents {
            uri: r.uri,
            mime_type: r.mime_type,
            text,
            meta: None,
        },
        ResourceBody::Blob(bytes) => ResourceContents::BlobResourceContents {
            uri: r.uri,
            mime_type: r.mime_type,
            blob: B64.encode(&bytes),
            meta: None,
        },
    }
}

pub fn block(content: Content) -> ContentBlock {
    match content {
        Content::Text(text) => ContentBlock::text(text),
        Content::Image(b) => ContentBlock::image(B64.encode(&b.data), b.mime_type),
        Content::Audio(b) => ContentBlock::audio(B64.encode(&b.data), b.mime_type),
        Content::EmbeddedResource(r) => ContentBlock::resource(resource_contents(r)),
        Content::ResourceLink(l) => {
            let mut link = Resource::new(l.uri, l.name);
            link.title = l.title;
            link.description = l.description;
            link.mime_type = l.mime_type;
            ContentBlock::resource_link(link)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::v2::plugin_types::{Binary, ResourceLink};

    #[test]
    fn each_content_type_becomes_its_mcp_block() {
        let json = |c| serde_json::to_value(block(c)).expect("serialize");
        let image = json(Content::Image(Binary {
            data: vec![1, 2, 3],
            mime_type: "image/png".into(),
        }));
        assert_eq!(image["type"], "image");
        assert_eq!(image["data"], "AQID");
        assert_eq!(image["mimeType"], "image/png");
        let audio = json(Content::Audio(Binary {
            data: vec![0xff],
            mime_type: "audio/wav".into(),
        }));
        assert_eq!(
            (audio["type"].as_str(), audio["data"].as_str()),
            (Some("audio"), Some("/w=="))
        );
        let text = json(Content::EmbeddedResource(EmbeddedResource {
            uri: "test://r".into(),
            mime_type: Some("text/plain".into()),
            body: ResourceBody::Text("hi".into()),
        }));
        assert_eq!(text["resource"]["text"], "hi");
        assert_eq!(text["resource"]["uri"], "test://r");
        let blob = json(Content::EmbeddedResource(EmbeddedResource {
            uri: "test://b".into(),
            mime_type: None,
            body: ResourceBody::Blob(vec![1, 2, 3]),
        }));
        assert_eq!(blob["resource"]["blob"], "AQID");
        let link = json(Content::ResourceLink(ResourceLink {
            uri: "test://l".into(),
            name: "l".into(),
            title: Some("L".into()),
            description: None,
            mime_type: None,
        }));
        assert_eq!(
            (link["type"].as_str(), link["title"].as_str()),
            (Some("resource_link"), Some("L"))
        );
    }
}
