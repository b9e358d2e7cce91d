//! The library behind `micro`, the Micro Network's command line for people.
//!
//! - [`chain`]: transactions, view functions, balances and events over subxt;
//! - [`gateway`]: a node's local HTTP gateway: calls, streams, publish and subscribe;
//! - [`manifest`]: `micro.json`, what a service's repository says about it;
//! - [`values`]: reading the dynamic values view functions answer with;
//! - [`table`]: aligned tables for lists.
//!
//! The end-to-end tests drive the same functions a person drives through the binary.

pub mod chain;
pub mod gateway;
pub mod manifest;
pub mod table;
pub mod values;
