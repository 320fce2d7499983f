//! End-to-end tests against the real `access-mcp` binary. One test binary (so
//! cargo builds it once); modules by topic.

mod asking;
mod auth;
mod boundary;
mod clients;
mod confirm;
mod db_indexes;
mod docs;
mod faults;
mod fuzz_http;
mod fuzz_tokens;
mod generic;
mod host;
mod layout;
mod ops;
mod plugin_cli;
mod read_tools;
mod reload;
mod replicas;
mod sandbox;
mod schemas;
mod traces;
mod write_tools;
