//! # Services pallet: layer 1 of the Micro Network, each service an NFT
//!
//! A service is registered once under a unique name and owned through an NFT in one
//! `pallet-nfts` collection that this pallet's account owns and nobody can sign for. The NFT's
//! item id is the service id. Whoever holds the NFT owns the service: they alone publish and
//! retire versions, set the price and unregister it, and the settlement pallet pays them. Moving
//! the NFT (with `pallet-nfts`' own `transfer`, an approved `transfer` with a deadline,
//! [`Pallet::transfer_service`], or a sale with [`Pallet::buy_service`]) moves all of that.
//!
//! ## Selling a service
//! A sale is profit, so it is split like all profit (finding M9: sales through `pallet-nfts`'
//! `set_price` and `buy_item`, or its swaps with a price, paid the seller in full; the runtime
//! disables those features of `pallet-nfts`). The owner offers the service with
//! [`Pallet::offer_service`] at a price in MICRO, to anyone or to one buyer, and may withdraw
//! the offer ([`Pallet::withdraw_offer`]). [`Pallet::buy_service`] pays
//! [`micro_primitives::ProfitShares::of`] the price: 2.5% to [`Config::CharityAccount`], 2.5% to
//! [`Config::OperationsAccount`] and the rest to the seller, exact to the unit, and moves the
//! NFT. An offer ends with any transfer through this pallet, and it is only good while its
//! seller holds the NFT, so an NFT moved through `pallet-nfts` cannot be bought from its new
//! holder at the old holder's price.
//!
//! **An offered NFT cannot move through `pallet-nfts`.** While an offer stands, this pallet (the
//! collection's owner) disables the NFT's transfers in `pallet-nfts` (its `TransferDisabled`
//! pallet attribute); withdrawing the offer, the sale, or [`Pallet::transfer_service`] enables
//! them again. This stops an offer from coming back to life after a round trip: without it, the
//! seller could move the NFT away through `pallet-nfts` (believing the offer gone with it) and
//! get it back, and a buyer would then buy at the stale offer. The holder withdraws the offer
//! before moving the NFT any other way, or burning it.
//!
//! Nobody else can take a service down: the collection's owner and admin is this pallet's
//! account, which no key controls, and the runtime gives `pallet-nfts` no force origin, so not
//! even root can move, lock or burn a service's NFT. [`Pallet::unregister_service`] removes the
//! service and burns its NFT. Should the holder burn the NFT with `pallet-nfts`' own `burn`, that
//! takes the service down just the same: it has no owner, nothing can be placed or settled for it,
//! and anyone may then clear its record with [`Pallet::unregister_service`], which returns the
//! deposit to the account that registered it.
//!
//! ## Versions
//! A service starts with version 1 and gains a version with each [`Pallet::publish_version`]: a
//! new source (repository and commit or tag), the hash of its wasm code and its endpoints. Each
//! endpoint describes the messages it takes and returns, field by field with protobuf numbers,
//! so a service can be understood and called from chain state alone. Versions stay callable until
//! their owner retires them ([`Pallet::retire_version`]) or no online node runs them.
//!
//! ## Placement
//! A node's operator announces which versions of which services the node runs
//! ([`Pallet::announce_placement`]) and withdraws them ([`Pallet::withdraw_placement`]). Only online
//! nodes can take a placement. The chain then knows where each service lives.
//!
//! ## Squatted placements are evicted (finding M5)
//! Announcing needs no consent from the service's owner, and a service takes at most
//! [`Config::MaxNodesPerService`] nodes, so squatters (128 nodes at a refundable deposit each)
//! could fill every slot and lock honest nodes out, and an offline node's placement stayed
//! forever. [`Pallet::evict_placement`] ends a placement: the service's owner may evict any,
//! and the node may not place the service again for [`Config::EvictionBan`] blocks
//! ([`Error::NodeEvicted`]), so an evicted squatter cannot take its slot straight back; anyone
//! may evict the placement of a node that is offline (not `is_online`), which bars nothing: the
//! node places the service again once back online. Only the owner evicts an online node
//! ([`Error::NodeOnline`]). Eviction is O(1), the withdrawal path plus the owner check and the
//! node's status.
//!
//! ## Calls served stay payable for a grace (finding M4)
//! Settlement checks that the node runs the version when the report settles, not when the calls
//! were served, so an owner who retired the version, or evicted the node, before the node
//! reported left it unpaid and marked for failed settlement. A version retired, or a placement
//! that ended (withdrawn or evicted), still counts for [`Config::RetireGrace`] blocks
//! ([`micro_primitives::ServiceDirectory::ran_recently`]: at most four small reads,
//! [`Placements`], [`PastPlacements`], [`RetiredVersions`] and [`RetiredAt`]); the grace is
//! longer than the settlement's least interval between reports, so an honest node reports in
//! time. Within the grace a node may still charge calls it served after the retirement, within
//! the consumers' signed allowances: the grace bounds that. Re-announcing a placement without a
//! version stops that version counting at once (the node's own choice). Each ended placement
//! is kept as one [`PastPlacement`] per service and node, replacing the placement it came from;
//! a later announcement drops it once neither its grace nor its ban matters, and unregistering
//! the service clears it.
//!
//! ## Availability is a stamp, not a walk (finding H4)
//! A service is *available* while some node ran a live version of it at its last heartbeat and
//! that heartbeat is still within the heartbeat TTL. Each heartbeat
//! ([`micro_primitives::NodePlacements::on_heartbeat`]) moves the service's [`AvailableUntil`]
//! stamp to the node's last online block, for every service the node runs a live version of (at
//! most [`Config::MaxServicesPerNode`]; the heartbeat declares the weight of that many and is
//! charged for the services its node really runs, which `on_heartbeat` returns). [`micro_primitives::ServiceDirectory::is_available`] reads the stamp: one read,
//! where it used to walk every placement of the service (up to [`Config::MaxNodesPerService`]
//! nodes, each with up to [`Config::MaxVersionsPerPlacement`] versions) inside calls that read
//! an account's score and were charged a handful of reads. Retiring a version, withdrawing a
//! placement or a node going silent leaves the stamp as it was: the service counts as available
//! for at most the rest of the TTL of the last heartbeat that found it live (a TTL lowered by
//! governance shortens only later stamps). Unregistering the service removes its stamp.
//!
//! **Only heartbeats stamp.** [`Pallet::announce_placement`] does not: a new placement becomes
//! available at its node's next heartbeat (at most `TTL / 8` blocks later for a node that
//! heartbeats as often as allowed). This stops availability from being recycled: when
//! announcements stamped, one online node could announce and withdraw a placement of each
//! service in turn (in one batch) and stamp every one available, its owner's or anyone's, for
//! the node's whole TTL while holding no placement at all. A stamp now needs a placement
//! standing at a heartbeat.
//!
//! ## Price rises come with notice
//! [`Pallet::set_price`] cuts a price at once but raises it only [`Config::PriceRiseNotice`]
//! blocks later ([`ServiceInfo::price_rise`], [`Pallet::price`]); the price in force is
//! [`ServiceInfo::price_at`] the current block. This stops an owner who runs a node from raising
//! the price after a consumer signed an allowance and charging the new price for calls made
//! under it: with a notice longer than an allowance lives, every allowance signed before the
//! rise was announced expires before it applies (the allowance's own `max_price_per_call` cap
//! is the second line of defence).
//!
//! ## Deposits and access
//! Registering holds [`Config::ServiceDeposit`] from the registering account (returned to it when
//! the service is unregistered) and the NFT's item deposit. Each account may register as many
//! services as its access tier allows (see `pallet-micro-reputation`); past that it pays
//! [`Config::ExtraServiceDeposit`] on top for each further service.

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

/// The balance type of the currency deposits are held in.
pub type BalanceOf<T> =
	<<T as Config>::NativeBalance as frame_support::traits::fungible::Inspect<
		<T as frame_system::Config>::AccountId,
	>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::{
		AccessControl, ApiTokens, NodeDirectory, NodeId, ServiceId, VersionNumber,
	};
	use sp_core::H256;

	/// The storage layout's version: 1 added [`ServiceInfo::price_rise`], [`RetiredVersions`],
	/// [`RetiredAt`], [`PastPlacements`], [`AvailableUntil`], and disabled `pallet-nfts`
	/// transfers of offered NFTs. Storage changes
	/// come with a migration from the version before ([`crate::migrations`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a registered service.
		ServiceDeposit,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ pallet_nfts::Config<ItemId = ServiceId>
	{
		/// The currency deposits are held in.
		type NativeBalance: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// The registered nodes.
		type Nodes: NodeDirectory<Self::AccountId, BlockNumberFor<Self>>;
		/// The access each account's reputation grants.
		type Access: AccessControl<Self::AccountId>;
		/// This pallet's id: its account owns the services' NFT collection.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// Held from the registering account for each service.
		#[pallet::constant]
		type ServiceDeposit: Get<BalanceOf<Self>>;
		/// Held on top for each service past the account's allowance.
		#[pallet::constant]
		type ExtraServiceDeposit: Get<BalanceOf<Self>>;
		/// Longest service name.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;
		/// Longest repository URL.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;
		/// Longest commit or tag.
		#[pallet::constant]
		type MaxRefLen: Get<u32>;
		/// Longest endpoint, message or field name.
		#[pallet::constant]
		type MaxIdentLen: Get<u32>;
		/// Most endpoints per version.
		#[pallet::constant]
		type MaxEndpoints: Get<u32>;
		/// Most fields per message.
		#[pallet::constant]
		type MaxFields: Get<u32>;
		/// Most versions a service may ever publish.
		#[pallet::constant]
		type MaxVersions: Get<u32>;
		/// Most versions of one service one node may run.
		#[pallet::constant]
		type MaxVersionsPerPlacement: Get<u32>;
		/// Most services one node may run.
		#[pallet::constant]
		type MaxServicesPerNode: Get<u32>;
		/// Most nodes one service may be placed on.
		#[pallet::constant]
		type MaxNodesPerService: Get<u32>;
		/// Blocks a price rise waits before it applies: longer than any allowance a consumer
		/// signs lives, so none signed before the rise is charged the new price.
		#[pallet::constant]
		type PriceRiseNotice: Get<BlockNumberFor<Self>>;
		/// Blocks a node still counts as running a version after its owner retired it or the
		/// node's placement ended (withdrawn or evicted), so calls it served before are settled
		/// ([`micro_primitives::ServiceDirectory::ran_recently`]). Longer than the settlement's
		/// least interval between reports and a worker's report cadence.
		#[pallet::constant]
		type RetireGrace: Get<BlockNumberFor<Self>>;
		/// Blocks a node whose placement the service's owner evicted may not place the service
		/// again, so an evicted squatter cannot take its slot back at once.
		#[pallet::constant]
		type EvictionBan: Get<BlockNumberFor<Self>>;
		/// The charity account: 2.5% of every sale of a service.
		type CharityAccount: Get<Self::AccountId>;
		/// The network-operations account: 2.5% of every sale of a service.
		type OperationsAccount: Get<Self::AccountId>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The `pallet-nfts` collection the services' NFTs are in, created at genesis.
	#[pallet::storage]
	pub type ServiceCollection<T: Config> = StorageValue<_, T::CollectionId>;

	/// The id the next registered service gets.
	#[pallet::storage]
	pub type NextServiceId<T: Config> = StorageValue<_, ServiceId, ValueQuery>;

	/// The registered services.
	#[pallet::storage]
	pub type Services<T: Config> = CountedStorageMap<_, Twox64Concat, ServiceId, ServiceInfo<T>>;

	/// Which service each name belongs to.
	#[pallet::storage]
	pub type ServiceByName<T: Config> =
		StorageMap<_, Blake2_128Concat, ServiceNameOf<T>, ServiceId>;

	/// Every published version of every service.
	#[pallet::storage]
	pub type Versions<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ServiceId, Twox64Concat, VersionNumber, VersionInfo<T>>;

	/// Which versions of a service a node runs.
	#[pallet::storage]
	pub type Placements<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ServiceId, Twox64Concat, NodeId, Placement<T>>;

	/// The services each node runs.
	#[pallet::storage]
	pub type NodeServices<T: Config> = StorageMap<
		_,
		Twox64Concat,
		NodeId,
		BoundedVec<ServiceId, T::MaxServicesPerNode>,
		ValueQuery,
	>;

	/// The versions of each service its owner retired, so a heartbeat checks the versions a node
	/// runs in one small read per service.
	#[pallet::storage]
	pub type RetiredVersions<T: Config> = StorageMap<
		_,
		Twox64Concat,
		ServiceId,
		BoundedVec<VersionNumber, T::MaxVersions>,
		ValueQuery,
	>;

	/// The block each retired version was retired in, read by
	/// [`micro_primitives::ServiceDirectory::ran_recently`] to give the nodes that ran it
	/// [`Config::RetireGrace`] blocks to report.
	#[pallet::storage]
	pub type RetiredAt<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ServiceId,
		Twox64Concat,
		VersionNumber,
		BlockNumberFor<T>,
	>;

	/// The last placement of a service on a node that ended (withdrawn or evicted): at most one
	/// per service and node, replacing the [`Placements`] entry it came from. It keeps the
	/// versions the node ran counting for [`Config::RetireGrace`] blocks, and an owner's
	/// eviction barring the node for [`Config::EvictionBan`] blocks. A later announcement
	/// removes it once neither matters; unregistering the service removes it.
	#[pallet::storage]
	pub type PastPlacements<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ServiceId, Twox64Concat, NodeId, PastPlacement<T>>;

	/// The last block each service counts as available in: the latest `online_until` of the
	/// heartbeats (and announcements) of nodes that ran a live version of it.
	#[pallet::storage]
	pub type AvailableUntil<T: Config> = StorageMap<_, Twox64Concat, ServiceId, BlockNumberFor<T>>;

	/// The standing offers to sell services. The NFT of each cannot move through `pallet-nfts`
	/// while it stands.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Twox64Concat, ServiceId, Offer<T>>;

	/// How many existing services each account registered.
	#[pallet::storage]
	pub type RegisteredBy<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Pallet::<T>::service_collection()
				.expect("the services collection is created at genesis");
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A service was registered and its NFT minted to `owner`.
		ServiceRegistered {
			service: ServiceId,
			name: ServiceNameOf<T>,
			owner: T::AccountId,
			code_hash: H256,
		},
		/// A version was published.
		VersionPublished { service: ServiceId, version: VersionNumber, code_hash: H256 },
		/// A version was retired by the owner.
		VersionRetired { service: ServiceId, version: VersionNumber },
		/// The price per call changed, with effect now.
		PriceSet { service: ServiceId, price_per_call: ApiTokens },
		/// The owner raised the price per call, with effect from block `from`.
		PriceRiseAnnounced {
			service: ServiceId,
			price_per_call: ApiTokens,
			from: BlockNumberFor<T>,
		},
		/// The service's NFT moved to a new owner through this pallet.
		ServiceTransferred { service: ServiceId, from: T::AccountId, to: T::AccountId },
		/// The service was unregistered and its NFT burned.
		ServiceUnregistered { service: ServiceId, name: ServiceNameOf<T> },
		/// A node announced the versions of a service it runs.
		PlacementAnnounced { service: ServiceId, node: NodeId, versions: PlacedVersionsOf<T> },
		/// A node stopped running a service.
		PlacementWithdrawn { service: ServiceId, node: NodeId },
		/// `by` evicted the node's placement of the service: the service's owner (the node may
		/// not place it again before block `banned_until`), or anyone, the node being offline.
		PlacementEvicted {
			service: ServiceId,
			node: NodeId,
			by: T::AccountId,
			banned_until: Option<BlockNumberFor<T>>,
		},
		/// The owner offered the service for `price` MICRO units, to `buyer` only if set.
		ServiceOffered {
			service: ServiceId,
			seller: T::AccountId,
			price: BalanceOf<T>,
			buyer: Option<T::AccountId>,
		},
		/// The offer to sell the service ended without a sale.
		OfferWithdrawn { service: ServiceId },
		/// The service was sold: the buyer paid `price`, of which `charity` and `operations`
		/// went to those accounts and the rest to the seller.
		ServiceSold {
			service: ServiceId,
			seller: T::AccountId,
			buyer: T::AccountId,
			price: BalanceOf<T>,
			charity: BalanceOf<T>,
			operations: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Another service has this name.
		NameTaken,
		/// Names are lowercase ASCII letters, digits and `-`, starting with a letter.
		InvalidName,
		/// The repository must be an `https://`, `http://`, `git://`, `ssh://`, `file://` or `git@`
		/// URL, and the commit or tag non-empty printable ASCII.
		InvalidSource,
		/// The code hash must not be zero.
		InvalidCodeHash,
		/// A version must have at least one endpoint.
		NoEndpoints,
		/// An endpoint, message or field name is empty or not `[A-Za-z0-9_.]`, or a field number
		/// is zero.
		InvalidEndpoint,
		/// Two endpoints share a name, or two fields of a message share a name or number.
		DuplicateEndpoint,
		/// No service has this id.
		UnknownService,
		/// Only the holder of the service's NFT may do this.
		NotOwner,
		/// The service has published as many versions as allowed.
		TooManyVersions,
		/// The new version has the same code as the latest.
		SameCode,
		/// The service has no such version.
		UnknownVersion,
		/// The version is retired.
		VersionRetired,
		/// No node is registered under this id.
		UnknownNode,
		/// Only the node's operator may do this.
		NotNodeOperator,
		/// The node is offline: its last heartbeat is older than the TTL.
		NodeOffline,
		/// A placement must name at least one version, each once.
		InvalidVersions,
		/// The node runs as many services as allowed.
		TooManyServicesOnNode,
		/// The service runs on as many nodes as allowed.
		TooManyNodesForService,
		/// The node does not run this service.
		NotPlaced,
		/// The new owner is the current owner.
		AlreadyOwner,
		/// Service ids are exhausted.
		ServiceIdOverflow,
		/// The services' NFT collection could not be created.
		NoCollection,
		/// The service is not offered for sale, or its offer lapsed when the NFT moved.
		NotForSale,
		/// The offer is for another buyer.
		NotOfferedToYou,
		/// The price is above the most the buyer would pay.
		PriceAboveLimit,
		/// A service must be offered for more than nothing; to give it away, transfer it.
		ZeroPrice,
		/// Only the seller or the service's owner may withdraw an offer.
		NotSeller,
		/// Only the service's owner may evict the placement of a node that is online.
		NodeOnline,
		/// The service's owner evicted this node: it may not place the service again until its
		/// ban ([`Config::EvictionBan`]) is over.
		NodeEvicted,
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Register a service and mint its NFT to the caller, with its first version.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::register_service().saturating_add(
			micro_primitives::account_score_weight(T::DbWeight::get().reads(1))
		))]
		pub fn register_service(
			origin: OriginFor<T>,
			name: ServiceNameOf<T>,
			source: Source<T>,
			code_hash: H256,
			endpoints: EndpointsOf<T>,
			price_per_call: ApiTokens,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, name, source, code_hash, endpoints, price_per_call)?;
			Ok(())
		}

		/// Publish a new version of a service the caller owns.
		#[pallet::call_index(1)]
		pub fn publish_version(
			origin: OriginFor<T>,
			service: ServiceId,
			source: Source<T>,
			code_hash: H256,
			endpoints: EndpointsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_publish(&who, service, source, code_hash, endpoints)?;
			Ok(())
		}

		/// Retire a version of a service the caller owns: it stops being callable.
		#[pallet::call_index(2)]
		pub fn retire_version(
			origin: OriginFor<T>,
			service: ServiceId,
			version: VersionNumber,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire(&who, service, version)
		}

		/// Set the price per call, in API tokens, of a service the caller owns. A cut (or the
		/// same price) applies at once and drops any pending rise; a rise applies
		/// [`Config::PriceRiseNotice`] blocks from now, replacing any pending rise.
		#[pallet::call_index(3)]
		pub fn set_price(
			origin: OriginFor<T>,
			service: ServiceId,
			price_per_call: ApiTokens,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_price(&who, service, price_per_call)
		}

		/// Move a service the caller owns to `to` by transferring its NFT.
		#[pallet::call_index(4)]
		pub fn transfer_service(
			origin: OriginFor<T>,
			service: ServiceId,
			to: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_transfer(who, service, to)
		}

		/// Remove a service the caller owns, with its versions and placements, and burn its
		/// NFT. The registering account gets its deposit back.
		#[pallet::call_index(5)]
		pub fn unregister_service(origin: OriginFor<T>, service: ServiceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unregister(&who, service)
		}

		/// Announce that `node`, which the caller operates, runs `versions` of `service`.
		/// Replaces the node's earlier announcement for that service.
		#[pallet::call_index(6)]
		pub fn announce_placement(
			origin: OriginFor<T>,
			node: NodeId,
			service: ServiceId,
			versions: PlacedVersionsOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_announce(&who, node, service, versions)
		}

		/// Announce that `node`, which the caller operates, no longer runs `service`.
		#[pallet::call_index(7)]
		pub fn withdraw_placement(
			origin: OriginFor<T>,
			node: NodeId,
			service: ServiceId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(&who, node, service)
		}

		/// Offer a service the caller owns for `price` MICRO units, to `buyer` only if given,
		/// replacing an earlier offer. The sale is split like all profit.
		#[pallet::call_index(8)]
		pub fn offer_service(
			origin: OriginFor<T>,
			service: ServiceId,
			price: BalanceOf<T>,
			buyer: Option<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_offer(who, service, price, buyer)
		}

		/// Withdraw the offer to sell a service. Its seller or its current owner may.
		#[pallet::call_index(9)]
		pub fn withdraw_offer(origin: OriginFor<T>, service: ServiceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_offer(&who, service)
		}

		/// Buy an offered service for its price, paying at most `max_price` MICRO units: 2.5% to
		/// charity, 2.5% to operations and the rest to the seller; the NFT moves to the caller.
		#[pallet::call_index(10)]
		pub fn buy_service(
			origin: OriginFor<T>,
			service: ServiceId,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_buy(who, service, max_price)
		}

		/// Evict `node`'s placement of `service`: the service's owner may evict any (the node
		/// may not place it again for [`Config::EvictionBan`] blocks); anyone may evict that of
		/// a node that is offline. Calls the node served keep settling for
		/// [`Config::RetireGrace`] blocks.
		#[pallet::call_index(11)]
		pub fn evict_placement(
			origin: OriginFor<T>,
			service: ServiceId,
			node: NodeId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_evict(who, service, node)
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A registered service with its current owner. Its `price_per_call` is the price in
		/// force now; `price_rise` is a rise still to come.
		pub fn service(service: ServiceId) -> Option<(ServiceInfo<T>, Option<T::AccountId>)> {
			let now = frame_system::Pallet::<T>::block_number();
			Services::<T>::get(service).map(|mut info| {
				info.apply_due_rise(now);
				(info, Self::owner_of(service))
			})
		}

		/// The price per call of a service in force now, and a pending rise: the new price and
		/// the block it applies from.
		pub fn price(
			service: ServiceId,
		) -> Option<(ApiTokens, Option<(ApiTokens, BlockNumberFor<T>)>)> {
			let now = frame_system::Pallet::<T>::block_number();
			Services::<T>::get(service).map(|mut info| {
				info.apply_due_rise(now);
				(info.price_per_call, info.price_rise)
			})
		}

		/// Whether a service is available now, and the last block it counts as available in.
		pub fn availability(service: ServiceId) -> (bool, Option<BlockNumberFor<T>>) {
			(
				<Self as micro_primitives::ServiceDirectory<_, _>>::is_available(service),
				AvailableUntil::<T>::get(service),
			)
		}

		/// The service registered under `name`.
		pub fn service_by_name(name: Vec<u8>) -> Option<ServiceId> {
			let name: ServiceNameOf<T> = name.try_into().ok()?;
			ServiceByName::<T>::get(name)
		}

		/// Every registered service: id, name and owner.
		pub fn services() -> Vec<(ServiceId, ServiceNameOf<T>, Option<T::AccountId>)> {
			Services::<T>::iter().map(|(id, info)| (id, info.name, Self::owner_of(id))).collect()
		}

		/// Every version of a service with its status now.
		pub fn versions(service: ServiceId) -> Vec<(VersionNumber, VersionInfo<T>, VersionStatus)> {
			Versions::<T>::iter_prefix(service)
				.map(|(number, info)| {
					let status = Self::version_status(service, number, &info);
					(number, info, status)
				})
				.collect()
		}

		/// The nodes a service is placed on, the versions each runs, and whether it is online.
		pub fn placements(service: ServiceId) -> Vec<(NodeId, PlacedVersionsOf<T>, bool)> {
			Placements::<T>::iter_prefix(service)
				.map(|(node, placement)| (node, placement.versions, T::Nodes::is_online(node)))
				.collect()
		}

		/// The services a node runs.
		pub fn services_on(node: NodeId) -> Vec<ServiceId> {
			NodeServices::<T>::get(node).into_inner()
		}

		/// The standing offer to sell a service, if its seller still owns it.
		pub fn offer(service: ServiceId) -> Option<Offer<T>> {
			Self::live_offer(service)
		}

		/// The `pallet-nfts` collection of the services' NFTs.
		pub fn collection() -> Option<T::CollectionId> {
			ServiceCollection::<T>::get()
		}
	}
}
