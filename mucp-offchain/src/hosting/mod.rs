//! Hosting: what a node does with the services the chain places on it, with no chain in
//! sight. The node reads its placements and hands them to the [`Reconciler`]; everything from
//! there on is here.
//!
//! - [`reconciler`]: the placed versions built (each in its own task), checked against their
//!   code hash, started beside the others, retired and withdrawn as the placements change;
//! - [`metered`](metered_wasm_service): a deployment's versions served as a MUCP service,
//!   each call run on a blocking thread, behind the settlement [`Meter`](crate::settlement::Meter);
//! - [`PeerHost`]: the host the services get, whose calls and publishes go over MUCP charged
//!   to the guest call that makes them (issue 17, finding H5: a stranger's free call cannot
//!   fan out on the node's free quota, nor nest deeper than
//!   [`MAX_DEPTH`](crate::executor::MAX_DEPTH), nor outlive the guest's deadline).

mod metered;
mod peer_host;
pub mod reconciler;

pub use metered::{metered_wasm_service, wasm_service};
pub use peer_host::PeerHost;
pub use reconciler::{BuildVersion, Placed, PlacedVersion, Reconciler, VersionState};
