//! The HTTP surface around `/mcp`, as tower layers (outermost first):
//! Host/Origin guard → authentication (with the per-IP failure limit before any
//! JWT work, the per-user rate limit after, and the insufficient-scope
//! challenge of protocol 2026-07-28) → (stateless mode) the structured-content
//! passthrough → rmcp's Streamable HTTP service.
//! Plus the public protected-resource metadata documents (RFC 9728).

pub mod authn;
pub mod guard;
pub mod passthrough;
pub mod prm;
pub mod ratelimit;
