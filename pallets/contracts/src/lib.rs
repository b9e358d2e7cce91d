//! # Recorded contracts (work in progress for issue 5)
//!
//! Two or more parties agree on terms off-chain; the chain records the agreement (its parties,
//! the hash of its terms, the service if any, a deadline) and, once, its result. This first
//! part holds the contract lifecycle and the result hash chain as plain logic; the FRAME
//! pallet around it comes next.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod lifecycle;
pub mod types;
