//! The Micro Network's off-chain MUCP worker.
//!
//! One module per concern, in the style of tokio's mini-redis:
//!
//! - [`protocol`]: the micro communication protocol: headers, the three forms (call, stream,
//!   publish), protobuf or JSON bodies, `Micro-Error`, and the prost-encoded envelope of
//!   `proto/mucp.proto`;
//! - [`authority`]: whom the registry believes: the chain's registered nodes, each about
//!   itself and the services placed on it, and strikes against peers caught forging;
//! - [`registry`]: self-describing services and the nodes running them, with TTL expiry and
//!   records peers exchange to converge;
//! - [`broker`]: topics, queue groups, the persistent inbox and per-node outboxes, acknowledgement
//!   and redelivery, dedup per publisher, topic admission and limits; its store commits batches
//!   on a writer thread;
//! - [`selector`]: which node a call goes to: round robin, preferring healthy nodes;
//! - [`transport`]: rust-libp2p: links for calls and cross-node publications, substreams for
//!   streams, request-response for the registry sync, gossipsub for registry gossip and topic
//!   interest, noise, yamux, identify, kademlia and ping;
//! - [`link`]: requests multiplexed over one persistent stream per peer and direction (ids,
//!   one write per batch, no task per request, budgets, one task per stream);
//! - [`strangers`]: the small share of inbound connections unregistered peers may hold, so
//!   they cannot crowd out registered nodes;
//! - [`peer`]: the client and server API that hides the rest: serve a service, call, stream,
//!   publish and subscribe across the network, and shut down gracefully; one file per concern:
//!   the API (`peer/mod.rs`), `driver` (the task that owns the swarm), `calls`, `links` (calls
//!   and publications arriving on links, within each peer's budgets), `ids` (peer ids in
//!   base58, cached), `streams`,
//!   `pubsub` (publish durably or at most once, subscribe, delivery across nodes),
//!   `publications` (the compact frame core publications travel in between nodes),
//!   `interest` (who listens where, read by publishers) and `gossip` (registry records);
//! - [`network`]: the network as one peer sees it: nodes, services, routes and the peer graph;
//! - [`executor`]: services as sandboxed wasm on wasmtime, and building them from source
//!   (`executor::source`: fetched without running anything, built inside bubblewrap), and
//!   each running version's bounded log ring (`executor::logs`, read by `micro logs`);
//! - [`hosting`]: the services the chain places on a node, with no chain in sight: the
//!   placement reconciler (builds, code hashes, versions started and retired), the metered
//!   adapter serving a deployment behind the settlement meter, and the host guests reach the
//!   network through (the node reads the placements and hands them over);
//! - [`hex`]: the one hex helper (code hashes, keys, allowances in headers);
//! - [`store`]: opening the embedded databases, a corrupt one moved aside rather than fatal;
//! - [`settlement`]: allowances, free quota, the meter (calls reserved as admitted, charged
//!   only if answered before the caller's deadline, a retried `Micro-Id` charged once), the usage
//!   ledger (calls and their value) and the reports that settle it;
//! - [`gateway`]: the node's local HTTP API: calls, streams, publish, subscribe (server-sent
//!   events) and an OpenAPI document of the services the registry knows.

pub mod authority;
pub mod broker;
pub mod executor;
pub mod gateway;
pub mod hex;
pub mod hosting;
pub mod link;
pub mod network;
pub mod peer;
pub mod protocol;
pub mod registry;
pub mod selector;
pub mod settlement;
pub mod store;
pub mod strangers;
pub mod transport;
