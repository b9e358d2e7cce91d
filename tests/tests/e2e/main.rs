//! The end-to-end tests: each starts real `micro-node` processes on free loopback ports and
//! talks to them as their users would (JSON-RPC with subxt, the `micro` command line, the HTTP
//! gateway, a browser).
//!
//! They are one test binary, so they run side by side (`--test-threads`; `scripts/test.sh`
//! sets it) rather than one binary after another, and link once. Each module is one scenario:
//! `cargo test -p micro-tests --test e2e web_console` runs one.

#[path = "../../../mucp-offchain/tests/support/examples.rs"]
mod examples;

mod chain_specs;
mod cli_chain;
mod cli_seed;
mod dev_node;
mod governance;
mod heartbeat;
mod mucp_network;
mod node_errors;
mod service_nft;
mod usage_settlement;
mod validators;
mod walk_through;
mod web_console;
