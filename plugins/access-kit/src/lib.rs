//! access-kit: what the Access plugins share, as one library instead of files
//! included by path. It holds the one set of bindings for the interfaces every
//! Access plugin uses (`mcp:plugin` types, log and clock; `access:directory`
//! types and reads: the `plugin-kit` world of `wit/access.wit`), and the code
//! built on them:
//!
//! - [`args`]: tool arguments, in the lax forms Access accepted;
//! - [`error`]: the `{"error": …}` envelope and host errors' wording;
//! - [`json`]: JSON written straight to text, byte for byte serde_json's;
//! - [`wire`]: Access's wire shapes, written from rows a tool holds;
//! - [`lookup`]: the related rows a response nests, loaded in batches, written once;
//! - [`shapes`]: the request shapes both the read and the write tools answer with;
//! - [`spec`]: a tool's descriptor and the runner that makes its output.
//!
//! A plugin generates bindings for its own world (its exports, and imports only
//! it is granted) with `with:` mapping the interfaces above to
//! [`bindings`] here, so the types are one and the same.

pub mod bindings {
    wit_bindgen::generate!({
        path: ["../../wit/mcp-plugin", "../../wit/access"],
        world: "access:directory/plugin-kit@0.1.0",
        generate_all,
    });
}
pub use bindings::{access, mcp};

pub mod args;
pub mod error;
pub mod json;
pub mod lookup;
pub mod shapes;
pub mod spec;
pub mod wire;
