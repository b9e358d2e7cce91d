//! The Micro Network's off-chain MUCP worker.
//!
//! One module per concern, in the style of tokio's mini-redis:
//!
//! - [`protocol`]: the micro communication protocol: headers, the three forms (call, stream,
//!   publish), protobuf or JSON bodies, `Micro-Error`, and the prost-encoded envelope of
//!   `proto/mucp.proto`;
//! - [`registry`]: self-describing services and the nodes running them, with TTL expiry and
//!   records peers exchange to converge;
//! - [`broker`]: topics, queue groups, the persistent inbox, acknowledgement and redelivery;
//! - [`selector`]: which node a call goes to: round robin, preferring healthy nodes.
//!
//! The transport, executor and settlement modules arrive with their issues.

pub mod broker;
pub mod protocol;
pub mod registry;
pub mod selector;
