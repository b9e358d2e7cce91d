//! The node registry's logic: proofs of key, heartbeats and uptime, and the [`NodeDirectory`] the
//! other pallets read.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::fungible::MutateHold};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::{
	NodeDirectory, NodeId, NodeKey, NodePlacements, NodeSignature, NodeStanding, PartsPerMillion,
	ReputationEvent, ReputationLedger, Subject, HEARTBEAT_CONTEXT, NODE_KEY_PROOF_CONTEXT,
};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

use crate::{
	peer_id::{peer_id_of, BASE58_ALPHABET},
	AddressesOf, Capacity, Config, Error, Event, HeartbeatTtl, HoldReason, KeyNodeIds, NextNodeId,
	NodeByKey, NodeByPeerId, NodeInfo, Nodes, OperatorNodes, Pallet, PeerIdOf, ProofNonce, Uptime,
};

impl<T: Config> Pallet<T> {
	/// The hash of this chain's genesis block, which every signed message names.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// The message a node key signs to prove that `operator` holds it.
	pub fn key_proof_message(operator: &T::AccountId, nonce: u32) -> Vec<u8> {
		(NODE_KEY_PROOF_CONTEXT, Self::genesis_hash(), operator, nonce).encode()
	}

	/// The message a node key signs as its heartbeat at block `at`.
	pub fn heartbeat_message(node: NodeId, at: BlockNumberFor<T>) -> Vec<u8> {
		(HEARTBEAT_CONTEXT, Self::genesis_hash(), node, at).encode()
	}

	/// Checks `proof` against `operator`'s current proof nonce and uses the nonce up.
	fn use_key_proof(
		operator: &T::AccountId,
		key: &NodeKey,
		proof: &NodeSignature,
	) -> DispatchResult {
		let nonce = ProofNonce::<T>::get(operator);
		let message = Self::key_proof_message(operator, nonce);
		ensure!(sp_io::crypto::ed25519_verify(proof, &message, key), Error::<T>::InvalidProof);
		ProofNonce::<T>::insert(operator, nonce.wrapping_add(1));
		Ok(())
	}

	/// Every address must be a text multiaddr: printable ASCII starting with `/`.
	pub(crate) fn check_addresses(addresses: &AddressesOf<T>) -> DispatchResult {
		ensure!(!addresses.is_empty(), Error::<T>::NoAddresses);
		for address in addresses {
			let well_formed = address.len() > 1
				&& address[0] == b'/'
				&& address.iter().all(|b| b.is_ascii_graphic())
				&& !address.windows(2).any(|w| w == b"//");
			ensure!(well_formed, Error::<T>::InvalidAddress);
		}
		Ok(())
	}

	/// A peer id must be base58 text, and the libp2p peer id of `key`.
	fn check_peer_id(key: &NodeKey, peer_id: &PeerIdOf<T>) -> DispatchResult {
		let well_formed = peer_id.len() >= 8 && peer_id.iter().all(|b| BASE58_ALPHABET.contains(b));
		ensure!(well_formed, Error::<T>::InvalidPeerId);
		ensure!(peer_id.as_slice() == peer_id_of(key).as_slice(), Error::<T>::PeerIdNotOfKey);
		Ok(())
	}

	/// The libp2p peer id of `key`, within the bound.
	pub fn derived_peer_id(key: &NodeKey) -> Result<PeerIdOf<T>, Error<T>> {
		peer_id_of(key).try_into().map_err(|_| Error::<T>::PeerIdNotOfKey)
	}

	/// The id a registration with `key` gets: the key's old id if it had one (that node being
	/// gone), or a fresh one; with whether it is fresh.
	fn id_for_key(key: &NodeKey) -> Result<(NodeId, bool), Error<T>> {
		match KeyNodeIds::<T>::get(key) {
			Some(node) => {
				ensure!(!Nodes::<T>::contains_key(node), Error::<T>::KeyRetired);
				Ok((node, false))
			}
			None => Ok((NextNodeId::<T>::get(), true)),
		}
	}

	/// Registers a node for `operator` after checking everything it claims.
	pub(crate) fn do_register(
		operator: T::AccountId,
		key: NodeKey,
		proof: NodeSignature,
		peer_id: PeerIdOf<T>,
		addresses: AddressesOf<T>,
		capacity: Capacity,
	) -> Result<NodeId, DispatchError> {
		ensure!(!NodeByKey::<T>::contains_key(key), Error::<T>::KeyInUse);
		Self::check_peer_id(&key, &peer_id)?;
		ensure!(!NodeByPeerId::<T>::contains_key(&peer_id), Error::<T>::PeerIdInUse);
		Self::check_addresses(&addresses)?;
		ensure!(!capacity.is_empty(), Error::<T>::NoCapacity);
		let (node, fresh) = Self::id_for_key(&key)?;
		Self::use_key_proof(&operator, &key, &proof)?;

		if fresh {
			let next = node.checked_add(1).ok_or(Error::<T>::NodeIdOverflow)?;
			NextNodeId::<T>::put(next);
			KeyNodeIds::<T>::insert(key, node);
		}
		OperatorNodes::<T>::try_mutate(&operator, |nodes| nodes.try_push(node))
			.map_err(|_| Error::<T>::TooManyNodes)?;
		let deposit = T::NodeDeposit::get();
		T::Currency::hold(&HoldReason::NodeDeposit.into(), &operator, deposit)?;

		// A returning key's node starts again: new deposit, age and uptime; its reputation,
		// kept under its id, is back.
		let now = frame_system::Pallet::<T>::block_number();
		NodeByKey::<T>::insert(key, node);
		NodeByPeerId::<T>::insert(&peer_id, node);
		Nodes::<T>::insert(
			node,
			NodeInfo {
				operator: operator.clone(),
				key,
				peer_id,
				addresses,
				capacity,
				deposit,
				registered_at: now,
				last_heartbeat: now,
				uptime: Uptime::default(),
			},
		);
		Self::deposit_event(Event::NodeRegistered { node, operator, key });
		Ok(node)
	}

	/// Moves `node` to `new_key` after checking the proof.
	pub(crate) fn do_rotate_key(
		operator: T::AccountId,
		node: NodeId,
		new_key: NodeKey,
		proof: NodeSignature,
	) -> DispatchResult {
		let mut info = Nodes::<T>::get(node).ok_or(Error::<T>::UnknownNode)?;
		ensure!(info.operator == operator, Error::<T>::NotOperator);
		ensure!(info.key != new_key, Error::<T>::SameKey);
		ensure!(!NodeByKey::<T>::contains_key(new_key), Error::<T>::KeyInUse);
		ensure!(
			KeyNodeIds::<T>::get(new_key).is_none_or(|owner| owner == node),
			Error::<T>::KeyRetired
		);
		let new_peer_id = Self::derived_peer_id(&new_key)?;
		ensure!(!NodeByPeerId::<T>::contains_key(&new_peer_id), Error::<T>::PeerIdInUse);
		Self::use_key_proof(&operator, &new_key, &proof)?;
		let old_key = core::mem::replace(&mut info.key, new_key);
		let old_peer_id = core::mem::replace(&mut info.peer_id, new_peer_id.clone());
		NodeByKey::<T>::remove(old_key);
		NodeByKey::<T>::insert(new_key, node);
		// The old key keeps pointing at this node: it can never serve another.
		KeyNodeIds::<T>::insert(new_key, node);
		NodeByPeerId::<T>::remove(&old_peer_id);
		NodeByPeerId::<T>::insert(&new_peer_id, node);
		Nodes::<T>::insert(node, info);
		Self::deposit_event(Event::NodeKeyRotated { node, old_key, new_key });
		Ok(())
	}

	/// Checks a heartbeat: known node, `at` recent and after the last heartbeat, rate limit,
	/// signature by the node's key.
	pub(crate) fn check_heartbeat(
		node: NodeId,
		at: BlockNumberFor<T>,
		signature: &NodeSignature,
	) -> Result<NodeInfo<T>, Error<T>> {
		let info = Nodes::<T>::get(node).ok_or(Error::<T>::UnknownNode)?;
		let now = frame_system::Pallet::<T>::block_number();
		let ttl = HeartbeatTtl::<T>::get();
		ensure!(at <= now, Error::<T>::HeartbeatFromFuture);
		ensure!(now.saturating_sub(at) <= ttl, Error::<T>::StaleHeartbeat);
		ensure!(at > info.last_heartbeat, Error::<T>::HeartbeatReplayed);
		ensure!(
			now >= info.last_heartbeat.saturating_add(Self::min_heartbeat_interval(ttl)),
			Error::<T>::HeartbeatTooSoon
		);
		let message = Self::heartbeat_message(node, at);
		ensure!(
			sp_io::crypto::ed25519_verify(signature, &message, &info.key),
			Error::<T>::InvalidHeartbeatSignature
		);
		Ok(info)
	}

	/// Fewest blocks between two heartbeats of one node: an eighth of the TTL, at least one.
	pub fn min_heartbeat_interval(ttl: BlockNumberFor<T>) -> BlockNumberFor<T> {
		(ttl / 8u32.into()).max(1u32.into())
	}

	/// Accepts a heartbeat and brings the node's uptime record up to now. Returns how many
	/// services the node runs (each visited to refresh its availability stamp).
	pub(crate) fn do_heartbeat(
		node: NodeId,
		at: BlockNumberFor<T>,
		signature: &NodeSignature,
	) -> Result<u32, DispatchError> {
		let mut info = Self::check_heartbeat(node, at, signature)?;
		let now = frame_system::Pallet::<T>::block_number();
		let ttl = HeartbeatTtl::<T>::get();
		let (online, offline) = split_gap(info.last_heartbeat, now, ttl);
		info.uptime.online_blocks.saturating_accrue(online);
		info.uptime.offline_blocks.saturating_accrue(offline);
		info.uptime.heartbeats.saturating_inc();
		info.last_heartbeat = now;
		if !offline.is_zero() {
			info.uptime.outages.saturating_inc();
			if T::Placements::is_serving(node) {
				T::Reputation::record(Subject::Node(node), ReputationEvent::OfflineWhileServing);
			}
			Self::deposit_event(Event::NodeBackOnline { node, offline_blocks: offline });
		}
		Nodes::<T>::insert(node, info);
		let services = T::Placements::on_heartbeat(node, now.saturating_add(ttl));
		Self::deposit_event(Event::Heartbeat { node, at });
		Ok(services)
	}

	/// Whether `node` is registered and heard from within the TTL.
	pub fn node_is_online(node: NodeId) -> bool {
		Nodes::<T>::get(node).is_some_and(|info| Self::info_is_online(&info))
	}

	fn info_is_online(info: &NodeInfo<T>) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		now.saturating_sub(info.last_heartbeat) <= HeartbeatTtl::<T>::get()
	}

	/// Age, uptime and status of `node` as of now, counting the time since its last heartbeat.
	pub fn node_standing(node: NodeId) -> Option<NodeStanding<BlockNumberFor<T>>> {
		let info = Nodes::<T>::get(node)?;
		let now = frame_system::Pallet::<T>::block_number();
		let (pending_online, pending_offline) =
			split_gap(info.last_heartbeat, now, HeartbeatTtl::<T>::get());
		let online = info.uptime.online_blocks.saturating_add(pending_online);
		let offline = info.uptime.offline_blocks.saturating_add(pending_offline);
		Some(NodeStanding {
			registered_at: info.registered_at,
			age: now.saturating_sub(info.registered_at),
			uptime: parts_per_million(online, online.saturating_add(offline)),
			online: pending_offline.is_zero(),
		})
	}
}

/// Splits the blocks from `last` to `now` into online time (up to `ttl`) and offline time.
pub(crate) fn split_gap<N: Saturating + Ord + Copy>(last: N, now: N, ttl: N) -> (N, N) {
	let gap = now.saturating_sub(last);
	let online = gap.min(ttl);
	(online, gap.saturating_sub(online))
}

/// `part / whole` in parts per million; a whole of zero counts as all of it.
fn parts_per_million<N: UniqueSaturatedInto<u64>>(part: N, whole: N) -> PartsPerMillion {
	let (part, whole): (u64, u64) = (part.unique_saturated_into(), whole.unique_saturated_into());
	if whole == 0 {
		return 1_000_000;
	}
	let ppm = u128::from(part).saturating_mul(1_000_000) / u128::from(whole);
	ppm.min(1_000_000) as PartsPerMillion
}

impl<T: Config> NodeDirectory<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn operator(node: NodeId) -> Option<T::AccountId> {
		Nodes::<T>::get(node).map(|info| info.operator)
	}

	fn node_key(node: NodeId) -> Option<NodeKey> {
		Nodes::<T>::get(node).map(|info| info.key)
	}

	fn is_online(node: NodeId) -> bool {
		Self::node_is_online(node)
	}

	fn online_until(node: NodeId) -> Option<BlockNumberFor<T>> {
		let info = Nodes::<T>::get(node)?;
		Some(info.last_heartbeat.saturating_add(HeartbeatTtl::<T>::get()))
	}

	fn standing(node: NodeId) -> Option<NodeStanding<BlockNumberFor<T>>> {
		Self::node_standing(node)
	}

	fn nodes_of(operator: &T::AccountId) -> Vec<NodeId> {
		OperatorNodes::<T>::get(operator).into_inner()
	}

	fn count() -> u32 {
		Nodes::<T>::count()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(operator: &T::AccountId) -> NodeId {
		crate::benchmarking::register_funded::<T>(operator)
	}

	/// Makes `node` registered `age` blocks ago (or at genesis, if the chain is younger), online
	/// all that time, with its last heartbeat now.
	#[cfg(feature = "runtime-benchmarks")]
	fn mature_for_benchmark(node: NodeId, age: BlockNumberFor<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		Nodes::<T>::mutate(node, |info| {
			if let Some(info) = info {
				info.registered_at = now.saturating_sub(age);
				info.last_heartbeat = now;
				info.uptime.online_blocks = now.saturating_sub(info.registered_at);
				info.uptime.offline_blocks = Zero::zero();
			}
		});
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn gaps_split_at_the_ttl() {
		assert_eq!(split_gap(10u32, 15, 10), (5, 0));
		assert_eq!(split_gap(10u32, 20, 10), (10, 0));
		assert_eq!(split_gap(10u32, 35, 10), (10, 15));
		assert_eq!(split_gap(10u32, 5, 10), (0, 0));
	}

	#[test]
	fn parts_per_million_saturates() {
		assert_eq!(parts_per_million(0u32, 0), 1_000_000);
		assert_eq!(parts_per_million(1u32, 4), 250_000);
		assert_eq!(parts_per_million(u64::MAX, u64::MAX), 1_000_000);
		assert_eq!(parts_per_million(u64::MAX - 1, u64::MAX), 999_999);
	}
}
