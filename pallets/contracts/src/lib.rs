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
//!   for `Fulfilled` and `Cancelled`, all but the breaching party for `Breached`.
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
//! A cancelled contract moves nothing.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod lifecycle;
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
	use frame_support::pallet_prelude::*;
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

	#[pallet::pallet]
	pub struct Pallet<T>(_);

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
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A contract, if it exists.
		pub fn contract(id: ContractId) -> Option<ContractOf<T>> {
			Contracts::<T>::get(id)
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
