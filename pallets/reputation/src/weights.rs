//! Weights for `pallet_micro_reputation`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
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
		Weight::from_parts(18_852_000, 0)
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0), `Reputation::AccessTiers` (r:1 w:0),
	/// `Reputation::QuotaPeriod` (r:1 w:0), `Reputation::FreeCallsUsed` (r:1 w:1),
	/// `Reputation::FreeCallsReserved` (r:1 w:1), at most 16 reservations of 8 bytes.
	/// The account-score walk is charged beside the call (`account_score_weight`).
	fn reserve_free_calls() -> Weight {
		// Not yet measured: estimated from `MicroTokens::claim_free_tokens` (the same score
		// walk and quota write, without its token batches), rounded up.
		Weight::from_parts(360_000_000, 12_000)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn set_access_tiers() -> Weight {
		Weight::from_parts(18_852_000, 0)
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn reserve_free_calls() -> Weight {
		// Not yet measured: estimated from `MicroTokens::claim_free_tokens`.
		Weight::from_parts(360_000_000, 12_000)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
}
