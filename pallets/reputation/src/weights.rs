//! Weights for `pallet_micro_reputation`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-30: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `Intel(R) Xeon(R) Processor`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_reputation`.
pub trait WeightInfo {
	fn set_access_tiers() -> Weight;
	fn reserve_free_calls() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Reputation::QuotaPeriod` (r:0 w:1)
	/// Proof: `Reputation::QuotaPeriod` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::AccessTiers` (r:0 w:1)
	/// Proof: `Reputation::AccessTiers` (`max_values`: Some(1), `max_size`: Some(97), added: 592, mode: `MaxEncodedLen`)
	fn set_access_tiers() -> Weight {
		// Measured proof size: 0 bytes; estimated: 0.
		Weight::from_parts(12_216_000, 0)
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:17 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::QuotaPeriod` (r:1 w:0)
	/// Proof: `Reputation::QuotaPeriod` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::FreeCallsReserved` (r:1 w:1)
	/// Proof: `Reputation::FreeCallsReserved` (`max_values`: None, `max_size`: Some(181), added: 2656, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:0)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:16 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::AccessTiers` (r:1 w:0)
	/// Proof: `Reputation::AccessTiers` (`max_values`: Some(1), `max_size`: Some(97), added: 592, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::FreeCallsUsed` (r:1 w:1)
	/// Proof: `Reputation::FreeCallsUsed` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	fn reserve_free_calls() -> Weight {
		// Measured proof size: 22870 bytes; estimated: 64128.
		Weight::from_parts(339_995_000, 64128)
			.saturating_add(T::DbWeight::get().reads(41_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn set_access_tiers() -> Weight {
		Weight::from_parts(12_216_000, 0)
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn reserve_free_calls() -> Weight {
		Weight::from_parts(339_995_000, 64128)
			.saturating_add(RocksDbWeight::get().reads(41_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
}
