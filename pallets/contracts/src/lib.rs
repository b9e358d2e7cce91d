//! # Recorded contracts of the Micro Network
//!
//! Two or more parties (a consumer and a service owner, node operators sharing a workload, ...)
//! agree on terms off-chain; the chain records the agreement and, once, its result.
//!
//! - [`Pallet::propose`]: a party names the parties, the hash of the terms, the service (if
//!   any) and a deadline. Proposing counts as the proposer's approval.
//! - [`Pallet::approve`] / [`Pallet::reject`]: each party approves; with the last approval the
//!   contract is active. Any party can reject it before then, and once its deadline has passed
//!   anyone can mark it lapsed with [`Pallet::lapse`].
//! - [`Pallet::declare_result`]: the parties declare the result of an active contract. It is
//!   recorded when every party whose agreement it needs declared the same result: all of them
//!   for `Fulfilled` and `Cancelled`, all but the breaching party for `Breached` (which then
//!   waits out a dispute window, below).
//! - [`Pallet::expire`]: an active contract whose result is not recorded by
//!   [`Config::MaxContractLife`] blocks after its approval deadline can be ended by any of its
//!   parties: it concludes `Expired`, which records nothing against anyone.
//!
//! ## Deposits
//! Every party holds [`Config::ContractDeposit`] (reason [`HoldReason::ContractDeposit`]) from
//! its approval (the proposer's is its proposal) until [`Config::DisputeWindow`] blocks after
//! the contract ends (rejected, lapsed, or its result recorded); then anyone may
//! [`Pallet::release_deposit`] it back to the parties. A breach's deposits are released when its
//! dispute resolves (contested, or confirmed after its window), the window having run then.
//! - **Self-dealing** (an account and its Sybil agreeing contracts and declaring them fulfilled
//!   at once to farm `ContractFulfilled`): a party that cannot pay cannot approve, and a
//!   deposit released with the result would cost nothing and farm again the next block; held
//!   for the window after the end, each farmed contract ties up a deposit per party for at
//!   least a dispute window.
//! - **Contract records no deposit pays for** (a contract, its history and its result are kept
//!   for good): a party holds at most [`Config::MaxHeldPerParty`] deposits at once, so it takes
//!   part in at most that many contracts per dispute window, and each contract's history holds
//!   at most [`Config::MaxParties`] + 3 entries (proposed, the other approvals, then a rejection
//!   or lapse, or a pending breach, its contest and the conclusion).
//! - **Locking a victim's deposit and slot forever** (parties A and B propose {A, B, V}; V
//!   approves; A and B never declare, and `Fulfilled`, `Cancelled` and any breach need one of
//!   them, so V could never end it; `MaxHeldPerParty` of these shut V out of contracts): a
//!   proposal's deadline is at most [`Config::MaxContractLife`] blocks away, and an active
//!   contract not concluded by `MaxContractLife` blocks after that deadline may be ended by any
//!   party with [`Pallet::expire`] (`Expired`: no reputation moves), after which its deposits
//!   follow the dispute window like any other end. A deposit is so held for at most two
//!   contract lives and a dispute window.
//! - **Releasing deposits never counted** (deposits held before [`HeldDeposits`] existed would
//!   decrement a count they never incremented): the v0 → v1 migration
//!   ([`migrations::MigrateV0ToV1`]) counts every deposit the open contracts hold.
//!
//! ## Breaches are disputable
//! In a two-party contract the accuser alone agrees a breach, so a breach is never recorded at
//! once. Once agreed, the contract waits [`Config::DisputeWindow`] blocks (`BreachPending`),
//! during which the accused may [`Pallet::contest_breach`]:
//! - not contested: after the window anyone may [`Pallet::confirm_breach`]; the breach is
//!   recorded (`ContractBreached` against the accused);
//! - contested, but the breach was agreed by two or more parties (contracts of three or more):
//!   the accused loses the dispute; the breach is recorded with `ContractBreached` and `Dispute`
//!   against it;
//! - contested and agreed by one party only (two-party contracts): no one can tell who is
//!   right; `Disputed(accused)` is recorded and moves no reputation.
//!
//! So one party alone cannot cost another reputation: the victim of a false accusation
//! contests it.
//!
//! ## Records that cannot change
//! A recorded result is never changed or removed. Each contract keeps a history (proposed,
//! approvals, rejection or lapse, conclusion) whose entries each carry the hash of the one
//! before, the first linking to a hash of the contract's parties, terms, service and deadline.
//! Results form one global chain the same way, each record also carrying its contract's
//! history head. [`lifecycle::verify_history`] and [`lifecycle::verify_chain`] check both from
//! chain state alone; the view functions `verify_history` and `verify_results` run them.
//!
//! ## Reputation
//! A fulfilled contract raises every party's reputation, a breach lowers the breaching party's:
//! the result is recorded against each node the party operates (up to
//! [`Config::MaxSubjectsPerParty`]) and against the contract's service if the party owns it.
//! A cancelled or disputed contract moves nothing. The loser of a dispute also gets `Dispute`
//! recorded against its subjects.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod lifecycle;
pub mod migrations;
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
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::{NodeDirectory, ReputationLedger, ServiceDirectory, ServiceId};
	use sp_core::H256;

	/// A contract as this runtime stores it.
	pub type ContractOf<T> = Contract<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		ServiceId,
		<T as Config>::MaxParties,
	>;
	/// A history entry as this runtime stores it.
	pub type HistoryEntryOf<T> =
		HistoryEntry<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A result record as this runtime stores it.
	pub type ResultRecordOf<T> =
		ResultRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A result as this runtime names it.
	pub type OutcomeOf<T> = Outcome<<T as frame_system::Config>::AccountId>;
	/// A pending breach as this runtime stores it.
	pub type PendingBreachOf<T> =
		PendingBreach<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// The balance type of the currency deposits are held in.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// The storage layout's version: 1 counts the deposits each account holds
	/// ([`HeldDeposits`]). Storage changes come with a migration from the version before.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A party's deposit on an open contract.
		ContractDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The registered nodes: a party's nodes carry its contract reputation.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The registered services a contract can be about.
		type Services: ServiceDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// Where results are recorded as reputation.
		type Reputation: ReputationLedger;
		/// Most parties of one contract.
		#[pallet::constant]
		type MaxParties: Get<u32>;
		/// Most nodes of one party a result is recorded against.
		#[pallet::constant]
		type MaxSubjectsPerParty: Get<u32>;
		/// The currency deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Held from each party from its approval until the contract ends.
		#[pallet::constant]
		type ContractDeposit: Get<BalanceOf<Self>>;
		/// Blocks the accused party has to contest an agreed breach, and blocks the deposits
		/// stay held after a contract ends.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;
		/// Most contract deposits one account holds at once (each until a dispute window after
		/// its contract ended): the most contracts it can enter per window.
		#[pallet::constant]
		type MaxHeldPerParty: Get<u32>;
		/// Blocks after its approval deadline by which an active contract's result must be
		/// recorded; after them any party may end it as `Expired`. A proposal's deadline is at
		/// most this many blocks away.
		#[pallet::constant]
		type MaxContractLife: Get<BlockNumberFor<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The id the next contract gets.
	#[pallet::storage]
	pub type NextContractId<T: Config> = StorageValue<_, ContractId, ValueQuery>;

	/// Every contract ever proposed.
	#[pallet::storage]
	pub type Contracts<T: Config> = StorageMap<_, Blake2_128Concat, ContractId, ContractOf<T>>;

	/// Each contract's history, by position.
	#[pallet::storage]
	pub type History<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ContractId, Twox64Concat, u32, HistoryEntryOf<T>>;

	/// The result each party of an active contract declared, by position among its parties.
	#[pallet::storage]
	pub type Declarations<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		ContractId,
		BoundedVec<Option<OutcomeOf<T>>, T::MaxParties>,
	>;

	/// The deposit each approving party of a contract holds until it is released (fixed when
	/// it is proposed; contracts proposed before deposits existed have none).
	#[pallet::storage]
	pub type Deposits<T: Config> = StorageMap<_, Blake2_128Concat, ContractId, BalanceOf<T>>;

	/// The last block an ended contract's deposits stay held in: its end plus the dispute
	/// window. After it anyone may release them.
	#[pallet::storage]
	pub type DepositsHeldUntil<T: Config> =
		StorageMap<_, Blake2_128Concat, ContractId, BlockNumberFor<T>>;

	/// How many contract deposits each account holds (at most [`Config::MaxHeldPerParty`]
	/// when it takes a new one; the v0 → v1 migration counted those held before it existed).
	#[pallet::storage]
	pub type HeldDeposits<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32>;

	/// The agreed breaches waiting out their dispute window.
	#[pallet::storage]
	pub type PendingBreaches<T: Config> =
		StorageMap<_, Blake2_128Concat, ContractId, PendingBreachOf<T>>;

	/// The global chain of recorded results, by index.
	#[pallet::storage]
	pub type Results<T: Config> = StorageMap<_, Twox64Concat, u64, ResultRecordOf<T>>;

	/// How many results are recorded.
	#[pallet::storage]
	pub type ResultCount<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// The hash of the last recorded result (zero before the first).
	#[pallet::storage]
	pub type ResultHead<T: Config> = StorageValue<_, H256, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A contract was proposed; the proposer approved it.
		Proposed {
			contract: ContractId,
			proposer: T::AccountId,
			parties: BoundedVec<T::AccountId, T::MaxParties>,
			terms: H256,
			service: Option<ServiceId>,
			deadline: BlockNumberFor<T>,
		},
		/// A party approved.
		Approved { contract: ContractId, party: T::AccountId },
		/// Every party approved: the contract is active.
		Activated { contract: ContractId },
		/// A party rejected the contract.
		Rejected { contract: ContractId, party: T::AccountId },
		/// The deadline passed before every party approved.
		Lapsed { contract: ContractId },
		/// A party declared the contract's result.
		ResultDeclared { contract: ContractId, party: T::AccountId, outcome: OutcomeOf<T> },
		/// The result was recorded at `index` of the global chain, as a record hashing to
		/// `hash`.
		ResultRecorded { contract: ContractId, index: u64, outcome: OutcomeOf<T>, hash: H256 },
		/// A breach by `breacher` was agreed; it may contest it until block `ends`.
		BreachPending { contract: ContractId, breacher: T::AccountId, ends: BlockNumberFor<T> },
		/// The accused party contested the breach.
		BreachContested { contract: ContractId, breacher: T::AccountId },
		/// The contract's deposits went back to the parties that held them.
		DepositsReleased { contract: ContractId, amount: BalanceOf<T> },
		/// The contract ended; its deposits stay held until block `until`.
		DepositsHeld { contract: ContractId, until: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No contract has this id.
		UnknownContract,
		/// No service has this id.
		UnknownService,
		/// A contract needs at least two parties.
		TooFewParties,
		/// More parties than the runtime allows.
		TooManyParties,
		/// A party is named twice.
		DuplicateParty,
		/// The proposer must be one of the parties.
		ProposerNotAParty,
		/// The deadline is already past.
		DeadlineInThePast,
		/// The account is not a party to the contract.
		NotAParty,
		/// This party already approved.
		AlreadyApproved,
		/// The contract is no longer waiting for approvals.
		NotProposed,
		/// The contract's deadline has passed.
		DeadlinePassed,
		/// The contract's deadline has not passed yet.
		DeadlineNotPassed,
		/// The contract is not active.
		NotActive,
		/// A breach must name one of the parties.
		BreacherNotAParty,
		/// The breaching party's agreement is not needed to record its breach.
		BreacherCannotDeclare,
		/// This party already declared this result.
		AlreadyDeclared,
		/// This result is recorded by the chain, never declared by a party.
		NotDeclarable,
		/// The party cannot pay the contract deposit.
		CannotPayDeposit,
		/// No breach of this contract waits out a dispute window.
		NoPendingBreach,
		/// Only the accused party may contest a breach.
		NotTheAccused,
		/// The breach's dispute window has closed.
		DisputeWindowClosed,
		/// The breach's dispute window is still open.
		DisputeWindowOpen,
		/// The account holds as many contract deposits as one account may; wait for one to be
		/// released.
		TooManyHeld,
		/// The contract holds no deposits.
		NoDepositHeld,
		/// The contract has not ended, or the dispute window after its end has not passed.
		DepositsStillHeld,
		/// The deadline is more than [`Config::MaxContractLife`] blocks away.
		DeadlineTooFar,
		/// The contract's time for a result ([`Config::MaxContractLife`] blocks after its
		/// deadline) has not run out yet.
		NotExpired,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Propose a contract between `parties` (the caller among them) on the terms hashing
		/// to `terms`, about `service` if any, to be approved by every party by `deadline`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::propose(parties.len() as u32))]
		pub fn propose(
			origin: OriginFor<T>,
			parties: BoundedVec<T::AccountId, T::MaxParties>,
			terms: H256,
			service: Option<ServiceId>,
			deadline: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_propose(who, parties.into_inner(), terms, service, deadline)
		}

		/// Approve a proposed contract the caller is a party to.
		#[pallet::call_index(1)]
		pub fn approve(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_approve(who, contract)
		}

		/// Reject a proposed contract the caller is a party to.
		#[pallet::call_index(2)]
		pub fn reject(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reject(who, contract)
		}

		/// Mark a proposed contract whose deadline has passed as lapsed. Anyone may.
		#[pallet::call_index(3)]
		pub fn lapse(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_lapse(contract)
		}

		/// Declare the result of an active contract the caller is a party to. The result is
		/// recorded, for good, once every party whose agreement it needs declared it.
		#[pallet::call_index(4)]
		pub fn declare_result(
			origin: OriginFor<T>,
			contract: ContractId,
			outcome: OutcomeOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_declare_result(who, contract, outcome)
		}

		/// Contest the pending breach declared against the caller, within its dispute window.
		#[pallet::call_index(5)]
		pub fn contest_breach(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_contest_breach(who, contract)
		}

		/// Record a pending breach nobody contested once its dispute window closed. Anyone may.
		#[pallet::call_index(6)]
		pub fn confirm_breach(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_confirm_breach(contract)
		}

		/// Give an ended contract's deposits back to the parties that held them, once the
		/// dispute window after its end has passed. Anyone may.
		#[pallet::call_index(7)]
		pub fn release_deposit(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_release_deposit(contract)
		}

		/// End an active contract the caller is a party to whose result was not recorded by
		/// [`Config::MaxContractLife`] blocks after its deadline: it concludes `Expired`,
		/// recording nothing against anyone, and its deposits are held for the dispute window.
		#[pallet::call_index(8)]
		pub fn expire(origin: OriginFor<T>, contract: ContractId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_expire(who, contract)
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A contract, if it exists.
		pub fn contract(id: ContractId) -> Option<ContractOf<T>> {
			Contracts::<T>::get(id)
		}

		/// The breach of a contract waiting out its dispute window, if any.
		pub fn pending_breach(id: ContractId) -> Option<PendingBreachOf<T>> {
			PendingBreaches::<T>::get(id)
		}

		/// A contract's history, oldest first.
		pub fn history(id: ContractId) -> Vec<HistoryEntryOf<T>> {
			Self::history_of(id)
		}

		/// Whether a contract's stored history links up from its terms to its head.
		pub fn verify_history(id: ContractId) -> bool {
			Self::history_verifies(id)
		}

		/// Up to `max` recorded results from index `from`.
		pub fn results(from: u64, max: u32) -> Vec<ResultRecordOf<T>> {
			Self::results_from(from, max)
		}

		/// How many results are recorded, and the hash of the last.
		pub fn result_head() -> (u64, H256) {
			(ResultCount::<T>::get(), ResultHead::<T>::get())
		}

		/// Checks up to `max` stored results from `from` link to each other, to the record
		/// before them, and (when they reach the end) to the head. Returns the index of the
		/// first record that does not fit.
		pub fn verify_results(from: u64, max: u32) -> Result<(), u64> {
			Self::results_verify(from, max)
		}
	}
}
