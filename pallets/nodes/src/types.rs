//! The records the node registry keeps.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use micro_primitives::NodeKey;
use scale_info::TypeInfo;

use crate::{BalanceOf, Config};

/// A libp2p peer id in its base58 text form (`12D3KooW...`).
pub type PeerIdOf<T> = BoundedVec<u8, <T as Config>::MaxPeerIdLen>;
/// A multiaddr in its text form (`/ip4/203.0.113.7/tcp/30333`).
pub type AddressOf<T> = BoundedVec<u8, <T as Config>::MaxAddressLen>;
/// The multiaddrs a node can be reached on.
pub type AddressesOf<T> = BoundedVec<AddressOf<T>, <T as Config>::MaxAddresses>;

/// What a node offers to run services with.
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
pub struct Capacity {
	/// CPU, in thousandths of a core.
	pub cpu_millicores: u32,
	/// Memory, in MiB.
	pub memory_mib: u32,
	/// Storage, in MiB.
	pub storage_mib: u32,
	/// Network bandwidth, in Mbit/s.
	pub bandwidth_mbps: u32,
}

impl Capacity {
	/// Whether the node offers nothing at all.
	pub fn is_empty(&self) -> bool {
		*self == Self::default()
	}
}

/// A node's uptime, as its heartbeats show it.
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
pub struct Uptime<BlockNumber> {
	/// Blocks the node counted as online: each gap between heartbeats, up to the TTL.
	pub online_blocks: BlockNumber,
	/// Blocks the node counted as offline: each gap between heartbeats beyond the TTL.
	pub offline_blocks: BlockNumber,
	/// Heartbeats received.
	pub heartbeats: u32,
	/// Times the node came back after being offline.
	pub outages: u32,
}

/// A registered node.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct NodeInfo<T: Config> {
	/// The account that registered the node and controls it.
	pub operator: T::AccountId,
	/// The ed25519 key the node signs with.
	pub key: NodeKey,
	/// The node's libp2p peer id.
	pub peer_id: PeerIdOf<T>,
	/// Where the node can be reached.
	pub addresses: AddressesOf<T>,
	/// What the node offers.
	pub capacity: Capacity,
	/// The deposit held from the operator, returned on deregistration.
	pub deposit: BalanceOf<T>,
	/// The block the node was registered in.
	pub registered_at: BlockNumberFor<T>,
	/// The block its last heartbeat (or its registration) was included in.
	pub last_heartbeat: BlockNumberFor<T>,
	/// Its uptime record up to `last_heartbeat`.
	pub uptime: Uptime<BlockNumberFor<T>>,
}
