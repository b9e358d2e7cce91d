//! The validator set's rules and records.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::fungible::Inspect;
use micro_primitives::{NodeId, Score};
use scale_info::TypeInfo;

use crate::Config;

/// The balance type of the currency bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The block number type of the runtime.
pub type BlockNumberOf<T> = frame_system::pallet_prelude::BlockNumberFor<T>;

/// What a node's operator must meet to stand as a validator, how large the set stays, and how
/// long a session lasts. Changed only by governance ([`crate::Pallet::set_rules`]).
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
pub struct ValidatorRules<Balance, BlockNumber> {
	/// Held from a candidate while it stands and for the bonding period after it stops: what an
	/// offline validator or an equivocation is slashed from.
	pub bond: Balance,
	/// The least reputation score the candidate's node must have.
	pub min_score: Score,
	/// The least age (blocks since registration) the candidate's node must have.
	pub min_node_age: BlockNumber,
	/// No validator leaves or is removed (by a vote or for being offline) below this many.
	pub min_validators: u32,
	/// Blocks a session lasts. The set changes only at session boundaries.
	pub session_length: BlockNumber,
}

/// The least session length governance may set: shorter sessions would rotate keys and the
/// set faster than GRANDPA finalizes the changes.
pub const MIN_SESSION_LENGTH: u32 = 5;

/// A bonded candidate.
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
pub struct Candidate<Balance> {
	/// The registered node the candidate stands with; `None` for a genesis validator.
	pub node: Option<NodeId>,
	/// What is held from the candidate.
	pub bond: Balance,
}

/// A bond on its way back to its owner: still held, and still slashable for offences committed
/// while its owner validated, until `until`.
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
pub struct UnbondingBond<Balance, BlockNumber> {
	/// What is still held.
	pub amount: Balance,
	/// The first block [`crate::Pallet::withdraw_unbonded`] releases it in.
	pub until: BlockNumber,
}

/// Why a validator left the set.
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
pub enum Departure {
	/// It left by itself.
	Left,
	/// A governance proposal removed it.
	VotedOut,
	/// It authored no block in a whole session.
	Offline,
	/// It equivocated (signed two blocks for one slot, or two votes in one GRANDPA round).
	Equivocated,
}

/// What the pallet keeps of a session for proving offences in it.
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
pub struct SessionRecord<BlockNumber> {
	/// How many validators it has (with session keys).
	pub validators: u32,
	/// Its first block, once it started.
	pub start: Option<BlockNumber>,
}
