//! Weights for `pallet_micro_settlement`, measured by `scripts/benchmark-pallets.sh`; do not edit by hand.
//!
//! Benchmark CLI 64.0.0 on 2026-11-30: 10 steps, 20 repeats,
//! `Compiled` wasm execution, chain `Some("dev")`, CPU `Intel(R) Xeon(R) Processor`.
//! Each figure is the slowest path of its call (see the pallet's `benchmarking.rs`).

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::{constants::RocksDbWeight, Weight}};

/// The weight of each call of `pallet_micro_settlement`.
pub trait WeightInfo {
	fn submit_usage(r: u32, c: u32, s: u32, ) -> Weight;
	fn authorize_submit_usage(n: u32, ) -> Weight;
	fn prune_allowances(n: u32, ) -> Weight;
	fn revoke_allowance() -> Weight;
	fn dispute_usage() -> Weight;
	fn refund_usage() -> Weight;
	fn close_dispute() -> Weight;
	fn prune_receipts(n: u32, ) -> Weight;
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
	/// Storage: `System::Account` (r:68 w:68)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Revocations` (r:32 w:0)
	/// Proof: `Settlement::Revocations` (`max_values`: None, `max_size`: Some(81), added: 2556, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Allowances` (r:32 w:32)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(124), added: 2599, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Holds` (r:32 w:32)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1249), added: 3724, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Params` (r:1 w:0)
	/// Proof: `MicroTokens::Params` (`max_values`: Some(1), `max_size`: Some(84), added: 579, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Batches` (r:32 w:32)
	/// Proof: `MicroTokens::Batches` (`max_values`: None, `max_size`: Some(1233), added: 3708, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Placements` (r:64 w:0)
	/// Proof: `MicroServices::Placements` (`max_values`: None, `max_size`: Some(61), added: 2536, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::PastPlacements` (r:64 w:0)
	/// Proof: `MicroServices::PastPlacements` (`max_values`: None, `max_size`: Some(62), added: 2537, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredVersions` (r:64 w:0)
	/// Proof: `MicroServices::RetiredVersions` (`max_values`: None, `max_size`: Some(270), added: 2745, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::RetiredAt` (r:64 w:0)
	/// Proof: `MicroServices::RetiredAt` (`max_values`: None, `max_size`: Some(28), added: 2503, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:64 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:64 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::TotalBacking` (r:1 w:1)
	/// Proof: `MicroTokens::TotalBacking` (`max_values`: Some(1), `max_size`: Some(16), added: 511, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Owed` (r:66 w:0)
	/// Proof: `MicroTokens::Owed` (`max_values`: None, `max_size`: Some(64), added: 2539, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Receipts` (r:32 w:32)
	/// Proof: `Settlement::Receipts` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:65 w:65)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	fn submit_usage(r: u32, c: u32, s: u32, ) -> Weight {
		// Measured proof size: 3135 bytes; estimated: 11402.
		Weight::from_parts(588_536_479, 11402)
			.saturating_add(Weight::from_parts(12_724_011, 0).saturating_mul(r.into()))
			.saturating_add(Weight::from_parts(194_027_160, 0).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(218_734_036, 0).saturating_mul(s.into()))
			.saturating_add(T::DbWeight::get().reads(13_u64))
			.saturating_add(T::DbWeight::get().reads((14_u64).saturating_mul(c.into())))
			.saturating_add(T::DbWeight::get().reads((9_u64).saturating_mul(s.into())))
			.saturating_add(T::DbWeight::get().writes(7_u64))
			.saturating_add(T::DbWeight::get().writes((6_u64).saturating_mul(c.into())))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 3724).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(0, 3336).saturating_mul(s.into()))
	}
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::LastReport` (r:1 w:0)
	/// Proof: `Settlement::LastReport` (`max_values`: None, `max_size`: Some(24), added: 2499, mode: `MaxEncodedLen`)
	/// Storage: `System::BlockHash` (r:1 w:0)
	/// Proof: `System::BlockHash` (`max_values`: None, `max_size`: Some(44), added: 2519, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:0)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	fn authorize_submit_usage(n: u32, ) -> Weight {
		// Measured proof size: 1709 bytes; estimated: 4704.
		Weight::from_parts(132_488_395, 4704)
			.saturating_add(Weight::from_parts(790_172, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
	}
	/// Storage: `Settlement::PruneCursor` (r:1 w:1)
	/// Proof: `Settlement::PruneCursor` (`max_values`: Some(1), `max_size`: Some(258), added: 753, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Allowances` (r:513 w:512)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(124), added: 2599, mode: `MaxEncodedLen`)
	fn prune_allowances(n: u32, ) -> Weight {
		// Measured proof size: 12 bytes; estimated: 3589.
		Weight::from_parts(333_000, 3589)
			.saturating_add(Weight::from_parts(10_709_129, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2599).saturating_mul(n.into()))
	}
	/// Storage: `Settlement::Allowances` (r:1 w:0)
	/// Proof: `Settlement::Allowances` (`max_values`: None, `max_size`: Some(124), added: 2599, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Revocations` (r:1 w:1)
	/// Proof: `Settlement::Revocations` (`max_values`: None, `max_size`: Some(81), added: 2556, mode: `MaxEncodedLen`)
	/// Storage: `MicroTokens::Holds` (r:1 w:1)
	/// Proof: `MicroTokens::Holds` (`max_values`: None, `max_size`: Some(1249), added: 3724, mode: `MaxEncodedLen`)
	fn revoke_allowance() -> Weight {
		// Measured proof size: 1488 bytes; estimated: 4714.
		Weight::from_parts(60_519_000, 4714)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Settlement::Receipts` (r:1 w:1)
	/// Proof: `Settlement::Receipts` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Proof: `Settlement::Disputes` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn dispute_usage() -> Weight {
		// Measured proof size: 2511 bytes; estimated: 4704.
		Weight::from_parts(164_541_000, 4704)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Proof: `Settlement::Disputes` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `MicroNodes::Nodes` (r:1 w:0)
	/// Proof: `MicroNodes::Nodes` (`max_values`: None, `max_size`: Some(1239), added: 3714, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::Services` (r:1 w:0)
	/// Proof: `MicroServices::Services` (`max_values`: None, `max_size`: Some(179), added: 2654, mode: `MaxEncodedLen`)
	/// Storage: `MicroServices::ServiceCollection` (r:1 w:0)
	/// Proof: `MicroServices::ServiceCollection` (`max_values`: Some(1), `max_size`: Some(4), added: 499, mode: `MaxEncodedLen`)
	/// Storage: `Nfts::Item` (r:1 w:0)
	/// Proof: `Nfts::Item` (`max_values`: None, `max_size`: Some(861), added: 3336, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:2 w:2)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn refund_usage() -> Weight {
		// Measured proof size: 2708 bytes; estimated: 6196.
		Weight::from_parts(204_746_000, 6196)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Settlement::Disputes` (r:1 w:1)
	/// Proof: `Settlement::Disputes` (`max_values`: None, `max_size`: Some(133), added: 2608, mode: `MaxEncodedLen`)
	/// Storage: `Reputation::Records` (r:1 w:1)
	/// Proof: `Reputation::Records` (`max_values`: None, `max_size`: Some(73), added: 2548, mode: `MaxEncodedLen`)
	/// Storage: `System::Account` (r:1 w:1)
	/// Proof: `System::Account` (`max_values`: None, `max_size`: Some(128), added: 2603, mode: `MaxEncodedLen`)
	/// Storage: `Balances::Holds` (r:1 w:1)
	/// Proof: `Balances::Holds` (`max_values`: None, `max_size`: Some(157), added: 2632, mode: `MaxEncodedLen`)
	fn close_dispute() -> Weight {
		// Measured proof size: 489 bytes; estimated: 3622.
		Weight::from_parts(107_026_000, 3622)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Settlement::ReceiptCursor` (r:1 w:1)
	/// Proof: `Settlement::ReceiptCursor` (`max_values`: Some(1), `max_size`: Some(258), added: 753, mode: `MaxEncodedLen`)
	/// Storage: `Settlement::Receipts` (r:513 w:512)
	/// Proof: `Settlement::Receipts` (`max_values`: None, `max_size`: Some(113), added: 2588, mode: `MaxEncodedLen`)
	fn prune_receipts(n: u32, ) -> Weight {
		// Measured proof size: 0 bytes; estimated: 3578.
		Weight::from_parts(320_000, 3578)
			.saturating_add(Weight::from_parts(10_996_816, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2588).saturating_mul(n.into()))
	}
}

/// The same figures priced with RocksDB's weights, for tests and mocks.
impl WeightInfo for () {
	fn submit_usage(r: u32, c: u32, s: u32, ) -> Weight {
		Weight::from_parts(588_536_479, 11402)
			.saturating_add(Weight::from_parts(12_724_011, 0).saturating_mul(r.into()))
			.saturating_add(Weight::from_parts(194_027_160, 0).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(218_734_036, 0).saturating_mul(s.into()))
			.saturating_add(RocksDbWeight::get().reads(13_u64))
			.saturating_add(RocksDbWeight::get().reads((14_u64).saturating_mul(c.into())))
			.saturating_add(RocksDbWeight::get().reads((9_u64).saturating_mul(s.into())))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
			.saturating_add(RocksDbWeight::get().writes((6_u64).saturating_mul(c.into())))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(s.into())))
			.saturating_add(Weight::from_parts(0, 3724).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(0, 3336).saturating_mul(s.into()))
	}
	fn authorize_submit_usage(n: u32, ) -> Weight {
		Weight::from_parts(132_488_395, 4704)
			.saturating_add(Weight::from_parts(790_172, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
	}
	fn prune_allowances(n: u32, ) -> Weight {
		Weight::from_parts(333_000, 3589)
			.saturating_add(Weight::from_parts(10_709_129, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2599).saturating_mul(n.into()))
	}
	fn revoke_allowance() -> Weight {
		Weight::from_parts(60_519_000, 4714)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn dispute_usage() -> Weight {
		Weight::from_parts(164_541_000, 4704)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn refund_usage() -> Weight {
		Weight::from_parts(204_746_000, 6196)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn close_dispute() -> Weight {
		Weight::from_parts(107_026_000, 3622)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn prune_receipts(n: u32, ) -> Weight {
		Weight::from_parts(320_000, 3578)
			.saturating_add(Weight::from_parts(10_996_816, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((1_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2588).saturating_mul(n.into()))
	}
}
