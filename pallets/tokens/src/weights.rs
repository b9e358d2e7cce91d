//! Weights for `pallet_micro_tokens`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Placeholder figures until the script runs.

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
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn buy_tokens() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn refresh_batch() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn claim_free_tokens() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn claim_node_allowance() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn reap_expired() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn buy_tokens() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn refresh_batch() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn claim_free_tokens() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn claim_node_allowance() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn reap_expired() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
}
