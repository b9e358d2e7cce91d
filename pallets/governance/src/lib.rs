//! # Governance of the Micro Network
//!
//! The network's rules change only through proposals voted on by the accounts that take part in
//! it, weighted by their reputation, and enacted by the chain itself. No key can enact, veto or
//! cancel anything.
//!
//! - [`Pallet::propose`]: any account with voting weight proposes a call on a [`Track`],
//!   holding [`Config::ProposalDeposit`] until the vote is decided. The call is kept inline or,
//!   when large (a runtime upgrade), as a preimage (pallet-preimage).
//! - [`Pallet::vote`]: each account votes once, aye or nay, with its weight at that moment:
//!   its reputation score plus one if it operates a registered node or owns a service, else
//!   nothing ([`micro_primitives::VotingWeight`]). Money buys no weight.
//! - At the end of the voting period the chain decides: a proposal passes if at least the
//!   track's quorum of weight voted and the ayes exceed the track's approval share of it. A
//!   passed proposal is scheduled (pallet-scheduler) to be dispatched after the enactment
//!   delay: on the standard track with the [`Origin::Proposal`] origin, which names the
//!   proposal; on the root track as root (runtime upgrades).
//! - [`Pallet::spend`]: the charity and operations accounts pay out only to a passed
//!   proposal's origin, and each spend is recorded under the proposal's index.
//! - [`Pallet::set_rules`]: the voting period, enactment delay, quorums and thresholds are
//!   themselves changed only by a passed proposal.
//!
//! Other pallets take [`EnsureProposal`] (or root, which on the public chains only a root-track
//! proposal holds) as the origin of their parameter changes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use frame_support::{
		dispatch::GetDispatchInfo,
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			schedule::v3::Named as ScheduleNamed,
			QueryPreimage, StorePreimage,
		},
		Parameter,
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::VotingWeight;
	use sp_runtime::traits::{Dispatchable, Zero};

	/// An amount of the currency deposits are held in.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A call as a proposal keeps it: inline or by its preimage's hash.
	pub type BoundedCallOf<T> = frame_support::traits::Bounded<
		<T as Config>::RuntimeCall,
		<T as frame_system::Config>::Hashing,
	>;
	/// A proposal as this runtime stores it.
	pub type ProposalOf<T> = Proposal<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		BoundedCallOf<T>,
	>;
	/// A spend record as this runtime stores it.
	pub type SpendRecordOf<T> = SpendRecord<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxPayouts,
	>;
	/// The rules as this runtime stores them.
	pub type RulesOf<T> = Rules<BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The runtime's calls: what proposals dispatch.
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = <Self as frame_system::Config>::RuntimeOrigin>
			+ GetDispatchInfo
			+ From<Call<Self>>
			+ From<frame_system::Call<Self>>;
		/// The runtime's origin, which carries this pallet's [`Origin`].
		type RuntimeOrigin: From<Origin>
			+ From<<Self as frame_system::Config>::RuntimeOrigin>
			+ Into<Result<Origin, <Self as Config>::RuntimeOrigin>>;
		/// The origin a passed proposal is dispatched with, as the scheduler stores it.
		type PalletsOrigin: From<Origin> + From<frame_system::RawOrigin<Self::AccountId>>;
		/// Schedules the enactment of passed proposals.
		type Scheduler: ScheduleNamed<
			BlockNumberFor<Self>,
			<Self as Config>::RuntimeCall,
			Self::PalletsOrigin,
			Hasher = Self::Hashing,
		>;
		/// Keeps large calls as preimages.
		type Preimages: QueryPreimage<H = Self::Hashing> + StorePreimage;
		/// The currency proposal deposits are held in, and the charity and operations accounts
		/// spend.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Each account's voting weight.
		type VotingWeight: VotingWeight<Self::AccountId>;
		/// The deposit held from a proposer until the vote is decided.
		#[pallet::constant]
		type ProposalDeposit: Get<BalanceOf<Self>>;
		/// The charity account.
		#[pallet::constant]
		type CharityAccount: Get<Self::AccountId>;
		/// The network-operations account.
		#[pallet::constant]
		type OperationsAccount: Get<Self::AccountId>;
		/// Most proposals open for votes at once.
		#[pallet::constant]
		type MaxActive: Get<u32>;
		/// Most accounts voting on one proposal.
		#[pallet::constant]
		type MaxVoters: Get<u32>;
		/// Most recipients of one spend.
		#[pallet::constant]
		type MaxPayouts: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The origin a standard-track proposal is enacted with: it names the proposal.
	#[pallet::origin]
	#[derive(
		Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
	)]
	pub enum Origin {
		/// The passed proposal with this index.
		Proposal(ProposalIndex),
	}

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A proposal's deposit, until its vote is decided.
		ProposalDeposit,
	}

	/// The rules proposals are decided by.
	#[pallet::storage]
	pub type CurrentRules<T: Config> = StorageValue<_, RulesOf<T>, OptionQuery>;

	/// How many proposals were ever made; the next one's index.
	#[pallet::storage]
	pub type ProposalCount<T: Config> = StorageValue<_, ProposalIndex, ValueQuery>;

	/// Every proposal ever made.
	#[pallet::storage]
	pub type Proposals<T: Config> = StorageMap<_, Twox64Concat, ProposalIndex, ProposalOf<T>>;

	/// Each account's vote on each proposal.
	#[pallet::storage]
	pub type Votes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ProposalIndex, Blake2_128Concat, T::AccountId, Vote>;

	/// The proposals whose vote is decided in each block.
	#[pallet::storage]
	pub type Ending<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ProposalIndex, T::MaxActive>,
		ValueQuery,
	>;

	/// How many proposals are open for votes.
	#[pallet::storage]
	pub type ActiveCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The spend each passed proposal made.
	#[pallet::storage]
	pub type Spends<T: Config> = StorageMap<_, Twox64Concat, ProposalIndex, SpendRecordOf<T>>;

	/// The rules the chain starts with. A zero voting period leaves them unset: no proposal
	/// can then be made.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Blocks a proposal is open for votes.
		pub voting_period: BlockNumberFor<T>,
		/// Blocks between a proposal passing and its enactment.
		pub enactment_delay: BlockNumberFor<T>,
		/// Least weight that must vote on a standard proposal.
		pub quorum: VoteWeight,
		/// Percent of the weight voted the ayes must exceed on a standard proposal.
		pub approval_percent: u8,
		/// Least weight that must vote on a root proposal.
		pub root_quorum: VoteWeight,
		/// Percent of the weight voted the ayes must exceed on a root proposal.
		pub root_approval_percent: u8,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.voting_period == Zero::zero() {
				return;
			}
			let rules = Rules {
				voting_period: self.voting_period,
				enactment_delay: self.enactment_delay,
				quorum: self.quorum,
				approval: sp_runtime::Perbill::from_percent(self.approval_percent.into()),
				root_quorum: self.root_quorum,
				root_approval: sp_runtime::Perbill::from_percent(self.root_approval_percent.into()),
			};
			Pallet::<T>::check_rules(&rules).expect("the genesis rules are valid");
			CurrentRules::<T>::put(rules);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A proposal was made; its vote is decided at `ends`.
		Proposed {
			index: ProposalIndex,
			proposer: T::AccountId,
			track: Track,
			call_hash: T::Hash,
			ends: BlockNumberFor<T>,
		},
		/// An account voted.
		Voted { index: ProposalIndex, voter: T::AccountId, aye: bool, weight: VoteWeight },
		/// A proposal passed; the chain enacts it at `enact_at`.
		Passed { index: ProposalIndex, tally: Tally, enact_at: BlockNumberFor<T> },
		/// A proposal did not pass: too little weight voted.
		NoQuorum { index: ProposalIndex, tally: Tally },
		/// A proposal did not pass: too few ayes.
		Rejected { index: ProposalIndex, tally: Tally },
		/// A passed proposal could not be scheduled.
		EnactmentFailed { index: ProposalIndex, error: DispatchError },
		/// A passed proposal paid `amount` from `fund` to `recipient`.
		Spent { index: ProposalIndex, fund: Fund, recipient: T::AccountId, amount: BalanceOf<T> },
		/// A passed proposal changed the rules.
		RulesSet { rules: RulesOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has no voting weight: it operates no node and owns no service.
		NoVotingWeight,
		/// No proposal has this index.
		UnknownProposal,
		/// The proposal's vote is over.
		VotingClosed,
		/// The account already voted on this proposal.
		AlreadyVoted,
		/// The proposal has as many voters as the runtime allows.
		TooManyVoters,
		/// As many proposals are open as the runtime allows; wait for one to be decided.
		TooManyActive,
		/// The chain has no voting rules yet.
		NoRules,
		/// Rules need a voting period and an enactment delay of at least a block, a quorum of
		/// at least one, an approval share of at least half, and root thresholds at least as
		/// strict as the standard ones.
		InvalidRules,
		/// A spend needs at least one payout, each of a non-zero amount.
		EmptySpend,
		/// This proposal already spent.
		AlreadySpent,
		/// The fund holds less than the spend.
		InsufficientFunds,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::decide_ending(now)
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Propose `call`, enacted on `track` if the vote passes.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::propose(call.encoded_size() as u32))]
		pub fn propose(
			origin: OriginFor<T>,
			track: Track,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_propose(who, track, *call)
		}

		/// Vote on an open proposal, with the caller's weight now.
		#[pallet::call_index(1)]
		pub fn vote(origin: OriginFor<T>, index: ProposalIndex, aye: bool) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_vote(who, index, aye)
		}

		/// Pay `payouts` from `fund`. Only a passed proposal may, once.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::spend(payouts.len() as u32))]
		pub fn spend(
			origin: OriginFor<T>,
			fund: Fund,
			payouts: BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxPayouts>,
		) -> DispatchResult {
			let index = Self::ensure_proposal(origin)?;
			Self::do_spend(index, fund, payouts)
		}

		/// Replace the voting rules. Only a passed proposal (or root) may.
		#[pallet::call_index(3)]
		pub fn set_rules(origin: OriginFor<T>, rules: RulesOf<T>) -> DispatchResult {
			if ensure_root(origin.clone()).is_err() {
				Self::ensure_proposal(origin)?;
			}
			Self::check_rules(&rules)?;
			CurrentRules::<T>::put(rules);
			Self::deposit_event(Event::RulesSet { rules });
			Ok(())
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A proposal, if it exists.
		pub fn proposal(index: ProposalIndex) -> Option<ProposalOf<T>> {
			Proposals::<T>::get(index)
		}

		/// The voting rules, if set.
		pub fn rules() -> Option<RulesOf<T>> {
			CurrentRules::<T>::get()
		}

		/// An account's voting weight now.
		pub fn voting_weight(who: T::AccountId) -> VoteWeight {
			T::VotingWeight::voting_weight(&who)
		}

		/// An account's vote on a proposal.
		pub fn vote_of(index: ProposalIndex, who: T::AccountId) -> Option<Vote> {
			Votes::<T>::get(index, who)
		}

		/// The spend a proposal made.
		pub fn spend_of(index: ProposalIndex) -> Option<SpendRecordOf<T>> {
			Spends::<T>::get(index)
		}
	}
}

/// Succeeds for a passed standard-track proposal, with its index.
pub struct EnsureProposal;
impl<O> frame_support::traits::EnsureOrigin<O> for EnsureProposal
where
	O: Into<Result<Origin, O>> + From<Origin>,
{
	type Success = ProposalIndex;

	fn try_origin(o: O) -> Result<Self::Success, O> {
		o.into().map(|Origin::Proposal(index)| index)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(O::from(Origin::Proposal(0)))
	}
}

/// Succeeds for a passed proposal of either track: a standard one's origin or root.
pub type EnsureProposalOrRoot<AccountId> =
	frame_support::traits::EitherOfDiverse<frame_system::EnsureRoot<AccountId>, EnsureProposal>;
