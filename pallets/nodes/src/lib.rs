//! # Nodes pallet: layer 0 of the Micro Network
//!
//! Anyone can run a node. Its operator registers it here by the ed25519 key it signs its MUCP
//! traffic, heartbeats and usage reports with, its libp2p peer id, the multiaddrs it listens on
//! and the capacity it offers.
//!
//! ## Proof of key
//! Nobody can register a key they do not hold: with [`Pallet::register_node`] and
//! [`Pallet::rotate_key`] comes a signature by the key over
//! `(NODE_KEY_PROOF_CONTEXT, genesis_hash, operator, proof_nonce)` (SCALE encoded, see
//! [`micro_primitives::NODE_KEY_PROOF_CONTEXT`]). The operator's proof nonce
//! ([`ProofNonce`]) moves on with every proof used, so a proof works once, for one operator,
//! on one chain.
//!
//! ## Heartbeats and uptime
//! A node sends [`Pallet::heartbeat`] signed by its key over
//! `(HEARTBEAT_CONTEXT, genesis_hash, node, at)`, where `at` is a recent block. The node needs no
//! funded account: the call is authorized by that signature alone (a general transaction checked
//! by `frame_system::AuthorizeCall`), though any signed account may relay it too. A heartbeat is
//! accepted at most once every `TTL / 8` blocks per node, only while `at` is within the TTL,
//! and only if `at` is later than the node's last heartbeat, so none can be replayed.
//!
//! A node whose last heartbeat is more than [`HeartbeatTtl`] blocks old is offline: it drops out of
//! the nodes services can be placed on. Each gap between heartbeats counts as online time up to
//! the TTL and as offline time beyond it; the [`types::Uptime`] record keeps both, and a node that
//! comes back after being offline while services were placed on it gets a reputation penalty.
//!
//! Each accepted heartbeat tells the services pallet ([`Config::Placements`],
//! [`micro_primitives::NodePlacements::on_heartbeat`]) the last block the node counts as online
//! in, so every service the node runs a live version of stays available until then. That keeps
//! a service's availability one read for whoever asks (an account's score reads it for every
//! service it owns), instead of a walk over every node the service is placed on and every
//! version each runs (finding H4).
//!
//! ## A heartbeat is charged for the services its node runs
//! The per-service loop is bounded by the services pallet's `MaxServicesPerNode`
//! ([`micro_primitives::NodePlacements::max_services_per_node`]): a heartbeat declares the weight
//! of that many services (`WeightInfo::heartbeat(s)`, benchmarked over `s`) and, after it ran,
//! is charged only for the services the node really runs (what `on_heartbeat` returns). A fixed
//! worst-case weight made every heartbeat, free and authorized, about 17 times heavier than a
//! node running nothing needs, so idle nodes' heartbeats took block space they never used. The
//! `integrity_test` checks that the declared worst case fits in a block, so raising
//! `MaxServicesPerNode` past what a block holds fails the runtime's tests.
//!
//! ## Peer ids follow from the key
//! A node's libp2p peer id is derived from its key ([`peer_id::peer_id_of`]), as the worker's
//! libp2p stack derives it. Registration refuses any other peer id
//! ([`Error::PeerIdNotOfKey`]), and [`Pallet::rotate_key`] moves the node to the new key's peer
//! id. This stops a squatter from registering (front-running) a victim's peer id: it would block
//! the victim's registration and make the workers map the victim's peer to the squatter.
//!
//! ## A key keeps its node id
//! Reputation (penalties included) is recorded against node ids. A key belongs to one node id for
//! good ([`KeyNodeIds`], kept after deregistration): registering a key that was registered before
//! gives back its old id, so a penalised node cannot deregister and come back clean with the same
//! key. Its age starts again from the new registration. A key a node rotated away from cannot
//! register another node or be rotated into one ([`Error::KeyRetired`]). A new key is a new
//! node: it starts with no age and no record, good or bad.
//!
//! ## Deposits
//! Registering holds [`Config::NodeDeposit`] from the operator; it is released when the node is
//! deregistered. A node can only be deregistered once no service is placed on it.
//!
//! ## Heartbeats compete like other transactions
//! A heartbeat costs no fee, so it enters the pool at the lowest priority
//! ([`HEARTBEAT_PRIORITY`]): it cannot push fee-paying transactions out of full blocks. With a
//! TTL-long validity and eight chances per TTL, it still gets in whenever blocks have room.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod peer_id;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

/// The pool priority of heartbeats: the lowest, as they pay no fee.
pub const HEARTBEAT_PRIORITY: sp_runtime::transaction_validity::TransactionPriority = 0;

/// The longest peer id [`peer_id::peer_id_of`] derives: [`Config::MaxPeerIdLen`] must allow it.
pub const DERIVED_PEER_ID_LEN: u32 = 52;

/// The balance type of the currency deposits are held in.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Mutate, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use micro_primitives::{NodeId, NodeKey, NodePlacements, NodeSignature, ReputationLedger};
	use sp_runtime::{
		traits::{Saturating, Zero},
		transaction_validity::TransactionValidityWithRefund,
	};

	/// The storage version: 1 added [`KeyNodeIds`] and derived every peer id from its key.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a registered node.
		NodeDeposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Held from the operator for each registered node.
		#[pallet::constant]
		type NodeDeposit: Get<BalanceOf<Self>>;
		/// Most nodes one operator may register.
		#[pallet::constant]
		type MaxNodesPerOperator: Get<u32>;
		/// Most multiaddrs one node may list.
		#[pallet::constant]
		type MaxAddresses: Get<u32>;
		/// Longest multiaddr, in bytes.
		#[pallet::constant]
		type MaxAddressLen: Get<u32>;
		/// Longest peer id, in bytes: at least [`DERIVED_PEER_ID_LEN`].
		#[pallet::constant]
		type MaxPeerIdLen: Get<u32>;
		/// Who may change the heartbeat TTL (governance).
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The shortest heartbeat TTL governance may set: shorter would put honest nodes
		/// offline between heartbeats, taking their allowances and reputation.
		#[pallet::constant]
		type MinHeartbeatTtl: Get<BlockNumberFor<Self>>;
		/// The longest heartbeat TTL governance may set: longer would count silent nodes online
		/// (and at full uptime) for as long, voiding the uptime rules.
		#[pallet::constant]
		type MaxHeartbeatTtl: Get<BlockNumberFor<Self>>;
		/// The services placed on nodes: told of each heartbeat, so the services a node runs
		/// stay available as long as it does.
		type Placements: NodePlacements<BlockNumberFor<Self>>;
		/// Where penalties for being offline while serving go.
		type Reputation: ReputationLedger;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The registered nodes.
	#[pallet::storage]
	pub type Nodes<T: Config> = CountedStorageMap<_, Twox64Concat, NodeId, NodeInfo<T>>;

	/// Which node each registered key belongs to.
	#[pallet::storage]
	pub type NodeByKey<T: Config> = StorageMap<_, Blake2_128Concat, NodeKey, NodeId>;

	/// The node id each key was ever registered under or rotated into, kept after the node is
	/// deregistered: a key that comes back gets its old id, and with it its reputation. One
	/// entry per key ever proven (each proof costs a transaction and a held deposit).
	#[pallet::storage]
	pub type KeyNodeIds<T: Config> = StorageMap<_, Blake2_128Concat, NodeKey, NodeId>;

	/// Which node each registered peer id belongs to.
	#[pallet::storage]
	pub type NodeByPeerId<T: Config> = StorageMap<_, Blake2_128Concat, PeerIdOf<T>, NodeId>;

	/// The nodes each operator runs.
	#[pallet::storage]
	pub type OperatorNodes<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<NodeId, T::MaxNodesPerOperator>,
		ValueQuery,
	>;

	/// The id the next registered node gets.
	#[pallet::storage]
	pub type NextNodeId<T: Config> = StorageValue<_, NodeId, ValueQuery>;

	/// The nonce the next proof of key by each operator must sign.
	#[pallet::storage]
	pub type ProofNonce<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Blocks after its last heartbeat that a node still counts as online.
	#[pallet::storage]
	pub type HeartbeatTtl<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultHeartbeatTtl<T>>;

	/// One hour of six-second blocks.
	#[pallet::type_value]
	pub fn DefaultHeartbeatTtl<T: Config>() -> BlockNumberFor<T> {
		600u32.into()
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The heartbeat TTL, in blocks; the default if zero.
		pub heartbeat_ttl: BlockNumberFor<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if !self.heartbeat_ttl.is_zero() {
				HeartbeatTtl::<T>::put(self.heartbeat_ttl);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A node was registered.
		NodeRegistered { node: NodeId, operator: T::AccountId, key: NodeKey },
		/// A node's addresses or capacity changed.
		NodeUpdated { node: NodeId },
		/// A node now signs with a new key.
		NodeKeyRotated { node: NodeId, old_key: NodeKey, new_key: NodeKey },
		/// A node sent a heartbeat.
		Heartbeat { node: NodeId, at: BlockNumberFor<T> },
		/// A node came back after being offline for `offline_blocks`.
		NodeBackOnline { node: NodeId, offline_blocks: BlockNumberFor<T> },
		/// A node left the network and its deposit went back to its operator.
		NodeDeregistered { node: NodeId, operator: T::AccountId, deposit: BalanceOf<T> },
		/// The heartbeat TTL changed.
		HeartbeatTtlSet { ttl: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No node is registered under this id.
		UnknownNode,
		/// Only the node's operator may do this.
		NotOperator,
		/// Another node is registered with this key.
		KeyInUse,
		/// Another node is registered with this peer id.
		PeerIdInUse,
		/// The proof is not a valid signature by the key over this operator and proof nonce.
		InvalidProof,
		/// The operator runs as many nodes as allowed.
		TooManyNodes,
		/// A node must list at least one address.
		NoAddresses,
		/// An address is not a multiaddr in text form (`/ip4/.../tcp/...`).
		InvalidAddress,
		/// The peer id is not a base58 libp2p peer id.
		InvalidPeerId,
		/// A node must offer some capacity.
		NoCapacity,
		/// Nothing to update was given.
		NothingToUpdate,
		/// The new key is the key the node already has.
		SameKey,
		/// The heartbeat's signature is not by the node's key.
		InvalidHeartbeatSignature,
		/// The heartbeat names a block that has not happened yet.
		HeartbeatFromFuture,
		/// The heartbeat names a block older than the TTL.
		StaleHeartbeat,
		/// The heartbeat names a block no later than the node's last heartbeat: a replay.
		HeartbeatReplayed,
		/// The node's last heartbeat is too recent: at most one every `TTL / 8` blocks.
		HeartbeatTooSoon,
		/// Services are still placed on the node; withdraw them first.
		NodeStillServing,
		/// The heartbeat TTL must be at least one block.
		ZeroTtl,
		/// The heartbeat TTL must be within `MinHeartbeatTtl` and `MaxHeartbeatTtl`.
		TtlOutOfBounds,
		/// Node ids are exhausted.
		NodeIdOverflow,
		/// The peer id is not the libp2p peer id of the node key.
		PeerIdNotOfKey,
		/// The key was rotated away from a node that is still registered: it belongs to that
		/// node's id for good and cannot serve another node.
		KeyRetired,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::MaxPeerIdLen::get() >= DERIVED_PEER_ID_LEN,
				"MaxPeerIdLen must hold a derived ed25519 peer id"
			);
			// The heartbeat's declared weight is that of a node running the most services a
			// node may (the services pallet's `MaxServicesPerNode`): it must fit in a block.
			let heartbeat = T::WeightInfo::heartbeat(T::Placements::max_services_per_node());
			let max = <T as frame_system::Config>::BlockWeights::get()
				.get(frame_support::dispatch::DispatchClass::Normal)
				.max_extrinsic;
			assert!(
				max.is_none_or(|max| heartbeat.all_lte(max)),
				"a heartbeat of a node running MaxServicesPerNode services must fit in a block"
			);
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Register a node run by the caller, proving control of `key` with `proof`. `peer_id`
		/// must be the libp2p peer id of `key`. A key registered before gets its old node id.
		///
		/// Holds [`Config::NodeDeposit`] from the caller.
		#[pallet::call_index(0)]
		pub fn register_node(
			origin: OriginFor<T>,
			key: NodeKey,
			proof: NodeSignature,
			peer_id: PeerIdOf<T>,
			addresses: AddressesOf<T>,
			capacity: Capacity,
		) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			Self::do_register(operator, key, proof, peer_id, addresses, capacity)?;
			Ok(())
		}

		/// Change where a node can be reached, what it offers, or both.
		#[pallet::call_index(1)]
		pub fn update_node(
			origin: OriginFor<T>,
			node: NodeId,
			addresses: Option<AddressesOf<T>>,
			capacity: Option<Capacity>,
		) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			ensure!(addresses.is_some() || capacity.is_some(), Error::<T>::NothingToUpdate);
			Nodes::<T>::try_mutate(node, |maybe| {
				let info = maybe.as_mut().ok_or(Error::<T>::UnknownNode)?;
				ensure!(info.operator == operator, Error::<T>::NotOperator);
				if let Some(addresses) = addresses {
					Self::check_addresses(&addresses)?;
					info.addresses = addresses;
				}
				if let Some(capacity) = capacity {
					ensure!(!capacity.is_empty(), Error::<T>::NoCapacity);
					info.capacity = capacity;
				}
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::NodeUpdated { node });
			Ok(())
		}

		/// Move a node to a new key, proving control of it like at registration. The node's peer
		/// id becomes the new key's.
		#[pallet::call_index(2)]
		pub fn rotate_key(
			origin: OriginFor<T>,
			node: NodeId,
			new_key: NodeKey,
			proof: NodeSignature,
		) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			Self::do_rotate_key(operator, node, new_key, proof)
		}

		/// Record that `node` is alive, signed by its key over `at`, a recent block.
		///
		/// Authorized by the signature alone (no account needed), or relayed by any signed
		/// account. Declared at the weight of a node running as many services as a node may;
		/// charged for the services `node` really runs.
		#[pallet::call_index(3)]
		#[pallet::authorize(Pallet::<T>::authorize_heartbeat)]
		#[pallet::weight(T::WeightInfo::heartbeat(T::Placements::max_services_per_node()))]
		pub fn heartbeat(
			origin: OriginFor<T>,
			node: NodeId,
			at: BlockNumberFor<T>,
			signature: NodeSignature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin.clone()).or_else(|_| ensure_signed(origin).map(drop))?;
			let services = Self::do_heartbeat(node, at, &signature)?;
			Ok(Some(T::WeightInfo::heartbeat(services)).into())
		}

		/// Take a node off the network and return its deposit. No service may be placed on it.
		#[pallet::call_index(4)]
		pub fn deregister_node(origin: OriginFor<T>, node: NodeId) -> DispatchResult {
			let operator = ensure_signed(origin)?;
			let info = Nodes::<T>::get(node).ok_or(Error::<T>::UnknownNode)?;
			ensure!(info.operator == operator, Error::<T>::NotOperator);
			ensure!(!T::Placements::is_serving(node), Error::<T>::NodeStillServing);
			let deposit = T::Currency::release(
				&HoldReason::NodeDeposit.into(),
				&operator,
				info.deposit,
				Precision::BestEffort,
			)?;
			Nodes::<T>::remove(node);
			// `KeyNodeIds` keeps the key's id: a comeback with the key gets it again.
			NodeByKey::<T>::remove(info.key);
			NodeByPeerId::<T>::remove(&info.peer_id);
			OperatorNodes::<T>::mutate_exists(&operator, |maybe| {
				if let Some(nodes) = maybe {
					nodes.retain(|n| *n != node);
					if nodes.is_empty() {
						*maybe = None;
					}
				}
			});
			Self::deposit_event(Event::NodeDeregistered { node, operator, deposit });
			Ok(())
		}

		/// Set the heartbeat TTL. Only [`Config::ParamsOrigin`] (governance) may.
		#[pallet::call_index(5)]
		pub fn set_heartbeat_ttl(origin: OriginFor<T>, ttl: BlockNumberFor<T>) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			ensure!(!ttl.is_zero(), Error::<T>::ZeroTtl);
			ensure!(
				ttl >= T::MinHeartbeatTtl::get() && ttl <= T::MaxHeartbeatTtl::get(),
				Error::<T>::TtlOutOfBounds
			);
			HeartbeatTtl::<T>::put(ttl);
			Self::deposit_event(Event::HeartbeatTtlSet { ttl });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks a heartbeat before it enters the pool or a block: the same checks as dispatch.
		fn authorize_heartbeat(
			_source: TransactionSource,
			node: &NodeId,
			at: &BlockNumberFor<T>,
			signature: &NodeSignature,
		) -> TransactionValidityWithRefund {
			let info = Self::check_heartbeat(*node, *at, signature).map_err(|error| {
				let code = match error {
					Error::<T>::InvalidHeartbeatSignature => InvalidTransaction::BadProof,
					Error::<T>::StaleHeartbeat | Error::<T>::HeartbeatReplayed => {
						InvalidTransaction::Stale
					}
					Error::<T>::HeartbeatFromFuture | Error::<T>::HeartbeatTooSoon => {
						InvalidTransaction::Future
					}
					_ => InvalidTransaction::Call,
				};
				TransactionValidityError::Invalid(code)
			})?;
			let ttl = HeartbeatTtl::<T>::get();
			let age = frame_system::Pallet::<T>::block_number().saturating_sub(*at);
			let longevity: u64 = ttl.saturating_sub(age).try_into().unwrap_or(u64::MAX).max(1);
			let validity = ValidTransaction::with_tag_prefix("MicroNodeHeartbeat")
				.priority(HEARTBEAT_PRIORITY)
				.and_provides((node, info.last_heartbeat))
				.longevity(longevity)
				.propagate(true)
				.into();
			Ok((validity, Weight::zero()))
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// A registered node.
		pub fn node(node: NodeId) -> Option<NodeInfo<T>> {
			Nodes::<T>::get(node)
		}

		/// The node registered with `key`, if any.
		pub fn node_by_key(key: NodeKey) -> Option<NodeId> {
			NodeByKey::<T>::get(key)
		}

		/// The nodes `operator` runs.
		pub fn nodes_of(operator: T::AccountId) -> Vec<NodeId> {
			OperatorNodes::<T>::get(operator).into_inner()
		}

		/// Every registered node with whether it is online now.
		pub fn nodes() -> Vec<(NodeId, bool)> {
			Nodes::<T>::iter_keys().map(|node| (node, Self::node_is_online(node))).collect()
		}

		/// The nodes online now: those services can be placed on.
		pub fn online_nodes() -> Vec<NodeId> {
			Nodes::<T>::iter_keys().filter(|node| Self::node_is_online(*node)).collect()
		}

		/// The nonce `operator`'s next proof of key must sign.
		pub fn proof_nonce(operator: T::AccountId) -> u32 {
			ProofNonce::<T>::get(operator)
		}

		/// Blocks after its last heartbeat that a node still counts as online.
		pub fn heartbeat_ttl() -> BlockNumberFor<T> {
			HeartbeatTtl::<T>::get()
		}
	}
}
