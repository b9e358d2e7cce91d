//! Contracts, their states, results and the records of the hash chain.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_core::H256;

/// Numbers contracts, from 0.
pub type ContractId = u64;

/// Where a contract stands.
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
pub enum Status {
	/// Waiting for every party's approval.
	Proposed,
	/// Every party approved; waiting for its result.
	Active,
	/// A party rejected it before it became active.
	Rejected,
	/// Its deadline passed before every party approved.
	Lapsed,
	/// Its result is recorded; nothing changes it again.
	Concluded,
	/// A breach was agreed and waits out its dispute window (see [`PendingBreach`]); no other
	/// result can be declared meanwhile.
	BreachPending,
}

/// How an active contract ended.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Outcome<AccountId> {
	/// Every party did what the terms said.
	Fulfilled,
	/// The named party broke the terms.
	Breached(AccountId),
	/// Every party agreed to call it off.
	Cancelled,
	/// The named party contested a breach only one party declared: no one can tell who is
	/// right, so nothing is recorded against anyone. Never declared, only recorded.
	Disputed(AccountId),
	/// No result was agreed by [`crate::Config::MaxContractLife`] blocks after the deadline and
	/// a party ended it: nothing is recorded against anyone. Never declared, only recorded.
	Expired,
}

/// A contract between `parties`.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(MaxParties))]
pub struct Contract<AccountId, BlockNumber, ServiceId, MaxParties: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	ServiceId: Clone + PartialEq + Eq + core::fmt::Debug,
{
	/// The parties, each once; at least two.
	pub parties: BoundedVec<AccountId, MaxParties>,
	/// Which parties approved, by position in `parties`.
	pub approvals: BoundedVec<bool, MaxParties>,
	/// The hash of the terms the parties agreed off-chain.
	pub terms: H256,
	/// The service the contract is about, if any.
	pub service: Option<ServiceId>,
	/// The last block in which it can become active.
	pub deadline: BlockNumber,
	/// Where it stands.
	pub status: Status,
	/// The hash of the last entry of its history (see [`HistoryEntry`]).
	pub head: H256,
	/// How many entries its history holds.
	pub entries: u32,
}

/// One entry of the result chain: a contract's result, linked to the record before it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ResultRecord<AccountId, BlockNumber> {
	/// Its position in the global chain, from 0.
	pub index: u64,
	/// The contract.
	pub contract: ContractId,
	/// The result.
	pub outcome: Outcome<AccountId>,
	/// The block it was recorded in.
	pub recorded_at: BlockNumber,
	/// The head of the contract's own history when the result was recorded.
	pub contract_head: H256,
	/// The hash of the previous record in the global chain (zero for the first).
	pub previous: H256,
}

/// What happened to a contract, as its history records it.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ContractEvent<AccountId> {
	/// The named party proposed it (and so approved it).
	Proposed(AccountId),
	/// The named party approved it.
	Approved(AccountId),
	/// The named party rejected it.
	Rejected(AccountId),
	/// Its deadline passed before every party approved.
	Lapsed,
	/// Its result was recorded at this index of the global result chain.
	Concluded(u64),
	/// A breach by the named party was agreed: its dispute window opened.
	BreachPending(AccountId),
	/// The named party contested the breach declared against it.
	Contested(AccountId),
}

/// A breach agreed by the other parties, waiting out its dispute window.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PendingBreach<AccountId, BlockNumber> {
	/// The party accused of the breach: the only one who may contest it.
	pub breacher: AccountId,
	/// The last block in which it may be contested; after it, anyone may confirm the breach.
	pub ends: BlockNumber,
}

/// One entry of a contract's own history, linked to the entry before it. The first entry links
/// to [`crate::lifecycle::genesis_link`], a hash of what the contract fixed when proposed
/// (parties, terms, service, deadline), so the whole history commits to the terms.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct HistoryEntry<AccountId, BlockNumber> {
	/// The contract.
	pub contract: ContractId,
	/// Its position in the contract's history, from 0.
	pub seq: u32,
	/// What happened.
	pub event: ContractEvent<AccountId>,
	/// The block it happened in.
	pub at: BlockNumber,
	/// The hash of the entry before it, or the genesis link for the first.
	pub previous: H256,
}
