//! Proposals, votes, the voting rules and the spends of the charity and operations accounts.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Numbers proposals, from 0.
pub type ProposalIndex = u32;
/// Voting weight: the sum of the reputation scores plus one of the nodes and services a vote
/// is cast with.
pub type VoteWeight = u64;

/// How a passed proposal is enacted.
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
pub enum Track {
	/// Dispatched with the proposal's own origin: parameter changes and spends.
	Standard,
	/// Dispatched as root: runtime upgrades and anything else only root may do. It needs a
	/// larger quorum and approval.
	Root,
}

/// The rules proposals are decided by. They change only through a passed proposal, and every
/// rule that binds the root track only through a root-track one.
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
pub struct Rules<BlockNumber> {
	/// Blocks a proposal is open for votes.
	pub voting_period: BlockNumber,
	/// Blocks between a proposal passing and the chain enacting it.
	pub enactment_delay: BlockNumber,
	/// Blocks a node or service must have been registered before a proposal was made to vote
	/// on it: weight cannot be bought after a proposal appears.
	pub min_age: BlockNumber,
	/// Least share of the electorate (the nodes and services registered when the proposal was
	/// made) that must vote on a standard proposal.
	pub quorum: Perbill,
	/// Share of the weight voted that must be exceeded by ayes on a standard proposal.
	pub approval: Perbill,
	/// Least share of the electorate that must vote on a root proposal.
	pub root_quorum: Perbill,
	/// Share of the weight voted that must be exceeded by ayes on a root proposal.
	pub root_approval: Perbill,
}

impl<BlockNumber> Rules<BlockNumber> {
	/// The quorum and approval threshold of `track`.
	pub fn of(&self, track: Track) -> (Perbill, Perbill) {
		match track {
			Track::Standard => (self.quorum, self.approval),
			Track::Root => (self.root_quorum, self.root_approval),
		}
	}
}

/// The votes cast on a proposal.
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
pub struct Tally {
	/// Weight voting for.
	pub ayes: VoteWeight,
	/// Weight voting against.
	pub nays: VoteWeight,
	/// Accounts that voted.
	pub voters: u32,
	/// Nodes and services that voted: the turnout quorums count.
	pub voices: u32,
}

impl Tally {
	/// All the weight that voted.
	pub fn turnout(&self) -> VoteWeight {
		self.ayes.saturating_add(self.nays)
	}

	/// Whether at least `quorum` of `electorate` voted.
	pub fn has_quorum(&self, quorum: Perbill, electorate: u32) -> bool {
		self.voices > 0 && self.voices >= quorum.mul_ceil(electorate)
	}

	/// Whether the quorum is met and the ayes exceed `approval` of the weight voted.
	pub fn passes(&self, quorum: Perbill, approval: Perbill, electorate: u32) -> bool {
		let turnout = self.turnout();
		self.has_quorum(quorum, electorate)
			&& turnout > 0
			&& self.ayes > approval.mul_floor(turnout)
	}
}

/// One account's vote.
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
pub struct Vote {
	/// For or against.
	pub aye: bool,
	/// The weight of the voices it was cast with, when it was cast.
	pub weight: VoteWeight,
	/// How many nodes and services it was cast with.
	pub voices: u32,
}

/// Where a proposal stands.
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
pub enum ProposalStatus<BlockNumber> {
	/// Open for votes until the block before `ends`; decided at `ends`.
	Voting { ends: BlockNumber },
	/// Passed; the chain enacts it at `enact_at`.
	Passed { enact_at: BlockNumber },
	/// Did not reach the quorum.
	NoQuorum,
	/// Reached the quorum but not the approval threshold.
	Rejected,
	/// Passed, but the scheduler refused the enactment (its agenda for the block was full).
	EnactmentFailed,
}

/// A proposal: a call the chain dispatches if the vote passes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Proposal<AccountId, Balance, BlockNumber, BoundedCall> {
	/// Who proposed it.
	pub proposer: AccountId,
	/// How it is enacted.
	pub track: Track,
	/// The call, inline or by the hash of its preimage.
	pub call: BoundedCall,
	/// The deposit held from the proposer until the proposal is decided.
	pub deposit: Balance,
	/// The block it was proposed in.
	pub submitted: BlockNumber,
	/// Only nodes and services registered in this block or earlier vote on it: `submitted`
	/// less the rules' minimum age.
	pub registered_by: BlockNumber,
	/// How many nodes and services were registered when it was made: the quorum is a share of
	/// it.
	pub electorate: u32,
	/// The votes so far.
	pub tally: Tally,
	/// Where it stands.
	pub status: ProposalStatus<BlockNumber>,
}

/// The accounts governance spends from.
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
pub enum Fund {
	/// The charity account: 2.5% of all profit.
	Charity,
	/// The network-operations account: 2.5% of all profit.
	Operations,
}

/// A spend a passed proposal made, kept with the proposal's index.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(MaxPayouts))]
pub struct SpendRecord<AccountId, Balance, BlockNumber, MaxPayouts: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Balance: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	/// The account paid from.
	pub fund: Fund,
	/// Each recipient and the amount paid.
	pub payouts: BoundedVec<(AccountId, Balance), MaxPayouts>,
	/// The block it was paid in.
	pub at: BlockNumber,
}
