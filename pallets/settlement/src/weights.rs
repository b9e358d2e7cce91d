//! Weights for `pallet_micro_settlement`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Placeholder figures until the script runs.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_settlement`.
pub trait WeightInfo {
	fn submit_usage(n: u32) -> Weight;
	fn authorize_submit_usage(n: u32) -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_usage(n: u32) -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(Weight::from_parts(500_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn authorize_submit_usage(n: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(Weight::from_parts(10_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_usage(n: u32) -> Weight {
		Weight::from_parts(100_000_000, 10_000)
			.saturating_add(Weight::from_parts(500_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(8_u64, 8_u64))
	}
	fn authorize_submit_usage(n: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(Weight::from_parts(10_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
	}
}
