//! Weights for `pallet_micro_nodes`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-29: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `Intel(R) Xeon(R) Processor`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_nodes`.
pub trait WeightInfo {
	fn register_node() -> Weight;
	fn update_node() -> Weight;
	fn rotate_key() -> Weight;
	fn heartbeat(s: u32, ) -> Weight;
	fn authorize_heartbeat() -> Weight;
	fn deregister_node() -> Weight;
	fn set_heartbeat_ttl() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroNodes::NodeByKey` (r:1 w:1)
	/// Proof: `MicroNodes::NodeByKey` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NodeByPeerId` (r:1 w:1)
	/// Proof: `MicroNodes::NodeByPeerId` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::KeyNodeIds` (r:1 w:1)
	/// Proof: `MicroNodes::KeyNodeIds` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NextNodeId` (r:1 w:1)
	/// Proof: `MicroNodes::NextNodeId` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::ProofNonce` (r:1 w:1)
	/// Proof: `MicroNodes::ProofNonce` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:1)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:1)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::CounterForNodes` (r:1 w:1)
	/// Proof: `MicroNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	fn register_node() -> Weight {
		// Measured proof size: 1925 bytes; estimated: 4704.
		Weight::from_parts(414_360_000, 4704)
			.saturating_add(T::DbWeight::get().reads(11_u64))
			.saturating_add(T::DbWeight::get().writes(10_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:1)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	fn update_node() -> Weight {
		// Measured proof size: 1429 bytes; estimated: 4704.
		Weight::from_parts(54_183_000, 4704)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:1)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NodeByKey` (r:1 w:2)
	/// Proof: `MicroNodes::NodeByKey` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::KeyNodeIds` (r:1 w:1)
	/// Proof: `MicroNodes::KeyNodeIds` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NodeByPeerId` (r:1 w:2)
	/// Proof: `MicroNodes::NodeByPeerId` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::ProofNonce` (r:1 w:1)
	/// Proof: `MicroNodes::ProofNonce` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	fn rotate_key() -> Weight {
		// Measured proof size: 1726 bytes; estimated: 4704.
		Weight::from_parts(142_632_000, 4704)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:1)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:0)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:1)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:64 w:0)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredVersions` (r:64 w:0)
	/// Proof: `MicroServices::RetiredVersions` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::AvailableUntil` (r:64 w:64)
	/// Proof: `MicroServices::AvailableUntil` (`max_values`: None, `max_size`: Some(16), added: 2491, mode: `MaxEncodedLen`)
	fn heartbeat(s: u32, ) -> Weight {
		// Measured proof size: 2003 bytes; estimated: 4704.
		Weight::from_parts(151_702_303, 4704)
			.saturating_add(Weight::from_parts(13_749_704, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2724).saturating_mul(s.into()))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	fn authorize_heartbeat() -> Weight {
		// Measured proof size: 1483 bytes; estimated: 4704.
		Weight::from_parts(84_550_000, 4704)
			.saturating_add(T::DbWeight::get().reads(3_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:1)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::NodeServices` (r:1 w:0)
	/// Proof: `MicroServices::NodeServices` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::CounterForNodes` (r:1 w:1)
	/// Proof: `MicroNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:1)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NodeByPeerId` (r:0 w:1)
	/// Proof: `MicroNodes::NodeByPeerId` (`max_values`: None, `max_size`: Some(86), added: 2561, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::NodeByKey` (r:0 w:1)
	/// Proof: `MicroNodes::NodeByKey` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	fn deregister_node() -> Weight {
		// Measured proof size: 2228 bytes; estimated: 4704.
		Weight::from_parts(189_207_000, 4704)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	/// Storage: `MicroNodes::HeartbeatTtl` (r:0 w:1)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	fn set_heartbeat_ttl() -> Weight {
		// Measured proof size: 0 bytes; estimated: 0.
		Weight::from_parts(16_566_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn register_node() -> Weight {
		Weight::from_parts(414_360_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(11_u64))
			.saturating_add(RocksDbWeight::get().writes(10_u64))
	}
	fn update_node() -> Weight {
		Weight::from_parts(54_183_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn rotate_key() -> Weight {
		Weight::from_parts(142_632_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn heartbeat(s: u32, ) -> Weight {
		Weight::from_parts(151_702_303, 4704)
			.saturating_add(Weight::from_parts(13_749_704, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 2724).saturating_mul(s.into()))
	}
	fn authorize_heartbeat() -> Weight {
		Weight::from_parts(84_550_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
	}
	fn deregister_node() -> Weight {
		Weight::from_parts(189_207_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn set_heartbeat_ttl() -> Weight {
		Weight::from_parts(16_566_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
