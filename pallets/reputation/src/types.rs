//! What the reputation pallet keeps: the ledger of what the chain saw about each subject, and
//! the access tiers.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::*;
use micro_primitives::Score;
use scale_info::TypeInfo;

/// What the chain saw about one node or service, beyond its age and uptime.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Record {
	/// Calls settled before storage version 1, paid or not, by anyone: kept as a statistic, it
	/// no longer counts toward the score.
	pub settled_calls: u64,
	/// Settlements disputed with the subject at fault.
	pub disputes: u32,
	/// Usage reports or settlements that failed their checks.
	pub failed_settlements: u32,
	/// Times a node came back from being offline while services were placed on it.
	pub offline_while_serving: u32,
	/// Recorded contracts fulfilled.
	pub contracts_fulfilled: u32,
	/// Recorded contracts breached.
	pub contracts_breached: u32,
	/// Calls paid for by consumers other than the service's owner and the node's operator.
	pub paid_calls: u64,
	/// The MICRO (in its smallest unit) those calls' tokens released: the usage part of the
	/// score comes from it.
	pub paid_value: u128,
}

/// A level of access, unlocked at a minimum score.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct AccessTier {
	/// The account score this tier starts at.
	pub min_score: Score,
	/// Services an account may register before each further one costs an extra deposit.
	pub max_services: u32,
	/// Calls an account may make for free each quota period.
	pub free_calls_per_period: u32,
}

/// How a score was reached: each part of the formula in [`crate::score`].
#[derive(Clone, Copy, PartialEq, Eq, Default, Encode, Decode, TypeInfo, Debug)]
pub struct ScoreBreakdown {
	/// Points for time in the network.
	pub age: Score,
	/// Points for uptime (nodes) or availability (services).
	pub reliability: Score,
	/// Points for the value of paid usage by others.
	pub usage: Score,
	/// Points for fulfilled contracts.
	pub contracts: Score,
	/// Points taken off for disputes, failures, outages while serving and breaches.
	pub penalties: Score,
	/// The score: the sum of the points less the penalties, from 0 to `MAX_SCORE`.
	pub total: Score,
}
