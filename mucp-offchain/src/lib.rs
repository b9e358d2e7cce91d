//! The Micro Network's off-chain MUCP worker.
//!
//! This crate is a placeholder in the workspace: the protocol, registry, broker, transport,
//! executor and settlement modules arrive with their own issues. It deliberately exports nothing,
//! so no other crate can come to depend on behaviour that does not exist yet.
