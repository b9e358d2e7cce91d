//! Weights for `pallet_micro_tokens`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
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

/// The weight of each call of `pallet_micro_tokens`.
pub trait WeightInfo {
	fn buy_tokens() -> Weight;
	fn refresh_batch() -> Weight;
	fn claim_free_tokens() -> Weight;
	fn claim_node_allowance() -> Weight;
	fn reap_expired() -> Weight;
	fn set_params() -> Weight;
	fn claim_owed() -> Weight;
	fn hold_for_node() -> Weight;
	fn release_hold() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroNodes::CounterForNodes` (r:1 w:0)
	/// Proof: `MicroNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::CounterForServices` (r:1 w:0)
	/// Proof: `MicroServices::CounterForServices` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:4 w:4)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn buy_tokens() -> Weight {
		// Measured proof size: 1981 bytes; estimated: 11402.
		Weight::from_parts(228_718_000, 11402)
			.saturating_add(T::DbWeight::get().reads(9_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn refresh_batch() -> Weight {
		// Measured proof size: 1594 bytes; estimated: 8799.
		Weight::from_parts(144_676_000, 8799)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `MicroNodes::OperatorNodes` (r:1 w:0)
	/// Proof: `MicroNodes::OperatorNodes` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Account` (r:1 w:0)
	/// Proof: `Nfts::Account` (`max_values`: None, `max_size`: Some(88), added: 2563, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::AccessTiers` (r:1 w:0)
	/// Proof: `Reputation::AccessTiers` (`max_values`: Some(1), `max_size`: Some(97), added: 592, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::FreeCallsUsed` (r:1 w:1)
	/// Proof: `Reputation::FreeCallsUsed` (`max_values`: None, `max_size`: Some(56), added: 2531, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::QuotaPeriod` (r:1 w:0)
	/// Proof: `Reputation::QuotaPeriod` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn claim_free_tokens() -> Weight {
		// Measured proof size: 2190 bytes; estimated: 8799.
		Weight::from_parts(360_870_000, 8799)
			.saturating_add(T::DbWeight::get().reads(12_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::HeartbeatTtl` (r:1 w:0)
	/// Proof: `MicroNodes::HeartbeatTtl` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::OperatorClaimed` (r:1 w:1)
	/// Proof: `MicroTokens::OperatorClaimed` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::KeyClaimed` (r:1 w:1)
	/// Proof: `MicroTokens::KeyClaimed` (`max_values`: None, `max_size`: Some(52), added: 2527, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:0)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::CounterForNodes` (r:1 w:0)
	/// Proof: `MicroNodes::CounterForNodes` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::CounterForServices` (r:1 w:0)
	/// Proof: `MicroServices::CounterForServices` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::PeriodMinted` (r:1 w:1)
	/// Proof: `MicroTokens::PeriodMinted` (`max_values`: Some(1), `max_size`: Some(20), added: 515, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn claim_node_allowance() -> Weight {
		// Measured proof size: 3355 bytes; estimated: 8799.
		Weight::from_parts(274_145_000, 8799)
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(8_u64))
	}
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn reap_expired() -> Weight {
		// Measured proof size: 1669 bytes; estimated: 8799.
		Weight::from_parts(160_606_000, 8799)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `MicroTokens::Params` (r:0 w:1)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	fn set_params() -> Weight {
		// Measured proof size: 0 bytes; estimated: 0.
		Weight::from_parts(15_407_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `MicroTokens::Owed` (r:1 w:1)
	/// Proof: `MicroTokens::Owed` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn claim_owed() -> Weight {
		// Measured proof size: 269 bytes; estimated: 6196.
		Weight::from_parts(107_999_000, 6196)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Holds` (r:1 w:1)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1249), added: 3724, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	fn hold_for_node() -> Weight {
		// Measured proof size: 3224 bytes; estimated: 8799.
		Weight::from_parts(250_513_000, 8799)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `MicroTokens::Holds` (r:1 w:1)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1249), added: 3724, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:3 w:3)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1 w:1)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	fn release_hold() -> Weight {
		// Measured proof size: 2943 bytes; estimated: 8799.
		Weight::from_parts(332_072_000, 8799)
			.saturating_add(T::DbWeight::get().reads(7_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn buy_tokens() -> Weight {
		Weight::from_parts(228_718_000, 11402)
			.saturating_add(RocksDbWeight::get().reads(9_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn refresh_batch() -> Weight {
		Weight::from_parts(144_676_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn claim_free_tokens() -> Weight {
		Weight::from_parts(360_870_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(12_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn claim_node_allowance() -> Weight {
		Weight::from_parts(274_145_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(14_u64))
			.saturating_add(RocksDbWeight::get().writes(8_u64))
	}
	fn reap_expired() -> Weight {
		Weight::from_parts(160_606_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(15_407_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn claim_owed() -> Weight {
		Weight::from_parts(107_999_000, 6196)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn hold_for_node() -> Weight {
		Weight::from_parts(250_513_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn release_hold() -> Weight {
		Weight::from_parts(332_072_000, 8799)
			.saturating_add(RocksDbWeight::get().reads(7_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
}
