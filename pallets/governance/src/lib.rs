//! # Governance of the Micro Network
//!
//! The network's rules change only through proposals voted on by the nodes and services that
//! make up the network, weighted by their reputation, and enacted by the chain itself. No key can
//! enact, veto or cancel anything.
//!
//! - [`Pallet::propose`]: an account with a voice (below) proposes a call on a [`Track`],
//!   holding [`Config::ProposalDeposit`] until the vote is decided (returned unless the
//!   proposal misses its quorum). The call is kept inline or,
//!   when large (a runtime upgrade), as a preimage (pallet-preimage).
//! - [`Pallet::vote`]: an account votes aye or nay with its voices: each node it operates and
//!   each service it created and owns that was registered at least the rules' `min_age` before
//!   the proposal was made, each weighing its reputation score plus one
//!   ([`micro_primitives::VotingWeight`]). Money buys no weight. The vote names the subjects it
//!   is cast with (each checked on its own with `VotingWeight::voice`); an empty list casts it
//!   with every voice the reputation pallet's scan finds (at most
//!   [`micro_primitives::MAX_VOICES`], the first an account holds).
//! - At the end of the voting period the chain decides: a proposal passes if at least the
//!   track's quorum *share of the electorate* (the nodes and services registered when it was
//!   made) voted, and the ayes exceed the track's approval share of the weight voted. A passed
//!   proposal is scheduled (pallet-scheduler) to be dispatched after the enactment delay: on the
//!   standard track with the [`Origin::Proposal`] origin, which names the proposal; on the root
//!   track as root (runtime upgrades).
//! - [`Pallet::spend`]: the charity and operations accounts pay out only to a passed
//!   proposal's origin, within a budget per period, and each spend is recorded under the
//!   proposal's index.
//! - [`Pallet::set_rules`]: the rules are themselves changed only by a passed proposal.
//!
//! Other pallets take [`EnsureProposal`] (or root, which on the public chains only a root-track
//! proposal holds) as the origin of their parameter changes.
//!
//! ## The attacks each rule stops
//! The rules follow Polkadot's OpenGov where it applies (support as a share of an electorate,
//! stricter tracks for stronger origins, deposits against spam) and bind weight to subjects that
//! cost a deposit and time, as pallet-ranked-collective binds it to members.
//! - **Passing one service NFT (or recycling one node deposit) from account to account to vote
//!   again:** votes are kept per voice ([`VoiceVotes`]): a node or service votes once per
//!   proposal whoever holds it, and a node registered after the proposal's cut-off (a recycled
//!   deposit) has no voice on it. The reputation pallet gives a service a voice only while its
//!   creator holds it, so aged services cannot be rented for a vote either.
//! - **Silencing a voter by sending it service NFTs** (transfers need no consent; enough
//!   fresh services fill the scan of the first ones an account holds, so its own aged services
//!   are no longer found): a vote may name its subjects, and each named one is checked alone
//!   (a node its caller operates, a service it created and holds, old enough), whatever else
//!   the account holds. A subject named twice, not the caller's, or already voted is refused.
//! - **Filling the chain with vote records no deposit pays for:** the votes of a decided
//!   proposal ([`Votes`], [`VoiceVotes`]) are removed by the idle hook, oldest proposal first
//!   from [`VoteCleanup`], at most [`MAX_CLEARED_PER_BLOCK`] entries a block and only with the
//!   weight the block has left; the tally stays with the proposal. Each proposal read and each
//!   entry removed is charged; a block with less idle weight than one proposal and one entry
//!   does nothing, so the cursor always moves or an entry goes (never a read for nothing), and
//!   a proposal whose vote ended but was never decided counts as decided, so it cannot stop
//!   the cursor.
//! - **Votes from before the per-voice rules deciding a proposal** (a v0 tally counted one
//!   service passed from account to account, voting from each, and v0 kept no record per
//!   voice to refuse it again): the v0 → v1 migration ends every proposal open at the upgrade
//!   `NoQuorum` with its deposit returned ([`Event::EndedAtUpgrade`]); it may be proposed
//!   again and voted under the new rules.
//! - **Buying weight once a proposal appears:** only voices registered `min_age` blocks before
//!   the proposal count.
//! - **A tiny absolute quorum reached by one farmed account:** quorums are shares of the
//!   electorate, at least [`Config::MinQuorum`].
//! - **Inflating the electorate to make a quorum unreachable** (registering subjects just
//!   before a proposal, deposits back the next block): a proposal's electorate is the smaller of
//!   the count when it is made and [`ElectorateSnapshot`], taken once per minimum age. Subjects
//!   kept registered past a snapshot count, and are old enough to vote by the next one.
//! - **Shutting honest voters out by filling voter slots:** there are none; every voice may
//!   vote.
//! - **Holding every proposal slot with junk:** one account may have only
//!   [`Config::MaxActivePerProposer`] proposals open, and a proposal that misses its quorum
//!   forfeits its deposit (2.5% to charity, the rest to operations) instead of getting it back.
//! - **The standard track rewriting the root track's rules:** a standard proposal may change only
//!   the standard quorum and approval; the voting period, enactment delay, minimum age and the
//!   root thresholds change only by a root-track proposal, and root thresholds are never below
//!   the standard ones nor the root approval below [`Config::MinRootApproval`].
//! - **Emptying the funds with one proposal:** spends from each fund are limited to
//!   [`Config::MaxSpendPerPeriod`] of its balance per [`Config::SpendPeriod`], and never reap the
//!   fund's account.
//! - **Installing a human key:** [`Config::ProposalFilter`] refuses calls no proposal may make
//!   (the runtime refuses sudo calls unless the chain already has a sudo key, i.e. outside the
//!   development chain, and scheduling calls by hand).
//! - **Other parameter changes minting or draining:** each pallet bounds its own parameters in
//!   code (the tokens pallet bounds `TokenParams`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

/// Most vote entries (and proposals passed over) the idle hook removes in one block, whatever
/// weight is left: the rest waits for the next block.
pub const MAX_CLEARED_PER_BLOCK: u32 = 512;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::boxed::Box;
	use frame_support::traits::Contains;
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
	use micro_primitives::{Subject, VotingWeight, MAX_VOICES};
	use sp_runtime::{
		traits::{Dispatchable, Zero},
		Perbill,
	};

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

	/// The storage layout: 1 counts votes per voice and quorums as shares of an electorate.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
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
		/// The voices each account votes with.
		type VotingWeight: VotingWeight<Self::AccountId, BlockNumberFor<Self>>;
		/// The calls a proposal may make; the others are refused when proposed.
		type ProposalFilter: Contains<<Self as Config>::RuntimeCall>;
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
		/// Most proposals one account may have open for votes at once.
		#[pallet::constant]
		type MaxActivePerProposer: Get<u32>;
		/// The lowest quorum rules may set, as a share of the electorate.
		#[pallet::constant]
		type MinQuorum: Get<Perbill>;
		/// The lowest approval threshold rules may set for the root track.
		#[pallet::constant]
		type MinRootApproval: Get<Perbill>;
		/// The period spend budgets are counted over, in blocks.
		#[pallet::constant]
		type SpendPeriod: Get<BlockNumberFor<Self>>;
		/// The most of a fund's balance (as at its first spend in a period) that spends may pay
		/// out in one period.
		#[pallet::constant]
		type MaxSpendPerPeriod: Get<Perbill>;
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

	/// The account each node and service voted through on each proposal: a voice votes once.
	#[pallet::storage]
	pub type VoiceVotes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ProposalIndex, Twox64Concat, Subject, T::AccountId>;

	/// The electorate (registered nodes and services) at the start of the current snapshot
	/// period, a minimum age long. A proposal's electorate is the smaller of this and the count
	/// when it is made, so subjects registered to inflate it (front-running a proposal to make
	/// its quorum unreachable) do not count.
	#[pallet::storage]
	pub type ElectorateSnapshot<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// What each fund may still pay out in the current spend period: the period's number and
	/// the amount left.
	#[pallet::storage]
	pub type SpendBudgets<T: Config> =
		StorageMap<_, Twox64Concat, Fund, (BlockNumberFor<T>, BalanceOf<T>)>;

	/// The proposals whose vote is decided in each block.
	#[pallet::storage]
	pub type Ending<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ProposalIndex, T::MaxActive>,
		ValueQuery,
	>;

	/// How many proposals each account has open for votes.
	#[pallet::storage]
	pub type OpenProposals<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// How many proposals are open for votes.
	#[pallet::storage]
	pub type ActiveCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The oldest proposal whose votes ([`Votes`], [`VoiceVotes`]) may still be stored: the
	/// block's idle weight removes those of decided proposals, oldest first, from here.
	#[pallet::storage]
	pub type VoteCleanup<T: Config> = StorageValue<_, ProposalIndex, ValueQuery>;

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
		/// Blocks a node or service must have been registered before a proposal to vote on it.
		pub min_age: BlockNumberFor<T>,
		/// Percent of the electorate that must vote on a standard proposal.
		pub quorum_percent: u8,
		/// Percent of the weight voted the ayes must exceed on a standard proposal.
		pub approval_percent: u8,
		/// Percent of the electorate that must vote on a root proposal.
		pub root_quorum_percent: u8,
		/// Percent of the weight voted the ayes must exceed on a root proposal.
		pub root_approval_percent: u8,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.voting_period == Zero::zero() {
				return;
			}
			let percent = |p: u8| Perbill::from_percent(p.into());
			let rules = Rules {
				voting_period: self.voting_period,
				enactment_delay: self.enactment_delay,
				min_age: self.min_age,
				quorum: percent(self.quorum_percent),
				approval: percent(self.approval_percent),
				root_quorum: percent(self.root_quorum_percent),
				root_approval: percent(self.root_approval_percent),
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
		/// An account voted with `voices` nodes and services weighing `weight` in all.
		Voted {
			index: ProposalIndex,
			voter: T::AccountId,
			aye: bool,
			weight: VoteWeight,
			voices: u32,
		},
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
		/// A proposal open at the v0 → v1 upgrade was ended unvoted (status `NoQuorum`) and
		/// its deposit returned: its v0 `tally` counted votes the v1 rules refuse.
		EndedAtUpgrade { index: ProposalIndex, tally: Tally },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account has no voice on this proposal: it operates no node and owns no service
		/// registered at least the rules' minimum age before the proposal was made.
		NoVotingWeight,
		/// No proposal has this index.
		UnknownProposal,
		/// The proposal's vote is over.
		VotingClosed,
		/// The account already voted on this proposal.
		AlreadyVoted,
		/// Every node and service the account holds already voted on this proposal, through
		/// this or another account.
		VoicesAlreadyUsed,
		/// A vote names the same node or service twice.
		DuplicateSubject,
		/// A vote names a node or service that is not one of the account's voices on this
		/// proposal: not a node it operates nor a service it created and holds, or registered
		/// after the proposal's cut-off.
		NotAVoice,
		/// A node or service the vote names already voted on this proposal, through this or
		/// another account.
		SubjectAlreadyVoted,
		/// As many proposals are open as the runtime allows; wait for one to be decided.
		TooManyActive,
		/// The account has as many proposals open as one account may; wait for one to be
		/// decided.
		TooManyByProposer,
		/// The chain has no voting rules yet.
		NoRules,
		/// Rules need a voting period and an enactment delay of at least a block, quorums of at
		/// least the runtime's minimum, an approval share of at least half, a root approval of
		/// at least the runtime's minimum, and root thresholds at least as strict as the
		/// standard ones.
		InvalidRules,
		/// Only a root-track proposal may change the voting period, enactment delay, minimum
		/// age or root thresholds.
		RootRulesNeedRootTrack,
		/// Proposals may not make this call.
		CallNotAllowed,
		/// A spend needs at least one payout, each of a non-zero amount.
		EmptySpend,
		/// This proposal already spent.
		AlreadySpent,
		/// The fund holds less than the spend (it keeps its existential deposit).
		InsufficientFunds,
		/// The spend is more than the fund may still pay out this spend period.
		OverSpendBudget,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::snapshot_electorate(now).saturating_add(Self::decide_ending(now))
		}

		fn on_idle(_now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::clear_votes_within(remaining)
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Propose `call`, enacted on `track` if the vote passes.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::propose(call.encoded_size() as u32).saturating_add(
			micro_primitives::account_score_weight(T::DbWeight::get().reads(1))
		))]
		pub fn propose(
			origin: OriginFor<T>,
			track: Track,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_propose(who, track, *call)
		}

		/// Vote on an open proposal with `subjects`, each a node the caller operates or a
		/// service it created and holds, registered by the proposal's cut-off, that has not
		/// voted on it yet; each weighs its score now plus one. Every subject named must be
		/// such a voice, once. An empty list votes with every voice the reputation pallet's
		/// scan finds (the first nodes and services the caller holds, at most
		/// [`micro_primitives::MAX_VOICES`]) that has not voted yet: name the subjects when
		/// others' services sent to the caller may fill that scan.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::vote(Pallet::<T>::subjects_weighed(subjects.len())).saturating_add(
			micro_primitives::account_score_weight(T::DbWeight::get().reads(1))
		))]
		pub fn vote(
			origin: OriginFor<T>,
			index: ProposalIndex,
			aye: bool,
			subjects: BoundedVec<Subject, ConstU32<MAX_VOICES>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_vote(who, index, aye, &subjects)
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

		/// Replace the voting rules. A passed standard proposal may change the standard
		/// quorum and approval only; root (a passed root-track proposal) may change any rule.
		#[pallet::call_index(3)]
		pub fn set_rules(origin: OriginFor<T>, rules: RulesOf<T>) -> DispatchResult {
			let by_root = ensure_root(origin.clone()).is_ok();
			if !by_root {
				Self::ensure_proposal(origin)?;
			}
			Self::do_set_rules(rules, by_root)
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

		/// The weight of all of an account's voices now, however recently registered.
		pub fn voting_weight(who: T::AccountId) -> VoteWeight {
			let now = frame_system::Pallet::<T>::block_number();
			T::VotingWeight::voices(&who, now)
				.iter()
				.fold(0, |sum, voice| sum.saturating_add(voice.weight))
		}

		/// The account a node or service voted through on a proposal, if it voted.
		pub fn voice_vote(index: ProposalIndex, subject: Subject) -> Option<T::AccountId> {
			VoiceVotes::<T>::get(index, subject)
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
