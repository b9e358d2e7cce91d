//! # Reputation pallet: layer 2 of the Micro Network
//!
//! Every node and service has a score from 0 to 1000, computed from what the chain itself saw:
//! how long it has been in the network, its uptime (nodes, from heartbeats) or availability
//! (services), the calls settled for it without dispute, the contracts it fulfilled, and
//! penalties for disputes, failed settlements, outages while serving and breached contracts. The
//! formula is in [`score`], in one place, with saturating integer arithmetic.
//!
//! Other pallets feed the ledger through [`micro_primitives::ReputationLedger`]: the nodes
//! pallet reports outages while serving, settlement reports settled calls and failures,
//! governance reports contract results. Scores are computed when read, so they move with time
//! without any per-block work.
//!
//! ## Access tiers
//! An account's score is the best score among the nodes it operates and the services it owns (a
//! new account's is 0). [`AccessTiers`] map scores to access: how many services the account may
//! register before each further one costs an extra deposit, and how many calls it may make for
//! free per quota period. The lowest tier starts at score 0: every new account gets base-level
//! access. The tiers and the period are parameters that only [`Config::ParamsOrigin`]
//! (governance) can change, with [`Pallet::set_access_tiers`].
//!
//! ## Free calls are reserved for a node (issue 17)
//! The chain sees free calls only when they are spent through it: as free tokens
//! (`claim_free_tokens` in the tokens pallet) or as a reservation for one node
//! ([`Pallet::reserve_free_calls`]). A node's MUCP worker serves an account free calls only up to
//! what the account reserved for that node in the current quota period
//! ([`Pallet::free_calls_reserved`], a view function), counting what it served in its own
//! ledger. A reservation takes the calls from the account's quota at once ([`FreeCallsUsed`]),
//! like a hold: so the quota is spent exactly once network-wide. Before this rule each node
//! checked only the quota left on chain, which the free calls it served never touched, so an
//! account spent its whole quota once on every node: free usage multiplied by the number of
//! nodes, for nothing. Reservations live in [`FreeCallsReserved`], at most
//! [`Config::MaxFreeReservations`] nodes per account, and are forgotten when the period changes.
//!
//! ## Reading a score costs what it is charged (finding H4)
//! An account's score reads every node it operates (at most the nodes pallet's
//! `MaxNodesPerOperator`) and every service it owns up to [`Config::MaxServicesScanned`], each in
//! a constant number of reads: a service's availability is the stamp its nodes' heartbeats keep
//! (see the services pallet), not a walk over its placements and their versions, which let one
//! account make `register_service`, `claim_free_tokens`, `propose` and `vote` read thousands of
//! entries while paying for about ten. The calls that read a score charge
//! [`micro_primitives::ACCOUNT_SCORE_READS`] and [`micro_primitives::ACCOUNT_SCORE_PROOF_SIZE`];
//! a test (`tests::score_walk`) builds the worst case on the real nodes and services pallets
//! and checks the storage proof of the walk against both.

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
mod mock_chain;
pub mod score;
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
	use micro_primitives::{
		NodeDirectory, NodeId, ReputationEvent, Score, ServiceDirectory, Subject,
	};
	use sp_runtime::traits::Zero;

	/// The storage layout: 1 counts paid usage and its value in each [`Record`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The registered nodes.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The registered services.
		type Services: ServiceDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// Who may change the access tiers (governance).
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Blocks in a day: the unit of age in the score.
		#[pallet::constant]
		type BlocksPerDay: Get<BlockNumberFor<Self>>;
		/// Most access tiers.
		#[pallet::constant]
		type MaxTiers: Get<u32>;
		/// Most services looked at when computing an account's score.
		#[pallet::constant]
		type MaxServicesScanned: Get<u32>;
		/// The value of paid usage (MICRO, in its smallest unit) that counts as one unit in the
		/// usage part of the score (see [`score`]).
		#[pallet::constant]
		type UsageValueUnit: Get<u128>;
		/// Most nodes an account may reserve free calls for in one quota period.
		#[pallet::constant]
		type MaxFreeReservations: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// What the chain saw about each node and service.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Blake2_128Concat, Subject, Record, ValueQuery>;

	/// The access tiers, by ascending minimum score; the first starts at 0.
	#[pallet::storage]
	pub type AccessTiers<T: Config> =
		StorageValue<_, BoundedVec<AccessTier, T::MaxTiers>, ValueQuery>;

	/// The length of a free-call quota period, in blocks.
	#[pallet::storage]
	pub type QuotaPeriod<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Free calls each account used: the period they were used in, and how many.
	#[pallet::storage]
	pub type FreeCallsUsed<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (BlockNumberFor<T>, u32), ValueQuery>;

	/// Free calls each account reserved for nodes: the start of the quota period they were
	/// reserved in, and the calls per node. Only the current period's count; an older period's
	/// are forgotten at the account's next reservation.
	#[pallet::storage]
	pub type FreeCallsReserved<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		(BlockNumberFor<T>, BoundedVec<(NodeId, u32), T::MaxFreeReservations>),
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The access tiers as `(min_score, max_services, free_calls_per_period)`.
		pub access_tiers: Vec<(Score, u32, u32)>,
		/// The quota period, in blocks.
		pub quota_period: BlockNumberFor<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.access_tiers.is_empty() {
				return;
			}
			let tiers: Vec<AccessTier> = self
				.access_tiers
				.iter()
				.map(|&(min_score, max_services, free_calls_per_period)| AccessTier {
					min_score,
					max_services,
					free_calls_per_period,
				})
				.collect();
			let tiers: BoundedVec<_, T::MaxTiers> =
				tiers.try_into().expect("genesis access tiers fit MaxTiers");
			Pallet::<T>::check_tiers(&tiers, self.quota_period)
				.expect("genesis access tiers are valid");
			AccessTiers::<T>::put(tiers);
			QuotaPeriod::<T>::put(self.quota_period);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Something that moves a score was recorded.
		Recorded { subject: Subject, event: ReputationEvent },
		/// The access tiers or the quota period changed.
		AccessTiersSet {
			tiers: BoundedVec<AccessTier, T::MaxTiers>,
			quota_period: BlockNumberFor<T>,
		},
		/// `who` reserved `calls` more of its free quota for `node`, in the quota period that
		/// starts at block `period`; `total` are reserved for `node` in that period now.
		FreeCallsReserved {
			who: T::AccountId,
			node: NodeId,
			calls: u32,
			total: u32,
			period: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// There must be at least one tier, the first starting at score 0, with strictly
		/// ascending minimum scores no higher than the maximum score.
		InvalidTiers,
		/// The quota period must be at least one block.
		ZeroQuotaPeriod,
		/// The account has fewer free calls left this period than asked for.
		FreeQuotaExhausted,
		/// A reservation of free calls must be for at least one call.
		ZeroFreeCalls,
		/// There is no registered node with that id.
		UnknownNode,
		/// The account already reserved free calls for `MaxFreeReservations` other nodes this
		/// period.
		TooManyFreeReservations,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Replace the access tiers and the quota period. Only [`Config::ParamsOrigin`] may.
		#[pallet::call_index(0)]
		pub fn set_access_tiers(
			origin: OriginFor<T>,
			tiers: BoundedVec<AccessTier, T::MaxTiers>,
			quota_period: BlockNumberFor<T>,
		) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::check_tiers(&tiers, quota_period)?;
			AccessTiers::<T>::put(&tiers);
			QuotaPeriod::<T>::put(quota_period);
			Self::deposit_event(Event::AccessTiersSet { tiers, quota_period });
			Ok(())
		}

		/// Take `calls` from the caller's free quota this period and reserve them for `node`:
		/// only `node` serves them, and no one else can spend them (not `claim_free_tokens`, not
		/// another node). Reserving again for the same node adds to its reservation. The
		/// reservation ends with the quota period.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::reserve_free_calls().saturating_add(
			micro_primitives::account_score_weight(T::DbWeight::get().reads(1))
		))]
		pub fn reserve_free_calls(
			origin: OriginFor<T>,
			node: NodeId,
			calls: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reserve_free_calls(who, node, calls)
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks tiers and a quota period before they are stored.
		pub(crate) fn check_tiers(
			tiers: &[AccessTier],
			quota_period: BlockNumberFor<T>,
		) -> DispatchResult {
			ensure!(!quota_period.is_zero(), Error::<T>::ZeroQuotaPeriod);
			let ascending = tiers.windows(2).all(|pair| pair[0].min_score < pair[1].min_score);
			let starts_at_zero = tiers.first().is_some_and(|tier| tier.min_score == 0);
			let in_range = tiers.iter().all(|tier| tier.min_score <= micro_primitives::MAX_SCORE);
			ensure!(ascending && starts_at_zero && in_range, Error::<T>::InvalidTiers);
			Ok(())
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// The score of a node or service, part by part; `None` if it is not registered.
		pub fn score(subject: Subject) -> Option<ScoreBreakdown> {
			Self::score_of(subject)
		}

		/// What the chain recorded about a node or service.
		pub fn record_of(subject: Subject) -> Record {
			Records::<T>::get(subject)
		}

		/// An account's score: the best of its nodes' and services'.
		pub fn account_score(who: T::AccountId) -> Score {
			Self::account_score_of(&who)
		}

		/// The index and terms of an account's access tier.
		pub fn access_tier(who: T::AccountId) -> Option<(u32, AccessTier)> {
			Self::tier_of(&who)
		}

		/// Free calls an account has left this period.
		pub fn free_calls(who: T::AccountId) -> u32 {
			Self::free_calls_left_of(&who)
		}

		/// Free calls an account reserved for `node` in the current quota period, and the block
		/// that period started at: what `node` may serve it for free this period, in all.
		pub fn free_calls_reserved(who: T::AccountId, node: NodeId) -> (u32, BlockNumberFor<T>) {
			Self::free_calls_reserved_for(&who, node)
		}

		/// The access tiers and the quota period.
		pub fn tiers() -> (Vec<AccessTier>, BlockNumberFor<T>) {
			(AccessTiers::<T>::get().into_inner(), QuotaPeriod::<T>::get())
		}
	}
}
