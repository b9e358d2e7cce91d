//! Weights for `pallet_micro_settlement`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-22: 10 steps, 5 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `AMD EPYC`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_settlement`.
pub trait WeightInfo {
	fn submit_usage(n: u32, ) -> Weight;
	fn authorize_submit_usage(n: u32, ) -> Weight;
}

/// Measured weights, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::LastReport` (r:1 w:1)
	/// Proof: `Settlement::LastReport` (`max_values`: None, `max_size`: Some(24), added: 2499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:1 w:0)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Versions` (r:1 w:0)
	/// Proof: `MicroServices::Versions` (`max_values`: None, `max_size`: Some(16982), added: 19457, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Allowances` (r:1000 w:1000)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(112), added: 2587, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(158), added: 2633, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:1000 w:1000)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:4 w:4)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Owed` (r:1 w:1)
	/// Proof: `MicroTokens::Owed` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:2 w:2)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(49), added: 2524, mode: `MaxEncodedLen`)
	fn submit_usage(n: u32, ) -> Weight {
		// Measured proof size: 21090 bytes; estimated: 20447.
		Weight::from_parts(959_289_000, 20447)
			.saturating_add(Weight::from_parts(530_218_804, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(17_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(9_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 3708).saturating_mul(n.into()))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::LastReport` (r:1 w:0)
	/// Proof: `Settlement::LastReport` (`max_values`: None, `max_size`: Some(24), added: 2499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	fn authorize_submit_usage(n: u32, ) -> Weight {
		// Measured proof size: 1469 bytes; estimated: 4704.
		Weight::from_parts(122_522_388, 4704)
			.saturating_add(Weight::from_parts(252_744, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_usage(n: u32, ) -> Weight {
		Weight::from_parts(959_289_000, 20447)
			.saturating_add(Weight::from_parts(530_218_804, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(17_u64))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(9_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 3708).saturating_mul(n.into()))
	}
	fn authorize_submit_usage(n: u32, ) -> Weight {
		Weight::from_parts(122_522_388, 4704)
			.saturating_add(Weight::from_parts(252_744, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
	}
}
